"""Rule 20: co-terming a client's subscriptions on one end date, seen from TODAY."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from subscriptions import services
from subscriptions.models import (
    CoTermDebit,
    CoTermExtension,
    CoTerming,
    LicenseMovement,
    LicensePool,
    MovementKind,
    NotRenewingReason,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.selectors import coterm as simulator
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status

from .helpers import TODAY, balance, ledger_sum, snapshot, status_of

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def in_english():
    """The refusals' sentences are read in English here (the views' tests read French)."""
    with translation.override("en"):
        yield


def check_ledger():
    out = io.StringIO()
    call_command("check_ledger", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def client_of_two(alpha, tbox, make_subscription, grant):
    """A client whose TBox ends on 30 September and a second TBox on 20 December."""
    grant(alpha, tbox, 100)
    first = make_subscription(alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30), users=4)
    second = make_subscription(
        alpha, tbox, start=D(2024, 12, 21), end=D(2025, 12, 20), users=3, client=first.client
    )
    return first.client, first, second


def coterm(actor, client, end, subscriptions, **kwargs):
    return services.coterm_subscriptions(
        actor=actor, client_id=client.pk, end=end,
        subscription_ids=[subscription.pk for subscription in subscriptions], today=TODAY,
        **kwargs,
    )


def test_it_extends_to_a_client_end_date_and_queues_the_extension(
    client_of_two, partner_user, alpha, tbox
):
    client, first, second = client_of_two

    result = coterm(partner_user, client, D(2025, 12, 20), [first, second])

    # 1 October to 20 December: 81 days for 4 users, ceil(324 / 365).
    assert result.licenses == 1
    assert [line.left_out for line in result.plan.lines] == [None, "ends_on_or_after"]
    first.refresh_from_db()
    assert (first.term_start, first.term_end, first.users) == (D(2025, 10, 1), D(2025, 12, 20), 4)
    assert (first.previous_term_start, first.previous_term_end) == (D(2024, 10, 1), D(2025, 9, 30))
    assert status_of(first) == Status.RENEWED
    assert Subscription.objects.get(pk=second.pk).term_end == D(2025, 12, 20)
    term = Term.objects.get(subscription=first, kind=TermKind.COTERM)
    assert (term.start_date, term.end_date, term.licenses) == (D(2025, 10, 1), D(2025, 12, 20), 1)
    assert balance(alpha, tbox) == 99 == ledger_sum(alpha, tbox)
    line = LicenseMovement.objects.get(kind=MovementKind.COTERM)
    assert (line.quantity, line.balance_after, line.actor) == (-1, 99, partner_user)
    # What undoing it whole needs: the group, its terms with their pool, the debit line.
    group = CoTerming.objects.get()
    assert (group.client, group.end_date, group.licenses) == (client, D(2025, 12, 20), 1)
    assert CoTermExtension.objects.get().term == term
    assert CoTermDebit.objects.get().movement == line
    assert "Ledger consistent" in check_ledger()


def test_it_aligns_on_a_month_end_across_the_new_year(client_of_two, partner_user, alpha, tbox):
    client, first, second = client_of_two

    result = coterm(partner_user, client, D(2026, 1, 31), [first, second])

    # 1 Oct 2025 → 31 Jan 2026 (123 days, 4 users) and 21 Dec → 31 Jan (42 days, 3 users).
    costs = {line.subscription.pk: (line.days, line.cost) for line in result.plan.lines}
    assert costs == {first.pk: (123, 2), second.pk: (42, 1)}
    assert balance(alpha, tbox) == 97
    assert CoTermDebit.objects.count() == 1  # one ledger line for the pool
    assert LicenseMovement.objects.get(kind=MovementKind.COTERM).quantity == -3
    assert set(Term.objects.filter(kind=TermKind.COTERM).values_list("end_date", flat=True)) == {
        D(2026, 1, 31)
    }


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (D(2025, 11, 15), "end dates or the last day of a month"),
        (TODAY, "after today"),
        (D(2025, 5, 31), "after today"),
        # The latest end is 20 December 2025: 20 December 2026 at the latest.
        (D(2026, 12, 31), "12 months"),
    ],
)
def test_it_refuses_a_date_rule_20_does_not_allow(client_of_two, partner_user, end, message):
    client, first, second = client_of_two
    before = snapshot()

    with pytest.raises(OperationRefused) as refused:
        coterm(partner_user, client, end, [first, second])

    assert refused.value.field == "end" and message in refused.value.message
    assert snapshot() == before


def test_the_latest_date_is_one_year_term_after_the_latest_end(client_of_two):
    ends = {D(2025, 9, 30), D(2025, 12, 20)}
    assert simulator.latest_allowed(ends) == D(2026, 12, 20)
    allowed = simulator.allowed_end_dates(ends, today=TODAY)
    assert allowed[0] == D(2025, 6, 30) and allowed[-1] == D(2026, 11, 30)
    assert D(2025, 9, 30) in allowed and D(2025, 12, 20) in allowed
    assert simulator.end_date_error(D(2026, 11, 30), ends, today=TODAY) is None


def test_a_term_ending_at_the_end_of_time_breaks_nothing():
    ends = {D(9999, 12, 31)}
    assert simulator.latest_allowed(ends) == D(9999, 12, 31)
    assert simulator.allowed_end_dates(ends, today=D(9999, 10, 15)) == [
        D(9999, 10, 31), D(9999, 11, 30), D(9999, 12, 31)
    ]
    assert simulator.end_date_error(D(9999, 11, 30), ends, today=D(9999, 10, 15)) is None


def test_leap_years_a_whole_year_costs_one_license_per_user(
    alpha, tbox, make_subscription, grant, partner_user
):
    grant(alpha, tbox, 100)
    first = make_subscription(alpha, tbox, start=D(2025, 3, 1), end=D(2026, 2, 28), users=10)
    second = make_subscription(
        alpha, tbox, start=D(2025, 3, 1), end=D(2027, 2, 28), years=2, users=10,
        client=first.client,
    )
    # Rule 3 counts the 12 months from 1 March 2027: up to 29 February 2028.
    assert simulator.latest_allowed({D(2026, 2, 28), D(2027, 2, 28)}) == D(2028, 2, 29)

    result = coterm(partner_user, first.client, D(2028, 2, 29), [first, second])

    # Two whole years (the second has 366 days) and one whole year of 366 days.
    assert [(line.days, line.cost) for line in result.plan.lines] == [(731, 20), (366, 10)]
    assert balance(alpha, tbox) == 70


def test_an_expired_subscription_is_extended_from_today_and_current_at_once(
    expired, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 100)

    result = coterm(partner_user, expired.client, D(2025, 12, 31), [expired])

    # 15 June to 31 December: 200 days for 7 users, ceil(1400 / 365).
    [line] = result.plan.lines
    assert (line.start, line.days, line.cost) == (TODAY, 200, 4)
    expired.refresh_from_db()
    assert (expired.term_start, expired.term_end) == (TODAY, D(2025, 12, 31))
    assert expired.previous_term_end == D(2025, 5, 31)
    assert status_of(expired) == Status.ACTIVE
    assert balance(alpha, tbox) == 96


def test_queued_not_renewing_and_not_started_are_left_out_with_a_reason(
    alpha, tbox, tsend, make_subscription, partner_user, grant
):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    extended = make_subscription(alpha, tbox, start=D(2024, 7, 1), end=D(2025, 6, 30))
    client = extended.client
    queued = make_subscription(
        alpha, tsend, start=D(2024, 7, 1), end=D(2025, 6, 30), renewal_years=1, client=client
    )
    marked = make_subscription(alpha, tbox, start=D(2024, 7, 1), end=D(2025, 6, 30), client=client)
    Subscription.objects.filter(pk=marked.pk).update(not_renewing_reason=NotRenewingReason.PRICE)
    future = make_subscription(alpha, tsend, start=D(2025, 7, 1), end=D(2025, 7, 31), client=client)
    chosen = [extended, queued, marked, future]

    result = coterm(partner_user, client, D(2025, 9, 30), chosen)

    reasons = {line.subscription.pk: line.left_out for line in result.plan.lines}
    assert reasons == {
        extended.pk: None, queued.pk: "queued_term", marked.pk: "not_renewing",
        future.pk: "not_started",
    }
    assert Term.objects.filter(kind=TermKind.COTERM).get().subscription_id == extended.pk
    assert Subscription.objects.get(pk=queued.pk).term_end == D(2026, 6, 30)
    assert Subscription.objects.get(pk=marked.pk).term_end == D(2025, 6, 30)
    assert balance(alpha, tsend) == 100


def test_a_pool_one_license_short_refuses_everything(
    alpha, tbox, tsend, make_subscription, partner_user, grant
):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 2)
    first = make_subscription(alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30), users=10)
    # 1 October to 31 December for 10 users: ceil(920 / 365) = 3, one more than the pool.
    second = make_subscription(
        alpha, tsend, start=D(2024, 10, 1), end=D(2025, 9, 30), users=10, client=first.client
    )
    before = snapshot()

    with pytest.raises(OperationRefused) as refused:
        coterm(partner_user, first.client, D(2025, 12, 31), [first, second],
               token=issue_token(partner_user))

    assert refused.value.code == "not_enough_licenses"
    tsend_pool = LicensePool.objects.get(organization=alpha, product=tsend)
    assert refused.value.missing == {tsend_pool.pk: 1}
    assert "TSend" in refused.value.message and "TBox" not in refused.value.message
    assert snapshot() == before
    assert CoTerming.objects.count() == 0


def test_another_clients_subscription_is_never_extended(
    client_of_two, alpha, tbox, make_subscription, partner_user
):
    client, first, _second = client_of_two
    stranger = make_subscription(alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30))
    before = snapshot()

    with pytest.raises(OperationRefused) as refused:
        coterm(partner_user, client, D(2025, 12, 20), [first, stranger])

    assert refused.value.field == "subscriptions"
    assert snapshot() == before


def test_a_form_sent_twice_debits_once(client_of_two, partner_user, alpha, tbox):
    client, first, second = client_of_two
    token = issue_token(partner_user)
    coterm(partner_user, client, D(2025, 12, 31), [first, second], token=token)
    paid = balance(alpha, tbox)

    with pytest.raises(AlreadyDone) as done:
        coterm(partner_user, client, D(2025, 12, 31), [first, second], token=token)

    assert done.value.result["licenses"] == 100 - paid
    assert balance(alpha, tbox) == paid
    assert CoTerming.objects.count() == 1


def test_nothing_to_extend_is_refused(client_of_two, partner_user):
    client, _first, second = client_of_two
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        coterm(partner_user, client, D(2025, 12, 20), [second])
    assert refused.value.code == "nothing_to_extend"
    assert snapshot() == before


def test_a_resellers_client_is_paid_by_the_resellers_pool(
    alpha, alpha_reseller, tbox, make_subscription, reseller_user, grant
):
    grant(alpha_reseller, tbox, 10)
    grant(alpha, tbox, 10)
    subscription = make_subscription(
        alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30), reseller=alpha_reseller
    )

    coterm(reseller_user, subscription.client, D(2025, 10, 31), [subscription])

    assert balance(alpha_reseller, tbox) == 9 and balance(alpha, tbox) == 10
    assert "Ledger consistent" in check_ledger()


def test_an_add_on_before_a_co_terming_is_not_undone_from_under_its_extension(
    client_of_two, partner_user, alpha, tbox
):
    client, first, second = client_of_two
    services.add_users(actor=partner_user, subscription_id=first.pk, users=2, today=TODAY)
    after_add_on = balance(alpha, tbox)
    done = coterm(partner_user, client, D(2025, 12, 20), [first, second])

    # The undo takes the co-terming (rule 21), the last operation; the add-on stays.
    undone = services.undo_last_operation(actor=partner_user, subscription_id=first.pk)
    assert undone.operation.kind == "coterm" and undone.licenses == done.licenses
    assert balance(alpha, tbox) == after_add_on
    assert Subscription.objects.get(pk=first.pk).users == 6

    with pytest.raises(OperationRefused) as refused:
        services.undo_last_operation(actor=partner_user, subscription_id=first.pk)
    assert refused.value.code == "nothing_to_undo"
    assert services.undoable_operation(first.pk) is None
    assert balance(alpha, tbox) == after_add_on
    assert "Ledger consistent" in check_ledger()
