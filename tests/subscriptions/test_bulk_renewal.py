"""Rule 13: renewing a selection in one transaction, all or none, one ledger line each."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.db.models import Sum

from subscriptions import services
from subscriptions.dates import term_end
from subscriptions.models import LicenseMovement, LicensePool, MovementKind, Subscription, Term
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.ledger import balance
from tests.helpers.markers import postgres_only


@pytest.fixture
def due(make_subscription, today):
    """due(organization, product, n, users=...): n expiring subscriptions."""

    def _due(partner, product, count, *, users=2, reseller=None):
        end = today + datetime.timedelta(days=10)
        start = end - relativedelta(years=1) + datetime.timedelta(days=1)
        return [
            make_subscription(partner, product, start=start, end=end, users=users,
                              reseller=reseller)
            for _ in range(count)
        ]

    return _due


def _ledger_sum(organization, product):
    return LicenseMovement.objects.filter(
        pool__organization=organization, pool__product=product
    ).aggregate(total=Sum("quantity"))["total"]


@pytest.mark.parametrize("count", [1, 50, 500])
def test_it_renews_every_subscription_of_the_selection_with_one_ledger_line_each(
    count, partner_user, alpha, tbox, grant, due, today
):
    grant(alpha, tbox, 2000)
    subscriptions = due(alpha, tbox, count, users=2)

    result = services.renew_subscriptions(
        actor=partner_user, subscription_ids=[s.pk for s in subscriptions], years=1
    )

    assert result.licenses == 2 * count
    assert balance(alpha, tbox) == 2000 - 2 * count
    assert _ledger_sum(alpha, tbox) == 2000 - 2 * count
    lines = LicenseMovement.objects.filter(kind=MovementKind.RENEWAL)
    assert lines.count() == count
    assert set(lines.values_list("subscription_id", flat=True)) == {s.pk for s in subscriptions}
    # The lines' balances run down one after the other to the final balance.
    assert sorted(lines.values_list("balance_after", flat=True)) == list(
        range(2000 - 2 * count, 2000, 2)
    )
    statuses = Subscription.objects.with_status().filter(pk__in=[s.pk for s in subscriptions])
    assert {s.status for s in statuses} == {Status.RENEWED}
    new_start = subscriptions[0].term_end + datetime.timedelta(days=1)
    assert Term.objects.filter(kind="renewal", start_date=new_start,
                               end_date=term_end(new_start, 1)).count() == count


def test_it_debits_each_paying_pool_for_its_own_subscriptions(
    partner_user, alpha, alpha_reseller, tbox, tsend, grant, due
):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    grant(alpha_reseller, tbox, 100)
    selection = (
        due(alpha, tbox, 3, users=4) + due(alpha, tsend, 2, users=5)
        + due(alpha, tbox, 2, users=10, reseller=alpha_reseller)
    )
    result = services.renew_subscriptions(
        actor=partner_user, subscription_ids=[s.pk for s in selection], years=2
    )
    assert (balance(alpha, tbox), balance(alpha, tsend), balance(alpha_reseller, tbox)) == (
        100 - 24, 100 - 20, 100 - 40
    )
    assert {(pool.product.code, pool.debit) for pool in result.pools} == {
        ("TBOX", 24), ("TSEND", 20), ("TBOX", 40)
    }


def test_it_refuses_the_whole_selection_naming_every_short_pool(
    partner_user, alpha, alpha_reseller, tbox, tsend, grant, due
):
    grant(alpha, tbox, 10)
    grant(alpha, tsend, 3)
    grant(alpha_reseller, tbox, 100)
    selection = (
        due(alpha, tbox, 3, users=4) + due(alpha, tsend, 1, users=5)
        + due(alpha, tbox, 1, reseller=alpha_reseller)
    )
    lines_before = LicenseMovement.objects.count()

    with pytest.raises(OperationRefused) as refused:
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in selection], years=1
        )

    tbox_pool = LicensePool.objects.get(organization=alpha, product=tbox)
    tsend_pool = LicensePool.objects.get(organization=alpha, product=tsend)
    assert refused.value.missing == {tbox_pool.pk: 2, tsend_pool.pk: 2}
    # One whole sentence per short pool, after the message that nothing was renewed.
    [tbox_short, tsend_short] = refused.value.details
    assert "TBox" in tbox_short and "TSend" not in tbox_short and tbox_short.endswith(".")
    assert "TSend" in tsend_short and "TBox" not in tsend_short and tsend_short.endswith(".")
    assert "TBox" not in refused.value.message
    assert LicenseMovement.objects.count() == lines_before
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (10, 3)
    assert not Term.objects.filter(kind="renewal").exists()


def test_it_refuses_the_whole_selection_when_one_is_already_renewed(
    partner_user, alpha, tbox, grant, due, make_subscription, today
):
    grant(alpha, tbox, 100)
    selection = due(alpha, tbox, 2)
    renewed = make_subscription(alpha, tbox, renewal_years=1)
    with pytest.raises(OperationRefused):
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in selection] + [renewed.pk],
            years=1,
        )
    assert balance(alpha, tbox) == 100


def test_it_refuses_an_empty_selection_and_bad_years(partner_user, alpha, tbox, grant, due):
    grant(alpha, tbox, 100)
    selection = due(alpha, tbox, 1)
    with pytest.raises(OperationRefused):
        services.renew_subscriptions(actor=partner_user, subscription_ids=[], years=1)
    with pytest.raises(OperationRefused):
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=[selection[0].pk], years=6
        )
    assert balance(alpha, tbox) == 100


def test_it_renews_once_for_a_repeated_token(partner_user, alpha, tbox, grant, due):
    grant(alpha, tbox, 100)
    selection = due(alpha, tbox, 3, users=5)
    token = issue_token(partner_user)
    ids = [s.pk for s in selection]
    services.renew_subscriptions(actor=partner_user, subscription_ids=ids, years=1, token=token)
    with pytest.raises(AlreadyDone) as done:
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=ids, years=1, token=token
        )
    assert done.value.result["licenses"] == 15
    assert done.value.result["count"] == 3
    assert balance(alpha, tbox) == 85


def test_it_starts_an_expired_subscription_today(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    grant(alpha, tbox, 100)
    expired = make_subscription(
        alpha, tbox, start=today - relativedelta(years=1), end=today - datetime.timedelta(days=5)
    )
    services.renew_subscriptions(actor=partner_user, subscription_ids=[expired.pk], years=1)
    row = Subscription.objects.with_status().get(pk=expired.pk)
    assert row.status == Status.ACTIVE
    assert row.current_start == today


# --- races (PostgreSQL) ---------------------------------------------------------------

locking = postgres_only("row locks and concurrent transactions need PostgreSQL", transaction=True)


@locking
@pytest.mark.parametrize("rounds", range(3))
def test_it_renews_a_subscription_once_when_a_bulk_renewal_races_a_single_one(
    rounds, partner_user, alpha, tbox, grant, due
):
    from tests.subscriptions.test_concurrency import run_together

    grant(alpha, tbox, 1000)
    selection = due(alpha, tbox, 50, users=2)
    contested = selection[17]

    outcomes = run_together(
        lambda: services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in selection], years=1
        ),
        lambda: services.renew_subscription(
            actor=partner_user, subscription_id=contested.pk, years=1
        ),
    )

    kinds = [kind for kind, _value in outcomes]
    assert kinds.count("ok") == 1, outcomes
    refused = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(refused, OperationRefused), refused
    assert Term.objects.filter(subscription=contested, kind="renewal").count() == 1
    assert LicenseMovement.objects.filter(subscription=contested).count() == 1
    renewed = 50 if kinds[0] == "ok" else 1
    assert balance(alpha, tbox) == 1000 - 2 * renewed
    assert _ledger_sum(alpha, tbox) == 1000 - 2 * renewed


@locking
def test_it_never_overdraws_a_pool_raced_by_two_overlapping_bulk_renewals(
    partner_user, alpha, alpha_reseller, tbox, grant, due
):
    from tests.subscriptions.test_concurrency import run_together

    grant(alpha, tbox, 30)
    grant(alpha_reseller, tbox, 30)
    first = due(alpha, tbox, 10, users=2) + due(alpha, tbox, 5, users=2, reseller=alpha_reseller)
    second = due(alpha, tbox, 10, users=2) + due(alpha, tbox, 5, users=2, reseller=alpha_reseller)

    outcomes = run_together(
        lambda: services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in first], years=1
        ),
        lambda: services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in reversed(second)], years=1
        ),
    )
    kinds = [kind for kind, _value in outcomes]
    assert sorted(kinds) == ["error", "ok"], outcomes
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (10, 20)
    assert _ledger_sum(alpha, tbox) == 10
