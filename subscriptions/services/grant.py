"""Publisher → partner credits (docs/rules.md rule 1)."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind

from ..models import MovementKind
from . import audited, ledger
from .errors import MAX_QUANTITY, OperationRefused, check_range

logger = logging.getLogger("portal.operations")


@transaction.atomic
def grant_licenses(*, partner, product, quantity, actor=None, note=""):
    """Publisher → partner credit."""
    if partner.kind != OrganizationKind.PARTNER:
        raise OperationRefused(_("Licenses are granted to partners only."), field="partner")
    check_range(quantity, field="quantity", low=1, high=MAX_QUANTITY, label=_("The quantity"))
    pool = ledger.pool_for(partner.pk, product.pk)
    movement = ledger.move(pool, quantity, kind=MovementKind.GRANT, actor=actor, note=note)
    audited.grant(partner, product, movement, quantity=quantity, actor=actor)
    logger.info(
        "grant partner=%s product=%s quantity=%d balance_after=%d actor=%s",
        partner.pk, product.code, quantity, movement.balance_after, actor,
    )
    return movement
