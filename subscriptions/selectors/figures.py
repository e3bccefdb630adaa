"""The dashboard's figures and the pools' forecast (rules 6, 7 and 17) for a scope.

Both classify every subscription of a scope, too slow to do per request at 100 000
clients however the SQL is written (docs/benchmarks.md, dashboard). So one statement
(figures_sql.groups_sql) computes them per *client group* — a partner and optionally one
of its resellers — and a scope's figures are the sum of its groups' rows:

- computed on the spot for the scope (SQLite, another day than today, another horizon);
- on PostgreSQL, read from the rows kept for every group, as of today, brought up to
  date first with the writes recorded since (figures_kept.py).
"""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import connection

from accounts.models import Scope

from ..dates import local_today
from ..models import FigureRow, Subscription
from ..status import Status
from . import figures_kept
from .figures_sql import HORIZON_MONTHS, MONTHS, groups_sql, quote


@dataclass
class Figures:
    """A scope's figures.

    - `counts`: subscriptions per status (rule 6);
    - `companies_to_renew`: distinct clients with a subscription to renew (rule 7);
    - `months`: [(first day of month, subscriptions whose current term ends in it and that
      are not renewed yet)] for this month and the next ones;
    - `licenses_by_month`: [(licenses, short)] for the same months: the users of every
      subscription due in it (to renew now, or active and ending in it; the not-renewing
      ones left out, as in rule 17; overdue ones in the first month), and whether a pool
      can no longer pay one of them, its renewals taken in date order from today's
      balance (one pool's surplus never pays for another's shortfall);
    - `pools`: {(paying organization, product): PoolNeeds} over the forecast's horizon.
    """

    counts: dict
    companies_to_renew: int
    months: list
    licenses_by_month: list
    pools: dict


@dataclass
class PoolNeeds:
    """Rule 17 for one pool: the users (`needed`) and distinct clients (`companies`) of the
    renewals due now and over the horizon (`_12`), and the end date of the first of them
    the balance cannot pay, in end-date order (None when it pays them all)."""

    needed: int = 0
    companies: int = 0
    needed_12: int = 0
    companies_12: int = 0
    runs_dry: datetime.date | None = None

    def missing(self, balance):
        """(now, over the horizon): the licenses a balance lacks to renew what is due."""
        return max(self.needed - balance, 0), max(self.needed_12 - balance, 0)


def scope_figures(user, *, today=None, months=MONTHS, horizon_months=HORIZON_MONTHS,
                  pools=True):
    """The figures of the subscriptions `user` may see, and of the pools that pay them
    (`pools` False: `Figures.pools` left empty, as the dashboard needs)."""
    return figures_of(
        Scope.for_user(user), today=today, months=months, horizon_months=horizon_months,
        pools=pools,
    )


def figures_of(scope, *, today=None, months=MONTHS, horizon_months=HORIZON_MONTHS,
               kept=None, pools=True):
    """`scope_figures` for a scope; `kept` False computes them even where they are kept."""
    if scope.sees_nothing:
        return _figures([], today or local_today(), months)
    today = today or local_today()
    source, source_params, materialized = figures_source(
        scope, today=today, months=months, horizon_months=horizon_months, kept=kept
    )
    # Statuses and companies for the scope, pools per paying organization, and the chart
    # per month, summed in SQL rather than over staff's thousands of rows in Python. Sums
    # cast back to integers: PostgreSQL sums bigints as numerics, slow to turn into
    # Python decimals.
    sums = ", ".join(
        f"CAST(SUM({column}) AS BIGINT)"
        for column in ("subscriptions", "companies", "licenses", "companies_12", "licenses_12")
    )
    sql = f"""
        WITH kept AS {materialized} (SELECT * FROM {source}),
        -- A month is short where a renewal falls that its pool can no longer pay: from
        -- the month its pool runs dry on (the dry row's month), where it needs licenses.
        spent AS (
            SELECT m.month, m.subscriptions, m.licenses,
                   CASE WHEN m.licenses > 0 AND d.month <= m.month THEN 1 ELSE 0 END
                       AS short
              FROM kept m
              LEFT JOIN kept d
                ON d.part = 'dry' AND d.product_id = m.product_id
               AND COALESCE(d.reseller_id, d.partner_id)
                   = COALESCE(m.reseller_id, m.partner_id)
             WHERE m.part = 'month'
        )
        SELECT 'month', NULL, NULL, NULL, month, CAST(SUM(subscriptions) AS BIGINT), 0,
               CAST(SUM(licenses) AS BIGINT), 0, 0, NULL, MAX(short)
          FROM spent GROUP BY month
        UNION ALL
        SELECT CASE WHEN part = 'dry' THEN 'pool' ELSE part END, status,
               CASE WHEN part IN ('pool', 'dry') THEN COALESCE(reseller_id, partner_id) END,
               product_id, NULL, {sums}, MIN(runs_dry), 0
          FROM kept WHERE {"part <> 'month'" if pools else "part IN ('status', 'companies')"}
         GROUP BY 1, 2, 3, 4
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params)
        rows = cursor.fetchall()
    return _figures(rows, today, months)


def figures_source(scope, *, today=None, months=MONTHS, horizon_months=HORIZON_MONTHS,
                   kept=None):
    """(FROM clause, its parameters, how a table expression over it is materialised): the
    rows of figures_sql's statement for a scope (not one that sees nothing), read from the
    kept rows where they are kept, else computed in place. figures_of sums them for the
    scope; forecast_pages.py per pool."""
    real_today = local_today()
    today = today or real_today
    if kept is None:
        kept = figures_kept.active()
    if kept and (today, months, horizon_months) == (real_today, MONTHS, HORIZON_MONTHS):
        figures_kept.refresh_as_of(today)
        where, params = _scope_where(scope)
        # Read where each part is used: a materialised copy of staff's 13 000 rows cost
        # more than reading them again with each part's filter.
        return f"{quote(FigureRow)} {where}", params, "NOT MATERIALIZED"
    subscriptions = Subscription.objects.filter(scope.client_filter("client_"))
    sql, sql_params = groups_sql(subscriptions, today, months, horizon_months)
    return f"({sql}) computed", sql_params, ""  # computed once


def _figures(rows, today, months):
    first = today.replace(day=1)
    by_month = {first + relativedelta(months=offset): (0, 0, False) for offset in range(months)}
    figures = Figures({status: 0 for status in Status.ALL}, 0, [], [], {})
    for (part, status, payer, product_id, month, subscriptions, companies, licenses,
         companies_12, licenses_12, runs_dry, short) in rows:
        if part == "status":
            figures.counts[status] = int(subscriptions)
        elif part == "companies":
            figures.companies_to_renew = int(companies)
        elif part == "month" and as_date(month) in by_month:
            by_month[as_date(month)] = (int(subscriptions), int(licenses), bool(short))
        else:
            figures.pools[(payer, product_id)] = PoolNeeds(
                int(licenses), int(companies), int(licenses_12), int(companies_12),
                as_date(runs_dry),
            )
    figures.months = [(month, count) for month, (count, _l, _s) in by_month.items()]
    figures.licenses_by_month = [
        (licenses, short) for _count, licenses, short in by_month.values()
    ]
    return figures


def as_date(value):
    """SQLite hands dates back as text, and a month may come back as a timestamp."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _scope_where(scope):
    if scope.everything:
        return "", ()
    return f"WHERE {scope.client_column()} = %s", (scope.organization_id,)


def kept_differences():
    """What the kept figures of everything say that a computation from every subscription
    does not, field by field (empty when they agree; `manage.py refresh_figures --check`).
    """
    if not figures_kept.active():
        return []
    everything = Scope(everything=True)
    kept, computed = figures_of(everything), figures_of(everything, kept=False)
    return [
        name for name in ("counts", "companies_to_renew", "months", "licenses_by_month",
                          "pools")
        if getattr(kept, name) != getattr(computed, name)
    ]

