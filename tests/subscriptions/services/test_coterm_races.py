"""Rule 20 under real concurrency (PostgreSQL, threads with their own connections): a
co-terming against a bulk renewal sharing a pool — never an overdraft, never a double
debit, every ledger line adding up; and the dashboard's figures kept on PostgreSQL
following a co-terming."""

import datetime

from subscriptions import services
from subscriptions.models import LicensePool, Subscription, Term
from subscriptions.selectors.figures import scope_figures
from subscriptions.services import OperationRefused
from tests.helpers.markers import racing
from tests.subscriptions.test_concurrency import (
    assert_ledger_consistent,
    errors,
    run_together,
    successes,
)

pytestmark = racing

DAY = datetime.timedelta(days=1)


def _family(make_subscription, alpha, tbox, today):
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY, users=4)
    later = make_subscription(
        alpha, tbox, start=today - 200 * DAY, end=today + 100 * DAY, users=3, client=soon.client
    )
    return soon, later


def _coterm(actor, soon, later):
    return lambda: services.coterm_subscriptions(
        actor=actor, client_id=soon.client_id, end=later.term_end,
        subscription_ids=[soon.pk, later.pk],
    )


def _bulk(actor, *subscriptions):
    return lambda: services.renew_subscriptions(
        actor=actor, subscription_ids=[s.pk for s in subscriptions], years=1
    )


def test_a_pool_that_pays_for_one_of_them_pays_for_exactly_one(
    alpha, tbox, grant, make_subscription, partner_user, today
):
    soon, later = _family(make_subscription, alpha, tbox, today)
    other = make_subscription(alpha, tbox, start=today - 340 * DAY, end=today + 25 * DAY,
                              users=10)
    # The co-terming costs 1 (80 days for 4 users), the bulk renewal 10: not both.
    grant(alpha, tbox, 10)

    for _round in range(3):
        outcomes = run_together(_coterm(partner_user, soon, later), _bulk(partner_user, other))

        [won] = successes(outcomes)
        [lost] = errors(outcomes)
        assert isinstance(lost, OperationRefused) and lost.code == "not_enough_licenses"
        pool = LicensePool.objects.get(organization=alpha, product=tbox)
        assert pool.balance == 10 - won.licenses >= 0
        assert_ledger_consistent()
        # Put everything back for the next round: the terms written are removed by hand.
        _reset(pool, soon, later, other)


def _reset(pool, *subscriptions):
    for subscription in subscriptions:
        Term.objects.filter(subscription=subscription).exclude(kind="creation").update(
            cancelled_at=datetime.datetime.now(datetime.UTC)
        )
        Subscription.objects.filter(pk=subscription.pk).update(
            term_start=subscription.term_start, term_end=subscription.term_end,
            users=subscription.users, years=subscription.years, previous_term_start=None,
            previous_term_end=None, previous_users=None, previous_years=None,
        )
    balance = LicensePool.objects.get(pk=pool.pk).balance
    if balance != 10:
        services.grant_licenses(partner=pool.organization, product=pool.product,
                                quantity=10 - balance)


def test_one_subscription_in_both_is_extended_or_renewed_never_both(
    alpha, tbox, grant, make_subscription, partner_user, today
):
    soon, later = _family(make_subscription, alpha, tbox, today)
    grant(alpha, tbox, 100)

    outcomes = run_together(_coterm(partner_user, soon, later), _bulk(partner_user, soon))

    [won] = successes(outcomes)
    [lost] = errors(outcomes)
    assert isinstance(lost, OperationRefused)
    assert lost.code in {"already_renewed", "nothing_to_extend"}
    live = Term.objects.filter(subscription=soon, cancelled_at__isnull=True)
    assert live.count() == 2  # its first term and one more, never two
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    assert pool.balance == 100 - won.licenses
    assert_ledger_consistent()


def test_the_dashboards_kept_figures_follow_a_co_terming(
    settings, alpha, tbox, grant, make_subscription, partner_user, staff, today
):
    settings.KEPT_FIGURES = True
    soon, later = _family(make_subscription, alpha, tbox, today)
    lapsed = make_subscription(alpha, tbox, start=today - 400 * DAY, end=today - 10 * DAY,
                               users=2, client=soon.client)
    grant(alpha, tbox, 100)
    before = scope_figures(partner_user)
    assert before.companies_to_renew == 1

    services.coterm_subscriptions(
        actor=partner_user, client_id=soon.client_id, end=later.term_end,
        subscription_ids=[soon.pk, later.pk, lapsed.pk],
    )

    for user in (partner_user, staff):
        kept = scope_figures(user)
        settings.KEPT_FIGURES = False
        computed = scope_figures(user)
        settings.KEPT_FIGURES = True
        assert kept == computed
    after = scope_figures(partner_user)
    # Extended, the expiring one is renewed and the expired one current: none to renew.
    assert after.companies_to_renew == 0
    assert after.counts != before.counts
