"""Publisher → partner credits."""

import pytest

from subscriptions import services
from subscriptions.models import LicensePool, MovementKind
from subscriptions.services import OperationRefused

from .helpers import balance, ledger_sum, snapshot


def test_it_grants_licenses_to_a_partner_with_a_ledger_line(alpha, tbox, staff):
    movement = services.grant_licenses(
        partner=alpha, product=tbox, quantity=250, actor=staff, note="contract 42"
    )
    assert balance(alpha, tbox) == 250
    assert (movement.kind, movement.quantity, movement.balance_after) == (
        MovementKind.GRANT,
        250,
        250,
    )
    assert (movement.actor, movement.note) == (staff, "contract 42")
    services.grant_licenses(partner=alpha, product=tbox, quantity=50)
    assert balance(alpha, tbox) == 300
    assert ledger_sum(alpha, tbox) == 300
    assert LicensePool.objects.filter(organization=alpha, product=tbox).count() == 1


@pytest.mark.parametrize("quantity", [0, -1, -100, "10", 10_000_001])
def test_it_refuses_a_grant_of_a_bad_quantity(alpha, tbox, quantity):
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        services.grant_licenses(partner=alpha, product=tbox, quantity=quantity)
    assert refused.value.field == "quantity"
    assert snapshot() == before


def test_it_refuses_a_grant_to_a_reseller(alpha_reseller, tbox):
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        services.grant_licenses(partner=alpha_reseller, product=tbox, quantity=10)
    assert refused.value.field == "partner"
    assert snapshot() == before
