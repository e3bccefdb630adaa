"""A partner gives licenses to one of its resellers, or takes unused ones back
(docs/rules.md rule 9)."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind

from ..models import MovementKind
from . import audited, idempotency, ledger, locks
from .errors import MAX_QUANTITY, OperationRefused, check_range

logger = logging.getLogger("portal.operations")

GIVE = "give"
TAKE = "take"


@transaction.atomic
def allocate_licenses(
    *, partner, reseller, product, quantity, direction, actor, token=None, note=""
):
    """Rule 9: a partner gives licenses to one of its resellers, or takes unused ones back."""
    claimed = idempotency.claim_form_token(token, actor=actor, operation="allocate")
    if reseller.kind != OrganizationKind.RESELLER or reseller.parent_id != partner.pk:
        raise OperationRefused(_("Select one of your resellers."), field="reseller")
    if direction not in (GIVE, TAKE):
        raise OperationRefused(_("Choose to give or to take back."), field="direction")
    check_range(quantity, field="quantity", low=1, high=MAX_QUANTITY, label=_("The quantity"))
    partner_pool = ledger.pool_for(partner.pk, product.pk)
    reseller_pool = ledger.pool_for(reseller.pk, product.pk)
    if direction == GIVE:
        source, target = partner_pool, reseller_pool
    else:
        source, target = reseller_pool, partner_pool
    # Both pools locked in pk order, whatever the direction: two opposite transfers
    # cannot deadlock.
    locks.lock_pools([source.pk, target.pk])
    movements = {}
    for pool, counterpart, quantity_moved in sorted(
        [(source, target, -quantity), (target, source, quantity)], key=lambda move: move[0].pk
    ):
        movements[pool.pk] = ledger.move(
            pool, quantity_moved, kind=MovementKind.ALLOCATION, actor=actor, field="quantity",
            note=note, counterpart=counterpart,
        )
    idempotency.remember(claimed, {
        "direction": direction,
        "quantity": quantity,
        "reseller": reseller.name,
        "product": product.name,
    })
    logger.info(
        "allocation partner=%s reseller=%s product=%s direction=%s quantity=%d actor=%s",
        partner.pk, reseller.pk, product.code, direction, quantity, actor,
    )
    audited.allocation(reseller, product, movements, source, direction=direction, actor=actor)
    return movements[source.pk], movements[target.pk]
