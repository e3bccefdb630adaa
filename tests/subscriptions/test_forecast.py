"""Rule 17: the shortfall forecast per pool, in the same queries whatever the rows."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Scope
from subscriptions.selectors import pool_forecast


def _forecast(user, **kwargs):
    return {pool.pk: pool for pool in pool_forecast(user, **kwargs)}


def test_it_counts_the_users_of_what_each_pool_must_renew_now(
    partner_user, alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today
):
    grant(alpha, tbox, 10)
    grant(alpha_reseller, tbox, 100)
    soon = today + datetime.timedelta(days=20)
    make_subscription(alpha, tbox, start=soon - relativedelta(years=1), end=soon, users=30)
    make_subscription(alpha, tbox, end=today - datetime.timedelta(days=3),
                      start=today - relativedelta(years=1), users=12)
    # Paid by the reseller, not by alpha's pool.
    make_subscription(alpha, tbox, reseller=alpha_reseller, start=soon - relativedelta(years=1),
                      end=soon, users=7)
    # Not due: active far away, and renewed already.
    make_subscription(alpha, tbox, users=500)
    make_subscription(alpha, tbox, start=soon - relativedelta(years=1), end=soon, users=99,
                      renewal_years=1)

    pools = _forecast(partner_user)
    alpha_pool = alpha.pools.get(product=tbox)
    reseller_pool = alpha_reseller.pools.get(product=tbox)
    assert (alpha_pool.balance, reseller_pool.balance) == (10, 100)
    assert pools[alpha_pool.pk].needed == 42
    assert pools[alpha_pool.pk].companies == 2
    assert pools[alpha_pool.pk].missing == 32
    assert pools[reseller_pool.pk].needed == 7
    assert pools[reseller_pool.pk].missing == 0


def test_it_looks_twelve_months_ahead_and_finds_the_day_the_pool_runs_dry(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    grant(alpha, tbox, 25)
    ends = [today + relativedelta(months=m) for m in (1, 5, 8, 14)]
    for end in ends:
        make_subscription(alpha, tbox, start=end - relativedelta(years=1) + datetime.timedelta(1),
                          end=end, users=10)
    pool = _forecast(partner_user)[alpha.pools.get(product=tbox).pk]
    assert pool.needed == 10
    assert pool.missing == 0
    assert pool.needed_12 == 30
    assert pool.companies_12 == 3
    assert pool.missing_12 == 5
    # 10 + 10 fit in 25; the third renewal, at 8 months, does not.
    assert pool.runs_dry == ends[2]


def test_it_runs_dry_on_the_day_whose_renewals_pass_the_balance_and_counts_clients_once(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    grant(alpha, tbox, 12)
    first_day, second_day = (today + relativedelta(months=m) for m in (2, 3))

    def ending(end, users, **kwargs):
        return make_subscription(alpha, tbox, start=end - relativedelta(years=1)
                                 + datetime.timedelta(1), end=end, users=users, **kwargs)

    # Two renewals on the first day fit (10 of 12); the second day's pass the balance.
    shared = ending(first_day, 5)
    ending(first_day, 5)
    ending(second_day, 1, client=shared.client)
    ending(second_day, 5)
    pool = _forecast(partner_user)[alpha.pools.get(product=tbox).pk]
    assert pool.runs_dry == second_day
    assert (pool.needed_12, pool.missing_12) == (16, 4)
    # Four subscriptions, three companies: one has two subscriptions in this pool.
    assert pool.companies_12 == 3

    # One more renewal on the first day, and the balance cannot pay that day already.
    ending(first_day, 5)
    pool = _forecast(partner_user)[alpha.pools.get(product=tbox).pk]
    assert pool.runs_dry == first_day


def test_it_never_runs_dry_when_the_balance_pays_everything(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    grant(alpha, tbox, 1000)
    make_subscription(alpha, tbox, start=today - relativedelta(years=1), end=today, users=10)
    pool = _forecast(partner_user)[alpha.pools.get(product=tbox).pk]
    assert (pool.needed, pool.missing, pool.runs_dry) == (10, 0, None)


def test_it_shows_only_the_pools_the_user_may_see(
    reseller_user, other_partner_user, alpha, alpha_reseller, beta, tbox, grant
):
    grant(alpha_reseller, tbox, 5)
    grant(beta, tbox, 5)
    assert set(_forecast(reseller_user)) == {alpha_reseller.pools.get().pk}
    assert set(_forecast(other_partner_user)) == {beta.pools.get().pk}


def test_it_takes_the_same_queries_whatever_the_rows(
    partner_user, alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today
):
    for organization in (alpha, alpha_reseller):
        for product in (tbox, tsend):
            grant(organization, product, 3)
    for index in range(30):
        make_subscription(alpha, tbox if index % 2 else tsend,
                          reseller=alpha_reseller if index % 3 else None,
                          start=today - relativedelta(years=1), end=today, users=2)
    Scope.for_user(partner_user)  # the user's scope, as every request has it first
    pool_forecast(partner_user)  # on PostgreSQL, the kept figures built
    with CaptureQueriesContext(connection) as few:
        pools = list(pool_forecast(partner_user))
        [(pool.organization.name, pool.product.code, pool.missing) for pool in pools]
    assert len(pools) == 4
    for index in range(30):
        make_subscription(alpha, tsend, reseller=alpha_reseller if index % 3 else None,
                          start=today - relativedelta(years=1), end=today, users=2)
    pool_forecast(partner_user)
    with CaptureQueriesContext(connection) as many:
        pools = list(pool_forecast(partner_user))
        [(pool.organization.name, pool.product.code, pool.missing) for pool in pools]
    assert sum(pool.needed for pool in pools) == 120
    # The figures and the pools (with their organization and product): two queries, and
    # on PostgreSQL one more that sees nothing changed since the kept figures were read.
    assert len(many) == len(few) == (3 if connection.vendor == "postgresql" else 2)
