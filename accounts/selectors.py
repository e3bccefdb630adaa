"""What the portal's user management reads, always within the reader's own organization:
a user of another organization is simply not in these querysets (a 404 for the views)."""

from django.contrib.auth import get_user_model

from .models import Organization, OrganizationKind, Scope

User = get_user_model()


def members(*, actor):
    """The users of the actor's organization, by username; none for publisher staff or a
    user without an organization (they manage accounts in the admin)."""
    scope = Scope.for_user(actor)
    if scope.organization_id is None:
        return User.objects.none()
    return (
        User.objects.filter(membership__organization_id=scope.organization_id)
        .select_related("membership")
        .order_by("username", "pk")
    )


def own_partner(*, actor):
    """The partner whose settings the actor's scope covers, or None when it is not a
    partner's (a reseller follows its partner's settings; staff set them in the admin)."""
    scope = Scope.for_user(actor)
    if scope.kind != OrganizationKind.PARTNER:
        return None
    return Organization.objects.filter(pk=scope.organization_id).first()
