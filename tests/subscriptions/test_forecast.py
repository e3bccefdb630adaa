"""Rule 17: the shortfall forecast per pool, in the same queries whatever the rows."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, OrganizationKind, Scope
from subscriptions.selectors import POOLS_PER_PAGE, pool_forecast, pool_page


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


def test_its_pages_hold_the_same_forecast_short_pools_first(
    staff, partner_user, alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today
):
    """selectors.pool_page orders and cuts in SQL what pool_forecast computes per pool."""
    ends = [today + relativedelta(months=m) for m in (0, 1, 2, 5, 7, 9, 11)]
    for index in range(POOLS_PER_PAGE + 11):
        partner = Organization.objects.create(
            kind=OrganizationKind.PARTNER, name=f"Partner {index:03d}"
        )
        grant(partner, tbox, 1 + index % 6)
        if index % 2:
            grant(partner, tsend, 3)
        for users, end in zip(range(1 + index % 4), ends[index % 5:], strict=False):
            make_subscription(partner, tbox if users % 2 else tsend, users=users + 1,
                              start=end - relativedelta(years=1) + datetime.timedelta(1),
                              end=end)
    grant(alpha_reseller, tbox, 2)
    make_subscription(alpha, tbox, reseller=alpha_reseller, users=9,
                      start=today - relativedelta(years=1), end=today)

    def figures(pool):
        return (pool.pk, pool.balance, pool.needed, pool.companies, pool.missing,
                pool.needed_12, pool.companies_12, pool.missing_12, pool.runs_dry)

    expected = sorted(
        pool_forecast(staff),
        key=lambda pool: (-pool.missing, -pool.missing_12, pool.organization.name,
                          pool.product.name, pool.pk),
    )
    assert any(pool.missing for pool in expected)
    assert any(pool.missing_12 and not pool.missing for pool in expected)
    first = pool_page(staff)
    assert first.paged and first.count == first.visible == len(expected)
    assert first.balance == sum(pool.balance for pool in expected)
    shown = [row for number in range(1, first.num_pages + 1)
             for row in pool_page(staff, page=number).rows]
    assert [figures(row) for row in shown] == [figures(pool) for pool in expected]
    assert [row.message for row in shown if row.missing] != []

    # A partner sees its few pools by name, searched or not, as pool_forecast lists them.
    mine = pool_page(partner_user, page=2, query="nothing")
    assert not mine.paged and (mine.number, mine.query) == (1, "")
    assert [figures(row) for row in mine.rows] == [
        figures(pool) for pool in pool_forecast(partner_user)
    ]
