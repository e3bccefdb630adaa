"""The shortfall forecast one page of pools at a time (rule 17; docs/interface.md,
"Pages of pools"): the dashboard's forecast, the licenses page and the allocation page.

Whoever may see a page of pools or fewer (partners and resellers have a handful) sees all
of them, by organization and product. Publisher staff may see thousands, which no one
reads at once: with more pools than a page holds, the page shows the short ones first
(licenses missing now, then within the forecast's horizon, most missing first, then by
name), a search on the organization's name narrows them, and `?pool_short=1` keeps the
short ones only (those missing licenses now). Either way one statement
joins the visible pools to their figures (the rows of figures.figures_source summed per
pool) and the database orders them and keeps one page: a page costs the same queries
whatever the number of pools, and only its rows become Python objects.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, Sum

from accounts.models import Scope
from portal.names import name_contains

from ..dates import window_months
from ..models import LicensePool
from .figures import as_date, figures_source
from .figures_cache import cached_figures
from .forecast import (
    FORECAST_ORGANIZATION,
    FORECAST_POOL,
    FORECAST_PRODUCT,
    forecast_row,
    shortfall_message,
)
from .lists import dashboard_figures

# A page of pools; a user who may see more than this gets pages, the short pools first
# and a search.
POOLS_PER_PAGE = 20
SEARCH_MAX_LENGTH = 100

# The query string's names for the pages of pools, apart from the ledger's own `page`.
PAGE_PARAMETER = "pool_page"
SEARCH_PARAMETER = "pool_q"
SHORT_PARAMETER = "pool_short"

# The first page without a search, the one every look at the dashboard and the licenses
# page opens on, is cached like the figures (figures_cache.py), and so are the dashboard's
# figures. The names end in their format's version: a cache kept across a deploy never
# hands back another format.
FIRST_PAGE_CACHE = "first-pool-page-v1"
DASHBOARD_CACHE = "dashboard-figures-v5"

# The columns of the visible pools, in the order `forecast_values` writes a row, then the
# windows of rule 16 (the pool's own partner's, or its reseller's partner's).
_POOL_COLUMNS = (
    *FORECAST_POOL,
    *(f"organization__{name}" for name in FORECAST_ORGANIZATION),
    *(f"product__{name}" for name in FORECAST_PRODUCT),
    "organization__renewal_window_months",
    "organization__parent__renewal_window_months",
)
_POOL_NAMES = (
    "pk, organization_id, product_id, balance, o_pk, o_name, o_kind, o_parent_id,"
    " p_code, p_name, own_window, parent_window"
)
SHORT_FIRST = "missing DESC, missing_12 DESC, o_name, p_name, pk"
BY_NAME = "o_name, p_name, pk"


@dataclass
class PoolPage:
    """One page of the pools a user may see, with their forecast.

    - `rows`: PoolForecast rows (forecast.py) with their `message`;
    - `count`: the pools the search found (every visible pool without a search);
    - `visible`: the pools the user may see; `balance`: the licenses left in all of them;
    - `number`: the page shown (1 when the user sees a single page); `query`: the search,
      empty when there is none or the user sees a single page; `short`: whether only the
      pools missing licenses now are shown (never when the user sees a single page);
    - `paged`: whether the user sees more pools than a page holds (then short ones first).
    """

    rows: list = field(default_factory=list)
    count: int = 0
    visible: int = 0
    balance: int = 0
    number: int = 1
    query: str = ""
    short: bool = False
    per_page: int = POOLS_PER_PAGE

    @property
    def paged(self):
        return self.visible > self.per_page

    @property
    def num_pages(self):
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.num_pages

    @property
    def previous_number(self):
        return self.number - 1

    @property
    def next_number(self):
        return self.number + 1

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self):
        return (self.number - 1) * self.per_page + len(self.rows)


def clean_search(text):
    """The search as typed, spaces tidied and bounded."""
    return " ".join(str(text or "").split())[:SEARCH_MAX_LENGTH]


def page_number(value):
    """`?pool_page=`: a positive number, else the first page."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return number if number > 0 else 1


def asked_pool_page(params):
    """`pool_page`'s page, query and short arguments as the query string `params` asks."""
    return {
        "page": params.get(PAGE_PARAMETER),
        "query": params.get(SEARCH_PARAMETER),
        "short": short_only(params.get(SHORT_PARAMETER)),
    }


def short_only(value):
    """`?pool_short=`: `1` keeps the short pools only; anything else, every pool."""
    return str(value) == "1"


def pool_page(user, *, page=1, query="", short=False):
    """One page of the pools `user` may see with their forecast (PoolPage): every pool, by
    name, when they fit on a page; else the short ones first (only those missing licenses
    now when `short`), `query` searching the organizations' names, page `page` (the last
    when it is past the end)."""
    scope = Scope.for_user(user)
    if scope.sees_nothing:
        return PoolPage()
    number, query, short = page_number(page), clean_search(query), bool(short)
    if number == 1 and not query and not short:
        found = cached_figures(
            FIRST_PAGE_CACHE, user, lambda: _plain_page(user, scope, 1, ""), kept=True
        )
    else:
        found = _plain_page(user, scope, number, query, short)
    # Turned into objects, and their sentences written in the reader's language, after
    # the cache: it holds plain values, shared by readers of every language.
    default_months = window_months()
    rows = []
    for values in found.rows:
        pool, months = forecast_row(values, default_months)
        pool.message = shortfall_message(pool, months) if pool.missing else ""
        rows.append(pool)
    found.rows = rows
    return found


def dashboard_forecast(user, *, page=1, query="", short=False):
    """(figures.Figures, PoolPage): the dashboard's counts and chart, cached until the data
    changes, and its page of the forecast (`pool_page`)."""
    figures = cached_figures(DASHBOARD_CACHE, user, lambda: dashboard_figures(user), kept=True)
    return figures, pool_page(user, page=page, query=query, short=short)


def _plain_page(user, scope, number, query, short=False):
    """PoolPage whose rows are plain values (forecast.forecast_row's)."""
    pools = LicensePool.objects.visible_to(user).order_by()
    # Matched as the lists' `q`: case and accents ignored on both databases.
    found = Q(name_contains("organization__name", query)) if query else Q()
    totals = pools.aggregate(
        visible=Count("pk"), balance=Sum("balance"), found=Count("pk", filter=found)
    )
    page = PoolPage(visible=totals["visible"], balance=int(totals["balance"] or 0))
    if not page.paged:
        page.count = page.visible
        page.rows = _rows(scope, pools, BY_NAME, page.per_page, 0)
        return page
    page.query, page.short = query, short
    page.count = _count_short(scope, pools.filter(found)) if short else totals["found"]
    page.number = min(number, page.num_pages)
    page.rows = _rows(
        scope,
        pools.filter(found),
        SHORT_FIRST,
        page.per_page,
        (page.number - 1) * page.per_page,
        short=short,
    )
    return page


# The pools that miss licenses now (`missing` > 0), in the terms of `_forecast_sql`.
_SHORT = "needed > balance"


def _count_short(scope, pools):
    """How many of `pools` miss licenses now."""
    sql, params = _forecast_sql(scope, pools, f"SELECT COUNT(*) FROM shown WHERE {_SHORT}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _rows(scope, pools, order, limit, offset, *, short=False):
    """The pools of `pools` with what each needs (only those missing licenses now when
    `short`), ordered by `order` (SQL over the pool's columns and the forecast's), `limit`
    of them from `offset`: rows as forecast.forecast_row takes them."""
    where = f"WHERE {_SHORT}" if short else ""
    sql, params = _forecast_sql(
        scope,
        pools,
        f"""
        SELECT {_POOL_NAMES}, needed, companies,
               CASE WHEN needed > balance THEN needed - balance ELSE 0 END AS missing,
               needed_12, companies_12,
               CASE WHEN needed_12 > balance THEN needed_12 - balance ELSE 0 END
                   AS missing_12,
               runs_dry
          FROM shown
         {where}
         ORDER BY {order}
         LIMIT %s OFFSET %s
        """,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, limit, offset))
        found = cursor.fetchall()
    pool_size, organization_size = len(FORECAST_POOL), len(FORECAST_ORGANIZATION)
    rows = []
    for values in found:
        pool = values[:pool_size]
        organization = values[pool_size:pool_size + organization_size]
        product = values[pool_size + organization_size:pool_size + organization_size + 2]
        own_window, parent_window = values[len(_POOL_COLUMNS) - 2:len(_POOL_COLUMNS)]
        needs = values[len(_POOL_COLUMNS):]
        rows.append((
            pool,
            (*(int(value) for value in needs[:-1]), as_date(needs[-1])),
            organization,
            product,
            parent_window if organization[3] else own_window,
        ))
    return rows


def _forecast_sql(scope, pools, select):
    """(sql, params): `select` over `shown`, the pools of `pools` each with what it needs
    (columns _POOL_NAMES, needed, companies, needed_12, companies_12, runs_dry)."""
    source, source_params, materialized = figures_source(scope)
    pools_sql, pools_params = pools.values_list(*_POOL_COLUMNS).query.sql_with_params()
    # Sums cast back to integers: PostgreSQL sums bigints as numerics. The `dry` rows hold
    # the day a pool runs dry, the `pool` rows the rest (figures_sql.py).
    sql = f"""
        WITH kept AS {materialized} (SELECT * FROM {source}),
        needs AS (
            SELECT COALESCE(reseller_id, partner_id) AS payer, product_id,
                   CAST(SUM(licenses) AS BIGINT) AS needed,
                   CAST(SUM(companies) AS BIGINT) AS companies,
                   CAST(SUM(licenses_12) AS BIGINT) AS needed_12,
                   CAST(SUM(companies_12) AS BIGINT) AS companies_12,
                   MIN(runs_dry) AS runs_dry
              FROM kept WHERE part IN ('pool', 'dry')
             GROUP BY COALESCE(reseller_id, partner_id), product_id
        ),
        pools ({_POOL_NAMES}) AS ({pools_sql}),
        shown AS (
            SELECT p.*, COALESCE(n.needed, 0) AS needed,
                   COALESCE(n.companies, 0) AS companies,
                   COALESCE(n.needed_12, 0) AS needed_12,
                   COALESCE(n.companies_12, 0) AS companies_12, n.runs_dry AS runs_dry
              FROM pools p
              LEFT JOIN needs n
                ON n.payer = p.organization_id AND n.product_id = p.product_id
        )
        {select}
    """
    return sql, (*source_params, *pools_params)
