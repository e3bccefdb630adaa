"""Adding users mid-term (docs/rules.md rules 18 and 19): what each term costs, the rows
written, what is refused without changing anything, and a form sent twice debiting once."""

import datetime

import pytest
from django.utils import translation

from subscriptions import services
from subscriptions.dates import span_cost, term_end
from subscriptions.management.commands.check_ledger import ledger_report
from subscriptions.models import LicenseMovement, MovementKind, Subscription, Term
from subscriptions.models_addon import TermChange
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.addon import part_cost, span_years_days
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status

from .helpers import TODAY, balance, ledger_sum, renew, snapshot, status_of

pytestmark = pytest.mark.django_db


def add(actor, subscription, users, **kwargs):
    return services.add_users(
        actor=actor, subscription_id=subscription.pk, users=users, today=TODAY, **kwargs
    )


def ledger_holds():
    return all(balance == total and not broken
               for _id, _org, _code, balance, total, _lines, broken in ledger_report())


def test_an_active_term_costs_the_span_from_today_to_its_end(
    alpha, tbox, grant, partner_user, active
):
    grant(alpha, tbox, 100)
    result = add(partner_user, active, 3)
    # 15 June to 31 December 2025: 200 days, 3 users → ⌈600 / 365⌉ = 2.
    assert result.licenses == span_cost(3, TODAY, datetime.date(2025, 12, 31)) == 2
    assert balance(alpha, tbox) == 98 == ledger_sum(alpha, tbox)
    assert [(p.kind, p.licenses) for p in result.plan.parts] == [("current", 2)]
    sub = Subscription.objects.get(pk=active.pk)
    assert sub.users == 10
    term = Term.objects.get(subscription=active)
    assert (term.users, term.licenses) == (10, 2)
    line = LicenseMovement.objects.get(kind=MovementKind.ADDON)
    assert (line.quantity, line.subscription_id, line.term_id) == (-2, active.pk, term.pk)
    change = TermChange.objects.get()
    assert (change.term_id, change.users_added, change.licenses, change.created_by) == (
        term.pk, 3, 2, partner_user
    )
    assert change.movement == line
    assert ledger_holds()


def test_a_term_not_started_costs_users_times_its_years(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    start = datetime.date(2025, 9, 1)
    sub = make_subscription(alpha, tbox, start=start, end=term_end(start, 3), years=3, users=4)
    assert status_of(sub) == Status.NOT_STARTED
    result = add(partner_user, sub, 5)
    assert result.licenses == 15
    assert balance(alpha, tbox) == 85
    assert Subscription.objects.get(pk=sub.pk).users == 9


def test_a_term_crossing_the_new_year(alpha, tbox, grant, partner_user, make_subscription):
    grant(alpha, tbox, 1000)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2024, 10, 1), end=datetime.date(2026, 3, 31),
        years=2, users=1,
    )
    # 15 June 2025 to 31 March 2026: 290 days for 100 users → ⌈29 000 / 365⌉ = 80.
    assert add(partner_user, sub, 100).licenses == 80
    assert balance(alpha, tbox) == 920


def test_a_leap_year_counts_its_whole_year_once_per_user(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 1000)
    today = datetime.date(2027, 6, 15)
    sub = make_subscription(
        alpha, tbox, start=datetime.date(2027, 1, 1), end=datetime.date(2028, 12, 31),
        years=2, users=2,
    )
    # 15 June 2027 – 14 June 2028 (29 February inside) is one whole year; then 201 days.
    result = services.add_users(actor=partner_user, subscription_id=sub.pk, users=10,
                                today=today)
    assert result.licenses == 10 + 6 == span_cost(10, today, datetime.date(2028, 12, 31))


def test_a_queued_renewal_gets_the_same_users_at_its_own_cost(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    renew(partner_user, expiring, years=2)  # 7 users × 2 years
    assert status_of(expiring) == Status.RENEWED
    result = add(partner_user, expiring, 4)
    current_cost = span_cost(4, TODAY, datetime.date(2025, 7, 31))  # 47 days → 1
    assert [(p.kind, p.licenses) for p in result.plan.parts] == [
        ("current", current_cost), ("queued", 8)
    ]
    assert result.licenses == current_cost + 8
    assert balance(alpha, tbox) == 100 - 14 - result.licenses
    # One ledger line for the total, a change line per term.
    assert LicenseMovement.objects.filter(kind=MovementKind.ADDON).count() == 1
    assert TermChange.objects.count() == 2
    sub = Subscription.objects.get(pk=expiring.pk)
    assert (sub.previous_users, sub.users) == (11, 11)
    assert sorted(Term.objects.filter(subscription=expiring).values_list("users", flat=True)) == [
        11, 11
    ]
    with_status = Subscription.objects.with_status(TODAY).get(pk=expiring.pk)
    assert with_status.current_users == 11
    assert ledger_holds()


def test_an_expired_subscription_is_refused_renew_it_instead(
    alpha, tbox, grant, partner_user, expired
):
    grant(alpha, tbox, 100)
    before = snapshot()
    with translation.override("fr"), pytest.raises(OperationRefused) as refused:
        add(partner_user, expired, 1)
    assert refused.value.code == "expired" and refused.value.field == "users"
    assert "renouvelez-le" in refused.value.message
    assert snapshot() == before


@pytest.mark.parametrize("users", [0, -1, 100_001, "3", None, True])
def test_users_out_of_range_are_refused(alpha, tbox, grant, partner_user, active, users):
    grant(alpha, tbox, 1_000_000)
    before = snapshot()
    with pytest.raises(OperationRefused) as refused:
        add(partner_user, active, users)
    assert refused.value.field == "users"
    assert snapshot() == before


def test_the_total_stays_within_100_000_users(alpha, tbox, grant, partner_user, active):
    grant(alpha, tbox, 1_000_000)
    with pytest.raises(OperationRefused) as refused:
        add(partner_user, active, 100_000 - 7 + 1)
    assert "99" in refused.value.message  # the most that may still be added: 99 993
    assert add(partner_user, active, 100_000 - 7).subscription.users == 100_000
    with pytest.raises(OperationRefused):
        add(partner_user, active, 1)


def test_a_pool_one_license_short_is_refused_naming_what_is_missing(
    alpha, tbox, grant, partner_user, active
):
    grant(alpha, tbox, 1)  # 3 users cost 2
    before = snapshot()
    with translation.override("en"), pytest.raises(OperationRefused) as refused:
        add(partner_user, active, 3)
    assert refused.value.code == "not_enough_licenses"
    assert refused.value.missing == 1
    assert "1 license is missing" in refused.value.message
    assert snapshot() == before
    assert TermChange.objects.count() == 0


def test_a_form_sent_twice_debits_once(alpha, tbox, grant, partner_user, active):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    add(partner_user, active, 3, token=token)
    with pytest.raises(AlreadyDone) as done:
        add(partner_user, active, 3, token=token)
    assert done.value.result["licenses"] == 2 and done.value.result["users"] == 3
    assert balance(alpha, tbox) == 98
    assert Subscription.objects.get(pk=active.pk).users == 10


def test_a_refused_form_leaves_its_token_for_the_corrected_one(
    alpha, tbox, grant, partner_user, active
):
    grant(alpha, tbox, 2)
    token = issue_token(partner_user)
    with pytest.raises(OperationRefused):
        add(partner_user, active, 30, token=token)
    assert add(partner_user, active, 3, token=token).licenses == 2


def test_the_preview_is_what_the_add_on_debits(alpha, tbox, grant, partner_user, expiring):
    grant(alpha, tbox, 100)
    renew(partner_user, expiring, years=1)
    shown = Subscription.objects.with_status(TODAY).get(pk=expiring.pk)
    plan = services.plan_addon(shown, 9, today=TODAY)
    assert Term.objects.filter(subscription=expiring).count() == 2  # wrote nothing
    assert add(partner_user, expiring, 9).licenses == plan.licenses


def test_the_split_figures_give_rule_18s_cost():
    """The form's script computes N × Y + ⌈N × R / 365⌉ from each part's (Y, R)."""
    first = datetime.date(2024, 2, 29)
    for days in (0, 1, 364, 365, 366, 700, 1500):
        last = first + datetime.timedelta(days=days)
        years, rest = span_years_days(first, last)
        for users in (1, 7, 365, 100_000):
            assert part_cost(users, years, rest) == span_cost(users, first, last)
