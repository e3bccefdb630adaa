"""Which endpoints a manager sees (docs/rules.md rule 11): its own organization's. A
partner's endpoints receive its resellers' events, but a reseller's endpoints belong to
the reseller: only the reseller's managers manage them."""

from django.conf import settings
from django.db.models import Prefetch

from accounts.models import Membership, Role, Scope

from ..models import Attempt, Delivery, Endpoint

LOG_SIZE = 20


def endpoints_of(user):
    scope = Scope.for_user(user)
    if scope.organization_id is None:
        return Endpoint.objects.none()
    return Endpoint.objects.filter(organization_id=scope.organization_id)


def with_log(endpoints):
    """Each endpoint with its latest deliveries (`recent`), each with its attempts."""
    endpoints = list(endpoints.order_by("-created_at", "-pk"))
    for endpoint in endpoints:
        endpoint.recent = list(
            Delivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related(Prefetch("log", queryset=Attempt.objects.order_by("-number")))
            .order_by("-created_at", "-pk")[:LOG_SIZE]
        )
    return endpoints


def managers_of(organization_id):
    """(user, language) of the organization's active managers with an address."""
    from reminders.models import ReminderPreference

    memberships = list(
        Membership.objects.filter(
            organization_id=organization_id, role=Role.MANAGER, user__is_active=True
        ).exclude(user__email="").select_related("user").order_by("user_id")
    )
    languages = dict(
        ReminderPreference.objects.filter(
            user_id__in=[m.user_id for m in memberships]
        ).values_list("user_id", "language")
    )
    return [(m.user, languages.get(m.user_id, settings.LANGUAGE_CODE)) for m in memberships]
