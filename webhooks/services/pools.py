"""`pool.low` (docs/webhooks.md): after a change that spends licenses, each paying pool it
touched is held against the shortfall forecast's "needed now" (rule 17, the selector the
forecast page reads). A pool that cannot pay it is told once, then not again until
licenses come back into it (a grant, an allocation, a refund) and it falls short anew.
Only computed when an endpoint concerned wants `pool.low`."""

from django.db.models import Max

from accounts.models import Scope

from ..events import EventType
from ..models import Event

SPENDING = {EventType.RENEWED, EventType.USERS_ADDED, EventType.COTERMINATED}


def _needs(organization):
    from subscriptions.selectors.figures import figures_of

    scope = Scope(organization_id=organization.pk, kind=organization.kind,
                  organization_name=organization.name)
    return figures_of(scope).pools


def _told_since_refilled(pool):
    told = Event.objects.filter(type=EventType.POOL_LOW, pool_id=pool.pk).aggregate(
        at=Max("created_at")
    )["at"]
    if told is None:
        return False
    refilled = pool.movements.filter(quantity__gt=0).aggregate(at=Max("created_at"))["at"]
    return refilled is None or told > refilled


def record_low(keys, wanted):
    """keys: (paying organization id, product id) of the pools a change spent from."""
    from subscriptions.models import LicensePool

    from .outbox import write

    pools = LicensePool.objects.filter(
        organization_id__in={key[0] for key in keys}, product_id__in={key[1] for key in keys}
    ).select_related("organization", "product")
    needs_of = {}
    for pool in pools:
        if (pool.organization_id, pool.product_id) not in keys:
            continue
        organization = pool.organization
        if organization.pk not in needs_of:
            needs_of[organization.pk] = _needs(organization)
        due = needs_of[organization.pk].get((organization.pk, pool.product_id))
        missing = due.missing(pool.balance)[0] if due else 0
        if missing <= 0 or _told_since_refilled(pool):
            continue
        partner_id = organization.parent_id or organization.pk
        write(EventType.POOL_LOW, [(organization.pk, partner_id, {
            "pool_id": pool.pk, "product": pool.product.code,
            "organization_id": organization.pk, "organization": organization.name,
            "partner_id": partner_id, "balance": pool.balance, "needed": due.needed,
            "missing": missing,
        })], wanted, pool_id=pool.pk)
