"""A new client with its first subscription (rule 8), and a further product for an
existing client, each paid by the organization managing it."""

import datetime

import pytest

from subscriptions import services
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    MovementKind,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status

from .helpers import DAY, TODAY, balance, ledger_sum, snapshot, status_of


def create(actor, partner, product, **kwargs):
    values = {"name": "Société Nouvelle", "users": 4, "years": 2, "start_date": TODAY}
    values.update(kwargs)
    return services.create_client(
        actor=actor, partner=partner, product=product, today=TODAY, **values
    )


def test_it_creates_a_client_debiting_the_partner_pool(alpha, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    sub = create(partner_user, alpha, tbox)
    assert sub.client.name == "Société Nouvelle"
    assert sub.client.partner == alpha
    assert sub.client.reseller is None
    assert (sub.term_start, sub.term_end, sub.users, sub.years) == (
        TODAY,
        datetime.date(2027, 6, 14),
        4,
        2,
    )
    assert balance(alpha, tbox) == 92
    movement = LicenseMovement.objects.get(kind=MovementKind.CREATION)
    assert (movement.quantity, movement.balance_after) == (-8, 92)
    assert movement.subscription_id == sub.pk
    assert movement.actor == partner_user
    term = Term.objects.get(subscription=sub)
    assert (term.kind, term.licenses, term.created_by) == (TermKind.CREATION, 8, partner_user)
    assert movement.term_id == term.pk
    assert status_of(sub) == Status.ACTIVE


def test_it_creates_a_reseller_client_debiting_the_reseller_pool(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 20)
    sub = create(partner_user, alpha, tbox, reseller=alpha_reseller, users=3, years=1)
    assert sub.client.reseller == alpha_reseller
    assert balance(alpha_reseller, tbox) == 17
    assert balance(alpha, tbox) == 100
    assert ledger_sum(alpha_reseller, tbox) == 17


def test_it_creates_a_client_starting_later_as_not_started(alpha, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    sub = create(partner_user, alpha, tbox, start_date=TODAY + DAY)
    assert status_of(sub) == Status.NOT_STARTED


def test_it_refuses_a_client_starting_in_the_past(alpha, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, start_date=TODAY - DAY)
    assert refused.value.field == "start_date"
    assert snapshot() == before


@pytest.mark.parametrize("start_date", [None, "2025-06-20", datetime.datetime(2025, 6, 20, 10)])
def test_it_refuses_a_start_that_is_not_a_date(alpha, tbox, grant, partner_user, start_date):
    grant(alpha, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, start_date=start_date)
    assert refused.value.field == "start_date"
    assert snapshot() == before


def test_it_refuses_a_reseller_of_another_partner(
    alpha, beta_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    grant(beta_reseller, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, reseller=beta_reseller)
    assert refused.value.field == "reseller"
    assert snapshot() == before


def test_it_refuses_a_partner_as_the_reseller_of_a_client(alpha, beta, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, reseller=beta)
    assert refused.value.field == "reseller"


def test_it_refuses_a_reseller_in_place_of_the_partner(
    alpha_reseller, tbox, grant, partner_user
):
    grant(alpha_reseller, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha_reseller, tbox)
    assert refused.value.field == "partner"
    assert snapshot() == before


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 201])
def test_it_refuses_a_missing_or_too_long_client_name(alpha, tbox, grant, partner_user, name):
    grant(alpha, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, name=name)
    assert refused.value.field == "name"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("years", "users", "field"),
    [(0, 4, "years"), (6, 4, "years"), (1, 0, "users"), (1, 100_001, "users")],
)
def test_it_refuses_a_client_with_years_or_users_out_of_range(
    alpha, tbox, grant, partner_user, years, users, field
):
    grant(alpha, tbox, 10_000_000)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, years=years, users=users)
    assert refused.value.field == field
    assert snapshot() == before


def test_it_refuses_a_client_the_pool_cannot_pay(alpha, tbox, grant, partner_user):
    grant(alpha, tbox, 5)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, users=4, years=2)
    assert refused.value.missing == 3
    assert refused.value.field == "users"
    assert snapshot() == before


def test_it_refuses_a_client_when_the_payer_has_no_pool(
    alpha, alpha_reseller, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        create(partner_user, alpha, tbox, reseller=alpha_reseller, users=4, years=2)
    assert refused.value.missing == 8
    assert snapshot() == before


def test_it_creates_one_client_when_the_form_is_submitted_twice(
    alpha, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    sub = create(partner_user, alpha, tbox, token=token)
    before = snapshot()
    with pytest.raises(AlreadyDone) as again:
        create(partner_user, alpha, tbox, token=token)
    assert again.value.result == {
        "client_id": sub.client_id,
        "subscription_id": sub.pk,
        "licenses": 8,
    }
    assert snapshot() == before
    assert Client.objects.count() == 1
    assert balance(alpha, tbox) == 92


# --- add_subscription: a further product for an existing client --------------------


def test_it_adds_a_second_product_to_a_reseller_client_paid_by_the_reseller(
    alpha, alpha_reseller, tbox, tsend, grant, reseller_user, today
):
    grant(alpha_reseller, tbox, 10)
    grant(alpha_reseller, tsend, 10)
    first = services.create_client(
        actor=reseller_user, partner=alpha, reseller=alpha_reseller, name="Duo SA",
        product=tbox, users=2, years=1, start_date=today,
    )
    second = services.add_subscription(
        actor=reseller_user, client=first.client, product=tsend, users=3, years=2,
        start_date=today,
    )
    assert second.client_id == first.client_id
    assert LicensePool.objects.get(organization=alpha_reseller, product=tsend).balance == 4
    assert LicensePool.objects.get(organization=alpha, product=tsend).balance == 0


def test_it_refuses_a_second_subscription_to_the_same_product(
    alpha, tbox, grant, partner_user, today
):
    grant(alpha, tbox, 10)
    first = services.create_client(
        actor=partner_user, partner=alpha, name="Solo SA", product=tbox, users=2, years=1,
        start_date=today,
    )
    with pytest.raises(OperationRefused) as refused:
        services.add_subscription(
            actor=partner_user, client=first.client, product=tbox, users=1, years=1,
            start_date=today,
        )
    assert refused.value.field == "product"
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 8
    assert Subscription.objects.filter(client=first.client).count() == 1
