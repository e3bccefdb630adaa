"""Rule 21: a co-terming is undone whole, from any of its subscriptions — every extension
cancelled, every subscription back on its term, every pool refunded exactly — and refused
while one of its subscriptions has had a later license-moving operation. Rule 22: a
co-term extension keeps the renewal plan."""

import datetime

import pytest
from django.utils import timezone, translation

from audit.models import Action, AuditEntry
from subscriptions import services
from subscriptions.models import (
    CoTerming,
    LicenseMovement,
    MovementKind,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.services import OperationRefused
from subscriptions.status import Status

from .helpers import TODAY, balance, ledger_sum, renew, snapshot, status_of
from .test_coterm import check_ledger

pytestmark = pytest.mark.django_db

D = datetime.date
COMMON_END = D(2025, 12, 20)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def family(alpha, tbox, tsend, make_subscription, grant):
    """One client: a TBox ending on 30 September, a TSend on 31 October (two pools) and a
    TBox ending on 20 December, the date they are aligned on; pools of 100 each."""
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    first = make_subscription(alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30), users=4)
    client = first.client
    sending = make_subscription(
        alpha, tsend, start=D(2024, 11, 1), end=D(2025, 10, 31), users=30, client=client
    )
    last = make_subscription(
        alpha, tbox, start=D(2024, 12, 21), end=D(2025, 12, 20), users=3, client=client
    )
    return client, first, sending, last


def coterm(actor, client, subscriptions, end=COMMON_END):
    return services.coterm_subscriptions(
        actor=actor, client_id=client.pk, end=end,
        subscription_ids=[subscription.pk for subscription in subscriptions], today=TODAY,
    )


def undo(actor, subscription, **kwargs):
    return services.undo_last_operation(actor=actor, subscription_id=subscription.pk, **kwargs)


def rows(*subscriptions):
    return list(
        Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).order_by("pk")
        .values_list("term_start", "term_end", "users", "years", "previous_term_start",
                     "previous_term_end", "previous_users", "previous_years")
    )


def test_undoing_from_any_subscription_undoes_the_whole_co_terming_and_refunds_each_pool(
    family, partner_user, alpha, tbox, tsend
):
    client, first, sending, last = family
    before = rows(first, sending, last)
    done = coterm(partner_user, client, [first, sending, last])
    # TBox: 81 days for 4 users, ceil(324/365) = 1; TSend: 50 days for 30 users,
    # ceil(1500/365) = 5. The third already ends on the date.
    assert {line.subscription.pk: line.cost for line in done.plan.extended} == {
        first.pk: 1, sending.pk: 5,
    }
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (99, 95)
    written = Subscription.objects.get(pk=first.pk).updated_at

    result = undo(partner_user, sending)

    assert Subscription.objects.get(pk=first.pk).updated_at > written  # every write moves it

    assert result.operation.kind == "coterm"
    assert result.licenses == 6 == done.licenses
    assert result.balance_after == 100  # the TSend pool, the one of the undone row
    plan = result.operation.undo_plan
    assert plan.subscriptions == 2
    assert sorted((refund.pool.product.code, refund.licenses, refund.balance_after)
                  for refund in plan.refunds) == [("TBOX", 1, 100), ("TSEND", 5, 100)]
    assert rows(first, sending, last) == before
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (100, 100)
    assert ledger_sum(alpha, tbox) == 100 and ledger_sum(alpha, tsend) == 100
    reversals = LicenseMovement.objects.filter(kind=MovementKind.REVERSAL)
    assert sorted((line.subscription_id, line.quantity, line.note) for line in reversals) == [
        (first.pk, 1, "Co-terming cancelled"), (sending.pk, 5, "Co-terming cancelled"),
    ]
    extensions = Term.objects.filter(kind=TermKind.COTERM)
    assert all(term.cancelled_by == partner_user for term in extensions)
    coterming = CoTerming.objects.get()
    assert coterming.cancelled_at is not None and coterming.cancelled_by == partner_user
    assert status_of(first) == Status.ACTIVE
    assert "Ledger consistent" in check_ledger()


def test_an_expired_subscription_extended_from_today_goes_back_to_expired(
    alpha, tbox, grant, make_subscription, partner_user
):
    grant(alpha, tbox, 50)
    lapsed = make_subscription(alpha, tbox, start=D(2024, 6, 1), end=D(2025, 5, 31), users=10)
    other = make_subscription(
        alpha, tbox, start=D(2024, 7, 1), end=D(2025, 6, 30), users=2, client=lapsed.client
    )
    before = rows(lapsed, other)
    done = coterm(partner_user, lapsed.client, [lapsed, other], end=D(2025, 6, 30))
    # From today (15 June) to 30 June: 16 days for 10 users, ceil(160/365) = 1.
    assert done.licenses == 1 and status_of(lapsed) == Status.EXPIRING

    assert undo(partner_user, lapsed).licenses == 1

    assert rows(lapsed, other) == before
    assert status_of(lapsed) == Status.EXPIRED
    assert balance(alpha, tbox) == 50 == ledger_sum(alpha, tbox)


def test_it_is_refused_naming_the_subscription_with_a_later_add_on(
    family, partner_user, alpha, tbox
):
    client, first, sending, last = family
    coterm(partner_user, client, [first, sending])
    services.add_users(actor=partner_user, subscription_id=first.pk, users=2, today=TODAY)
    before = snapshot()

    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, sending)

    assert refused.value.code == "later_operation"
    assert "TBox (users added)" in refused.value.message
    assert snapshot() == before
    assert services.undoable_operation(sending.pk) is None
    # Once the add-on is undone, the co-terming stays (nothing earlier becomes undoable).
    assert undo(partner_user, first).operation.kind == "addon"
    with pytest.raises(OperationRefused) as again:
        undo(partner_user, sending)
    assert again.value.code == "later_operation"


def test_it_is_refused_naming_the_subscription_renewed_after_its_extension(
    alpha, tbox, tsend, grant, make_subscription, partner_user
):
    grant(alpha, tbox, 50)
    grant(alpha, tsend, 50)
    lapsed = make_subscription(alpha, tsend, start=D(2024, 6, 1), end=D(2025, 5, 31), users=2)
    other = make_subscription(
        alpha, tbox, start=D(2024, 7, 1), end=D(2025, 6, 30), users=2, client=lapsed.client
    )
    mid = make_subscription(
        alpha, tbox, start=D(2024, 6, 21), end=D(2025, 6, 20), users=2, client=lapsed.client
    )
    coterm(partner_user, lapsed.client, [lapsed, other, mid], end=D(2025, 6, 30))
    renew(partner_user, lapsed)  # queued after the extension, current since today
    before = snapshot()

    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, mid)

    assert refused.value.code == "later_operation"
    assert "TSend (renewed)" in refused.value.message
    assert snapshot() == before


def test_it_is_refused_once_an_extension_has_started_and_seven_days_have_passed(
    alpha, tbox, grant, make_subscription, partner_user
):
    grant(alpha, tbox, 50)
    lapsed = make_subscription(alpha, tbox, start=D(2024, 6, 1), end=D(2025, 5, 31), users=2)
    other = make_subscription(
        alpha, tbox, start=D(2024, 7, 1), end=D(2025, 6, 30), users=2, client=lapsed.client
    )
    mid = make_subscription(
        alpha, tbox, start=D(2024, 6, 21), end=D(2025, 6, 20), users=2, client=lapsed.client
    )
    done = coterm(partner_user, lapsed.client, [lapsed, other, mid], end=D(2025, 6, 30))
    made = done.coterming.created_at

    # Undone from the one whose extension has not started: the other's has.
    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, mid, now=made + datetime.timedelta(hours=168))
    assert refused.value.code == "too_late" and "7 days" in refused.value.message

    assert undo(partner_user, mid, now=made + datetime.timedelta(hours=167)).licenses == 2


def test_a_co_terming_is_undone_once(family, partner_user, alpha, tbox):
    client, first, sending, last = family
    coterm(partner_user, client, [first, sending])
    undo(partner_user, first)

    for subscription in (first, sending):
        with pytest.raises(OperationRefused) as refused:
            undo(partner_user, subscription)
        assert refused.value.code == "nothing_to_undo"
    assert balance(alpha, tbox) == 100
    assert LicenseMovement.objects.filter(kind=MovementKind.REVERSAL).count() == 2


def test_the_subscription_left_out_undoes_its_own_operation_not_the_co_terming(
    family, partner_user, alpha, tbox
):
    client, first, sending, last = family
    renew(partner_user, last)
    coterm(partner_user, client, [first, sending], end=D(2025, 10, 31))

    assert undo(partner_user, last).operation.kind == "renewal"
    assert Term.objects.filter(kind=TermKind.COTERM, cancelled_at__isnull=True).count() == 1


# --- rule 22: the renewal plan survives a co-term extension -------------------------------


def test_a_co_term_extension_keeps_the_renewal_plan_and_the_next_renewal_uses_it(
    family, partner_user, alpha, tbox
):
    client, first, sending, last = family
    services.set_renewal_plan(actor=partner_user, subscription_id=first.pk, users=6, years=2,
                              auto_renew=False)
    coterm(partner_user, client, [first])
    first.refresh_from_db()
    assert (first.renewal_users, first.renewal_years) == (6, 2)

    # The extension starts on 1 October: once it has, the next renewal follows the plan.
    later = D(2025, 12, 1)
    result = services.renew_subscription(
        actor=partner_user, subscription_id=first.pk, years=lambda s: s.renewal_years,
        users=lambda s: s.renewal_users, today=later,
    )
    assert (result.term.start_date, result.term.users, result.term.years) == (
        D(2025, 12, 21), 6, 2,
    )
    first.refresh_from_db()
    assert (first.renewal_users, first.renewal_years) == (None, None)


def test_undoing_a_co_terming_leaves_the_plan_as_it_is(family, partner_user):
    client, first, sending, last = family
    services.set_renewal_plan(actor=partner_user, subscription_id=first.pk, users=6, years=2,
                              auto_renew=False)
    coterm(partner_user, client, [first, sending])
    undo(partner_user, first, now=timezone.now())
    first.refresh_from_db()
    assert (first.renewal_users, first.renewal_years) == (6, 2)


def test_a_second_co_terming_of_one_of_them_is_undone_first_and_alone(
    alpha, tbox, grant, make_subscription, partner_user
):
    grant(alpha, tbox, 50)
    lapsed = make_subscription(alpha, tbox, start=D(2024, 6, 1), end=D(2025, 5, 31), users=2)
    mid = make_subscription(
        alpha, tbox, start=D(2024, 6, 21), end=D(2025, 6, 20), users=2, client=lapsed.client
    )
    first = coterm(partner_user, lapsed.client, [lapsed, mid], end=D(2025, 6, 30))
    # The expired one's extension is current: it may be aligned again, on a month end.
    second = coterm(partner_user, lapsed.client, [lapsed], end=D(2025, 7, 31))
    assert [line.subscription.pk for line in second.plan.extended] == [lapsed.pk]

    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, mid)
    assert refused.value.code == "later_operation"
    assert "TBox (co-termed again)" in refused.value.message

    undone = undo(partner_user, lapsed)
    assert undone.operation.coterming == second.coterming
    assert Subscription.objects.get(pk=lapsed.pk).term_end == D(2025, 6, 30)
    assert not CoTerming.objects.get(pk=first.coterming.pk).cancelled_at
    assert balance(alpha, tbox) == 50 - first.licenses == ledger_sum(alpha, tbox)


def test_the_audit_row_of_the_undo_gives_the_balance_of_the_subscriptions_own_pool(
    family, partner_user, alpha, tbox, tsend
):
    client, first, sending, last = family
    coterm(partner_user, client, [first, sending])

    undo(partner_user, sending)

    [row] = AuditEntry.objects.filter(action=Action.UNDO)
    # The TSend pool got 5 back (95 → 100); the TBox pool's 1 is no part of its balance.
    assert (row.before["balance"], row.after["balance"]) == (95, 100)
    assert (row.after["refunded"], row.after["undone"]) == (6, "coterm")
