"""The service layer, the only writer of pools: renewal (rule 4), client creation (rule 8),
allocation (rule 9) and grants, each refusing bad input without changing anything."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone, translation

from subscriptions import services
from subscriptions.dates import term_end
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    MovementKind,
    OperationToken,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.status import Status
from subscriptions.tokens import issue_token, token_is_valid

TODAY = datetime.date(2025, 6, 15)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def default_rules(settings):
    settings.RENEWAL_WINDOW_MONTHS = 3
    settings.RENEWAL_AFTER_EXPIRY = "restart"


def balance(organization, product):
    return services.pool_balance(organization, product)[1]


def ledger_sum(organization, product):
    total = LicenseMovement.objects.filter(
        pool__organization=organization, pool__product=product
    ).aggregate(total=Sum("quantity"))["total"]
    return total or 0


def snapshot():
    """Everything an operation could change, to prove a refusal changed nothing."""
    return {
        "pools": sorted(LicensePool.objects.values_list("pk", "organization_id", "balance")),
        "movements": LicenseMovement.objects.count(),
        "terms": Term.objects.count(),
        "clients": Client.objects.count(),
        "subscriptions": sorted(
            Subscription.objects.values_list(
                "pk", "term_start", "term_end", "users", "years", "previous_term_end"
            )
        ),
        "tokens": OperationToken.objects.count(),
    }


def status_of(subscription, today=TODAY):
    return Subscription.objects.with_status(today).get(pk=subscription.pk).status


@pytest.fixture
def active(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), users=7
    )


@pytest.fixture
def expiring(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31), users=7
    )


@pytest.fixture
def expired(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2024, 6, 1), end=datetime.date(2025, 5, 31), users=7
    )


def renew(actor, subscription, years=1, **kwargs):
    return services.renew_subscription(
        actor=actor, subscription_id=subscription.pk, years=years, today=TODAY, **kwargs
    )


# --- renewal --------------------------------------------------------------------------


def test_it_renews_by_debiting_users_times_years_from_the_partner_pool(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    result = renew(partner_user, expiring, years=3, users=4)
    assert result.licenses == 12
    assert result.balance_after == 88
    assert balance(alpha, tbox) == 88
    assert ledger_sum(alpha, tbox) == 88


def test_it_renews_a_reseller_client_from_the_reseller_pool_only(
    alpha, alpha_reseller, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), users=3, reseller=alpha_reseller
    )
    renew(partner_user, sub, years=2)
    assert balance(alpha_reseller, tbox) == 44
    assert balance(alpha, tbox) == 100
    assert ledger_sum(alpha_reseller, tbox) == 44


def test_a_renewal_writes_its_term_ledger_line_subscription_and_token_together(
    alpha, alpha_reseller, tbox, grant, partner_user, make_subscription
):
    """Every row a renewal writes, as the ledger, the lists and a repeated form read them
    (on PostgreSQL all of it is one statement, services._RENEWAL_IN_ONE_STATEMENT_SQL)."""
    grant(alpha_reseller, tbox, 50)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31),
        users=3, reseller=alpha_reseller,
    )
    services.mark_not_renewing(
        actor=partner_user, subscription_id=sub.pk, reason="price", comment="too dear"
    )
    token = issue_token(partner_user)
    before = timezone.now()
    result = renew(partner_user, sub, years=2, users=4, token=token)
    after = timezone.now()

    term = Term.objects.get(pk=result.term.pk)
    assert (term.subscription_id, term.kind, term.start_date, term.end_date) == (
        sub.pk, TermKind.RENEWAL, datetime.date(2025, 8, 1), datetime.date(2027, 7, 31)
    )
    assert (term.users, term.years, term.licenses, term.created_by) == (4, 2, 8, partner_user)
    assert term.cancelled_at is None

    line = LicenseMovement.objects.get(term=term)
    assert (line.pool.organization, line.pool.product) == (alpha_reseller, tbox)
    assert (line.quantity, line.balance_after, line.kind) == (-8, 42, MovementKind.RENEWAL)
    assert (line.subscription_id, line.actor, line.note) == (sub.pk, partner_user, "")
    assert before <= term.created_at <= line.created_at <= after
    assert balance(alpha_reseller, tbox) == 42 == result.balance_after

    renewed = Subscription.objects.get(pk=sub.pk)
    assert (renewed.previous_term_start, renewed.previous_term_end) == (
        datetime.date(2024, 8, 1), datetime.date(2025, 7, 31)
    )
    assert (renewed.previous_users, renewed.previous_years) == (3, 1)
    assert (renewed.term_start, renewed.term_end, renewed.users, renewed.years) == (
        datetime.date(2025, 8, 1), datetime.date(2027, 7, 31), 4, 2
    )
    assert renewed.not_renewing_reason is None
    assert (renewed.not_renewing_comment, renewed.not_renewing_at) == ("", None)
    assert renewed.not_renewing_by is None
    assert status_of(sub) == Status.RENEWED

    assert OperationToken.objects.get(key=token).result == {
        "subscription_id": sub.pk, "term_id": term.pk, "licenses": 8, "end_date": "2027-07-31",
    }
    # What the caller is handed is what is now true, without reading it again.
    assert result.subscription.status == Status.RENEWED
    assert result.subscription.pool_id == line.pool_id
    assert (result.subscription.current_start, result.subscription.current_end) == (
        datetime.date(2024, 8, 1), datetime.date(2025, 7, 31)
    )


def test_it_renews_for_the_current_number_of_users_by_default(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    result = renew(partner_user, expiring, years=2)
    assert result.licenses == 14
    assert result.term.users == 7
    assert balance(alpha, tbox) == 86


def test_it_starts_the_new_term_the_day_after_an_active_term_ends(
    alpha, tbox, grant, partner_user, active
):
    grant(alpha, tbox, 100)
    assert status_of(active) == Status.ACTIVE
    result = renew(partner_user, active, years=1)
    assert result.term.start_date == datetime.date(2026, 1, 1)
    assert result.term.end_date == datetime.date(2026, 12, 31)
    assert status_of(active) == Status.RENEWED


def test_it_starts_the_new_term_the_day_after_an_expiring_term_ends(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    assert status_of(expiring) == Status.EXPIRING
    result = renew(partner_user, expiring, years=2)
    assert result.term.start_date == datetime.date(2025, 8, 1)
    assert result.term.end_date == datetime.date(2027, 7, 31)
    row = Subscription.objects.with_status(TODAY).get(pk=expiring.pk)
    assert row.status == Status.RENEWED
    assert row.current_end == datetime.date(2025, 7, 31)
    assert row.term_end == datetime.date(2027, 7, 31)


def test_it_restarts_an_expired_subscription_today(alpha, tbox, grant, partner_user, expired):
    grant(alpha, tbox, 100)
    assert status_of(expired) == Status.EXPIRED
    result = renew(partner_user, expired, years=1)
    assert result.term.start_date == TODAY
    assert result.term.end_date == datetime.date(2026, 6, 14)
    assert status_of(expired) == Status.ACTIVE
    assert balance(alpha, tbox) == 93


def test_it_continues_an_expired_subscription_from_its_old_end_when_configured(
    settings, alpha, tbox, grant, partner_user, expired
):
    settings.RENEWAL_AFTER_EXPIRY = "continuous"
    grant(alpha, tbox, 100)
    result = renew(partner_user, expired, years=1)
    assert result.term.start_date == datetime.date(2025, 6, 1)
    assert result.term.end_date == datetime.date(2026, 5, 31)
    assert status_of(expired) == Status.ACTIVE
    assert balance(alpha, tbox) == 93


def test_it_ends_a_renewal_starting_29_february_on_27_february(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2023, 3, 1), end=datetime.date(2024, 2, 28)
    )
    result = services.renew_subscription(
        actor=partner_user, subscription_id=sub.pk, years=1, today=datetime.date(2024, 1, 10)
    )
    assert result.term.start_date == datetime.date(2024, 2, 29)
    assert result.term.end_date == datetime.date(2025, 2, 27)


def test_it_refuses_a_second_renewal_while_one_is_queued(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    renew(partner_user, expiring, years=1)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused, translation.override("en"):
        renew(partner_user, expiring, years=1)
    assert refused.value.code == "already_renewed"
    assert "already has a renewal" in refused.value.message
    assert snapshot() == before
    assert balance(alpha, tbox) == 93
    assert Term.objects.filter(subscription=expiring).count() == 2


def test_it_refuses_to_renew_a_subscription_that_has_not_started(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    sub = make_subscription(alpha, tbox, start=TODAY + DAY)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        renew(partner_user, sub)
    assert refused.value.code == "not_started"
    assert snapshot() == before


def test_it_renews_again_once_the_queued_term_has_started(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    first = renew(partner_user, expiring, years=1)
    second = services.renew_subscription(
        actor=partner_user,
        subscription_id=expiring.pk,
        years=1,
        today=first.term.start_date,
    )
    assert second.term.start_date == first.term.end_date + DAY
    assert balance(alpha, tbox) == 86
    row = Subscription.objects.with_status(first.term.start_date).get(pk=expiring.pk)
    assert row.status == Status.RENEWED
    assert row.current_end == first.term.end_date


def test_it_refuses_a_renewal_the_pool_cannot_pay_and_says_how_many_are_missing(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 10)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        renew(partner_user, expiring, years=2)
    assert refused.value.code == "not_enough_licenses"
    assert refused.value.missing == 14 - 10
    assert refused.value.field == "users"
    assert snapshot() == before
    assert balance(alpha, tbox) == 10
    assert status_of(expiring) == Status.EXPIRING


def test_it_renews_when_the_pool_holds_exactly_the_cost(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 14)
    renew(partner_user, expiring, years=2)
    assert balance(alpha, tbox) == 0
    assert ledger_sum(alpha, tbox) == 0


def test_it_refuses_a_renewal_when_the_payer_has_no_pool_at_all(
    alpha, alpha_reseller, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), users=3, reseller=alpha_reseller
    )
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        renew(partner_user, sub, years=2)
    assert refused.value.missing == 6
    assert snapshot() == before
    assert not LicensePool.objects.filter(organization=alpha_reseller).exists()


@pytest.mark.parametrize(
    ("years", "users", "field"),
    [
        (0, 5, "years"),
        (6, 5, "years"),
        (-1, 5, "years"),
        (None, 5, "years"),
        ("2", 5, "years"),
        (True, 5, "years"),
        (1, 0, "users"),
        (1, -3, "users"),
        (1, 100_001, "users"),
        (1, 2.5, "users"),
    ],
)
def test_it_refuses_years_or_users_out_of_range(
    alpha, tbox, grant, partner_user, expiring, years, users, field
):
    grant(alpha, tbox, 10_000_000)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        renew(partner_user, expiring, years=years, users=users)
    assert refused.value.field == field
    assert snapshot() == before


def test_it_accepts_the_largest_renewal(alpha, tbox, grant, partner_user, expiring):
    grant(alpha, tbox, 500_000)
    result = renew(partner_user, expiring, years=5, users=100_000)
    assert result.licenses == 500_000
    assert balance(alpha, tbox) == 0


def test_it_debits_once_when_the_same_form_is_submitted_twice(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    first = renew(partner_user, expiring, years=2, token=token)
    before = snapshot()
    with pytest.raises(AlreadyDone) as again:
        renew(partner_user, expiring, years=2, token=token)
    assert again.value.result == {
        "subscription_id": expiring.pk,
        "term_id": first.term.pk,
        "licenses": 14,
        "end_date": "2027-07-31",
    }
    assert snapshot() == before
    assert balance(alpha, tbox) == 86
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 1


def test_it_answers_already_done_before_checking_anything_else(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    renew(partner_user, expiring, years=1, token=token)
    # Same token, other figures: the repeat is recognised, nothing is re-validated.
    with pytest.raises(AlreadyDone):
        renew(partner_user, expiring, years=9, token=token)
    assert balance(alpha, tbox) == 93


def test_it_lets_a_refused_form_be_submitted_again_with_the_same_token(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 5)
    token = issue_token(partner_user)
    with pytest.raises(OperationRefused):
        renew(partner_user, expiring, years=1, token=token)
    assert not OperationToken.objects.filter(key=token).exists()
    grant(alpha, tbox, 5)
    renew(partner_user, expiring, years=1, token=token)
    assert balance(alpha, tbox) == 3


def test_it_writes_the_term_and_the_ledger_line_of_a_renewal(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    result = renew(partner_user, expiring, years=2, users=3)

    term = Term.objects.get(pk=result.term.pk)
    assert term.subscription_id == expiring.pk
    assert term.kind == TermKind.RENEWAL
    assert (term.start_date, term.end_date) == (
        datetime.date(2025, 8, 1),
        term_end(term.start_date, 2),
    )
    assert (term.users, term.years, term.licenses) == (3, 2, 6)
    assert term.created_by == partner_user

    movement = LicenseMovement.objects.get(term=term)
    assert movement.kind == MovementKind.RENEWAL
    assert movement.quantity == -6
    assert movement.balance_after == 94
    assert movement.subscription_id == expiring.pk
    assert movement.actor == partner_user
    assert movement.pool == LicensePool.objects.get(organization=alpha, product=tbox)


def test_it_returns_the_subscription_as_renewed(alpha, tbox, grant, partner_user, expiring):
    grant(alpha, tbox, 100)
    result = renew(partner_user, expiring, years=2, users=3)
    assert result.subscription.pk == expiring.pk
    assert result.subscription.term_end == datetime.date(2027, 7, 31)
    assert result.subscription.users == 3
    assert result.subscription.status == Status.RENEWED
    assert result.subscription.current_end == datetime.date(2025, 7, 31)


def test_it_keeps_the_previous_term_on_the_subscription(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    renew(partner_user, expiring, years=2, users=3)
    expiring.refresh_from_db()
    assert (expiring.previous_term_start, expiring.previous_term_end) == (
        datetime.date(2024, 8, 1),
        datetime.date(2025, 7, 31),
    )
    assert (expiring.previous_users, expiring.previous_years) == (7, 1)
    assert (expiring.term_start, expiring.term_end) == (
        datetime.date(2025, 8, 1),
        datetime.date(2027, 7, 31),
    )
    assert (expiring.users, expiring.years) == (3, 2)


# --- client creation ------------------------------------------------------------------


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


# --- allocation -----------------------------------------------------------------------


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


# --- grants ---------------------------------------------------------------------------


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


# --- one-time tokens ------------------------------------------------------------------


def test_it_accepts_a_token_only_from_the_user_it_was_issued_to(partner_user, reseller_user):
    token = issue_token(partner_user)
    assert token_is_valid(partner_user, token)
    assert not token_is_valid(reseller_user, token)
    assert issue_token(partner_user) != token


@pytest.mark.parametrize("token", [None, "", 42, "forged:token", "x" * 101])
def test_it_refuses_a_missing_or_forged_token(partner_user, token):
    assert not token_is_valid(partner_user, token)


def test_it_refuses_a_tampered_token(partner_user, reseller_user):
    token = issue_token(partner_user)
    value, _sep, signature = token.rpartition(":")
    forged = value.replace(f"{partner_user.pk}:", f"{reseller_user.pk}:", 1) + ":" + signature
    assert not token_is_valid(reseller_user, forged)


def test_it_refuses_a_stale_token(settings, partner_user):
    token = issue_token(partner_user)
    settings.OPERATION_TOKEN_MAX_AGE = -1
    assert not token_is_valid(partner_user, token)


def test_it_issues_tokens_that_fit_the_token_column(db):
    # The largest id of auth's user table (a 32-bit integer column).
    user = get_user_model().objects.create_user("big", pk=2_147_483_647)
    token = issue_token(user)
    assert len(token) <= OperationToken._meta.get_field("key").max_length
    assert token_is_valid(user, token)


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
