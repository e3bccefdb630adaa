"""What one user may read: every queryset built from `visible_to(user)`, so an object
outside the user's scope is a 404 (`get_object_or_404` on a scoped queryset) and a form
choice outside it is an invalid choice. The screens and the API read through it."""

from accounts.models import Organization, Scope

from ..models import Client, LicenseMovement, LicensePool
from .lists import subscription_rows, subscriptions_to_renew


class Visible:
    """Everything one user may read, each queryset built from `visible_to(user)`."""

    def __init__(self, user):
        self.user = user
        self.scope = Scope.for_user(user)

    def subscriptions(self):
        return subscription_rows(self.user)

    def subscriptions_to_renew(self):
        return subscriptions_to_renew(self.user)

    def clients(self):
        return Client.objects.visible_to(self.user).select_related("partner", "reseller")

    def organizations(self):
        return Organization.objects.visible_to(self.user)

    def partners(self):
        return self.organizations().partners()

    def resellers(self):
        return self.organizations().resellers().select_related("parent")

    def pools(self):
        return LicensePool.objects.visible_to(self.user).select_related("organization", "product")

    def movements(self):
        return LicenseMovement.objects.visible_to(self.user).select_related(
            "pool__organization",
            "pool__product",
            "subscription__client",
            "counterpart__organization",
            "actor",
            # A co-terming's debit names its client through its group (rule 20).
            "coterm_debit__coterming__client",
        )

    def own_organization(self):
        """The partner or reseller the user works for (None for publisher staff)."""
        if self.scope.organization_id is None:
            return None
        return (
            Organization.objects.select_related("parent")
            .filter(pk=self.scope.organization_id)
            .first()
        )
