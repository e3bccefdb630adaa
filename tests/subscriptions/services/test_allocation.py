"""Partner ↔ reseller transfers (rule 9): two balanced ledger lines, or nothing."""

import pytest

from subscriptions import services
from subscriptions.models import LicenseMovement, MovementKind
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token

from .helpers import balance, ledger_sum, snapshot


def allocate(actor, partner, reseller, product, quantity, direction, **kwargs):
    return services.allocate_licenses(
        partner=partner,
        reseller=reseller,
        product=product,
        quantity=quantity,
        direction=direction,
        actor=actor,
        **kwargs,
    )


def test_it_gives_licenses_to_a_reseller_in_two_balanced_lines(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    before = LicenseMovement.objects.count()
    out, into = allocate(partner_user, alpha, alpha_reseller, tbox, 30, services.GIVE)
    assert balance(alpha, tbox) == 70
    assert balance(alpha_reseller, tbox) == 30
    assert LicenseMovement.objects.count() == before + 2
    assert out.quantity + into.quantity == 0
    assert (out.pool.organization, out.quantity, out.balance_after) == (alpha, -30, 70)
    assert (into.pool.organization, into.quantity, into.balance_after) == (alpha_reseller, 30, 30)
    assert out.counterpart == into.pool
    assert into.counterpart == out.pool
    assert {out.kind, into.kind} == {MovementKind.ALLOCATION}
    assert out.actor == into.actor == partner_user
    assert ledger_sum(alpha, tbox) == 70
    assert ledger_sum(alpha_reseller, tbox) == 30


def test_it_takes_unused_licenses_back_from_a_reseller(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    allocate(partner_user, alpha, alpha_reseller, tbox, 30, services.GIVE)
    out, into = allocate(partner_user, alpha, alpha_reseller, tbox, 12, services.TAKE)
    assert (out.pool.organization, out.quantity) == (alpha_reseller, -12)
    assert (into.pool.organization, into.quantity) == (alpha, 12)
    assert balance(alpha, tbox) == 82
    assert balance(alpha_reseller, tbox) == 18
    assert ledger_sum(alpha, tbox) == 82
    assert ledger_sum(alpha_reseller, tbox) == 18


def test_it_refuses_to_take_more_than_the_reseller_holds(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    allocate(partner_user, alpha, alpha_reseller, tbox, 30, services.GIVE)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, alpha_reseller, tbox, 45, services.TAKE)
    assert refused.value.missing == 15
    assert refused.value.field == "quantity"
    assert snapshot() == before


def test_it_refuses_to_give_more_than_the_partner_holds(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 10)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, alpha_reseller, tbox, 11, services.GIVE)
    assert refused.value.missing == 1
    assert snapshot() == before


def test_it_refuses_to_take_from_a_reseller_without_a_pool(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 10)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, alpha_reseller, tbox, 4, services.TAKE)
    assert refused.value.missing == 4
    assert snapshot() == before


def test_it_refuses_to_allocate_to_the_reseller_of_another_partner(
    alpha, beta_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, beta_reseller, tbox, 5, services.GIVE)
    assert refused.value.field == "reseller"
    assert snapshot() == before


def test_it_refuses_to_allocate_to_a_partner(alpha, beta, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, beta, tbox, 5, services.GIVE)
    assert refused.value.field == "reseller"


@pytest.mark.parametrize(
    ("quantity", "direction", "field"),
    [
        (0, services.GIVE, "quantity"),
        (-5, services.GIVE, "quantity"),
        (-5, services.TAKE, "quantity"),
        ("5", services.GIVE, "quantity"),
        (5, "steal", "direction"),
    ],
)
def test_it_refuses_a_bad_quantity_or_direction(
    alpha, alpha_reseller, tbox, grant, partner_user, quantity, direction, field
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        allocate(partner_user, alpha, alpha_reseller, tbox, quantity, direction)
    assert refused.value.field == field
    assert snapshot() == before


def test_it_allocates_once_when_the_form_is_submitted_twice(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    allocate(partner_user, alpha, alpha_reseller, tbox, 30, services.GIVE, token=token)
    before = snapshot()
    with pytest.raises(AlreadyDone) as again:
        allocate(partner_user, alpha, alpha_reseller, tbox, 30, services.GIVE, token=token)
    assert again.value.result["quantity"] == 30
    assert again.value.result["direction"] == services.GIVE
    assert snapshot() == before
    assert balance(alpha, tbox) == 70
