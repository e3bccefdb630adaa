"""Renewing one subscription (rule 4): the rows it writes, where its term starts, what it
refuses without changing anything, and a form sent twice debiting once."""

import datetime

import pytest
from django.utils import timezone, translation

from subscriptions import services
from subscriptions.dates import term_end
from subscriptions.models import (
    LicenseMovement,
    LicensePool,
    MovementKind,
    OperationToken,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status

from .helpers import DAY, TODAY, balance, ledger_sum, renew, snapshot, status_of


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
    (on PostgreSQL all of it is one statement, services.renewal_writer._ONE_RENEWAL_SQL)."""
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
