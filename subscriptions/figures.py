"""The dashboard's figures and the pools' forecast (rules 6, 7 and 17), computed per client
group and summed for a scope; on PostgreSQL, kept in a table between writes.

Both classify every subscription of a scope: 200 to 350 ms at 100 000 clients for staff
however the SQL is written (docs/benchmarks.md), where the dashboard must answer in 100.
So one statement (`_groups_sql`) computes them per *client group* — a partner and
optionally one of its resellers, the two columns every scope filters on — and a scope's
figures are the sum of its groups' rows. The same statement serves both ways:

- computed on the spot for the scope (SQLite, another day than today, another horizon);
- on PostgreSQL, kept in `FigureRow` for every group, as of today. Database triggers
  (migrations 0007 and 0009) record in `FiguresChange` the paying organization of every
  subscription, pool balance or partner window written, by any path: the services, the
  admin, a command, plain SQL. Before reading, `_refresh` recomputes the rows of the
  organizations recorded since (one renewal: its payer's few rows, 2 ms) and rebuilds
  them all on a new day or default window. A scope's figures are then a sum over a few
  hundred rows.

An organization paying for thousands of subscriptions would cost every write's next read
its whole recompute (77 ms for 25 000). Its clients are split into buckets (client id
modulo a power of two, `FiguresBuckets`, set at each rebuild) and every sum is kept per
bucket: the triggers record the client written, and a read recomputes that client's
bucket. The day a pool runs dry is no sum: it is kept in its own row per pool and
computed again, after any bucket or balance of its organization changed, from the
licenses due per day that each bucket keeps beside its rows (`FigureDay`) — only for the
pools whose balance is short of what they must renew over the horizon (the kept sums
tell), as the others never run dry.

Why it is exact: a write and its record commit together. The refresh deletes the records
it can see and *then* recomputes from a newer snapshot (read committed), so every write
whose record it deleted is in what it writes; a write it could not see keeps its record
for the next reader. Refreshes take a lock in turn, so a later one never loses to an
earlier. The rows depend on today (statuses, months), hence the day in `FiguresState`.

Each group's rows are additive across groups: a client belongs to one group, so distinct
clients add up. The day a pool runs dry is computed from every renewal the pool pays in
the statement's scope; a pool pays the clients of one group (its reseller's, or its
partner's own), so it is the same whether computed for a scope or for everyone.
"""

import datetime
import zlib
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, TruncMonth

from accounts.models import Scope

from .dates import local_today, window_end, window_months
from .models import (
    FigureDay,
    FigureRow,
    FiguresBuckets,
    FiguresChange,
    FiguresState,
    LicensePool,
    Subscription,
)

MONTHS = 12
HORIZON_MONTHS = 12

# More organizations changed than this since the last read: rebuilding every row costs
# less than recomputing them one by one.
REBUILD_FROM = 200

REFRESH_WORK_MEM = "32MB"

# A paying organization with more subscriptions than this keeps its figures in buckets of
# clients (client id modulo a power of two), each about this size at most: a write
# recomputes its bucket. SLOTS is the modulo migration 0009's index is built on.
BUCKET_SUBSCRIPTIONS = 1000
SLOTS = 64

# The day each pool runs dry, from a `per_day` table expression (partner_id, reseller_id,
# product_id, term_end, month, licenses: what its renewals due need that day), in two
# pieces: a table expression that follows `per_day` and a statement's part. The running
# total by end day: the first day it passes the balance is the end date of the first
# renewal the balance cannot pay, as it would be row by row (no pool: a balance of 0), and
# its month is the chart's first short month for the pool. Rows of `_COLUMNS`, "dry".
_RUNNING_TOTAL = """
    cumulative AS (
        SELECT partner_id, reseller_id, product_id, term_end, month,
               SUM(licenses) OVER (PARTITION BY partner_id, reseller_id, product_id
                                   ORDER BY term_end) AS running
          FROM per_day
    )
"""
_DRY_PART = """
    SELECT 'dry', c.partner_id, c.reseller_id, 0, c.product_id, NULL, MIN(c.month), 0, 0, 0,
           0, 0, MIN(c.term_end)
      FROM cumulative c
      LEFT JOIN {pool} q
        ON q.organization_id = COALESCE(c.reseller_id, c.partner_id)
       AND q.product_id = c.product_id
     WHERE c.running > COALESCE(q.balance, 0)
     GROUP BY c.partner_id, c.reseller_id, c.product_id
"""

# Refreshes of the kept figures wait for each other (pg_advisory_xact_lock's key).
_REFRESH_LOCK = zlib.crc32(b"subscriptions.figures.refresh")

_COLUMNS = (
    "part, partner_id, reseller_id, bucket, product_id, status, month, subscriptions, "
    "companies, licenses, companies_12, licenses_12, runs_dry"
)
_DAY_COLUMNS = (
    "partner_id, reseller_id, bucket, product_id, term_end, month, licenses"
)


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


def scope_figures(user, *, today=None, months=MONTHS, horizon_months=HORIZON_MONTHS):
    """The figures of the subscriptions `user` may see, and of the pools that pay them."""
    return figures_of(
        Scope.for_user(user), today=today, months=months, horizon_months=horizon_months
    )


def figures_of(scope, *, today=None, months=MONTHS, horizon_months=HORIZON_MONTHS,
               kept=None):
    """`scope_figures` for a scope; `kept` False computes them even where they are kept."""
    if scope.sees_nothing:
        return _figures([], today or local_today(), months)
    real_today = local_today()
    today = today or real_today
    if kept is None:
        kept = _kept()
    if kept and (today, months, horizon_months) == (real_today, MONTHS, HORIZON_MONTHS):
        _refresh(today)
        where, params = _scope_where(scope)
        source, source_params = f"{_quote(FigureRow)} {where}", params
        # Read where each part is used: a materialised copy of staff's 13 000 rows cost
        # more than reading them again with each part's filter.
        materialized = "NOT MATERIALIZED"
    else:
        subscriptions = Subscription.objects.filter(scope.client_filter("client_"))
        sql, sql_params = _groups_sql(subscriptions, today, months, horizon_months)
        source, source_params = f"({sql}) computed", sql_params
        materialized = ""  # computed once
    # Statuses and companies for the scope, pools per paying organization, and the chart
    # per month (summing staff's 7 000 rows of months per pool into Python dictionaries
    # took 25 ms of its dashboard). Sums cast back to integers: PostgreSQL sums bigints
    # as numerics, slow to turn into Python decimals.
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
          FROM kept WHERE part <> 'month'
         GROUP BY 1, 2, 3, 4
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params)
        rows = cursor.fetchall()
    return _figures(rows, today, months)


def _figures(rows, today, months):
    from .selectors import Status

    first = today.replace(day=1)
    by_month = {first + relativedelta(months=offset): (0, 0, False) for offset in range(months)}
    figures = Figures({status: 0 for status in Status.ALL}, 0, [], [], {})
    for (part, status, payer, product_id, month, subscriptions, companies, licenses,
         companies_12, licenses_12, runs_dry, short) in rows:
        if part == "status":
            figures.counts[status] = int(subscriptions)
        elif part == "companies":
            figures.companies_to_renew = int(companies)
        elif part == "month" and _date(month) in by_month:
            by_month[_date(month)] = (int(subscriptions), int(licenses), bool(short))
        else:
            figures.pools[(payer, product_id)] = PoolNeeds(
                int(licenses), int(companies), int(licenses_12), int(companies_12),
                _date(runs_dry),
            )
    figures.months = [(month, count) for month, (count, _l, _s) in by_month.items()]
    figures.licenses_by_month = [
        (licenses, short) for _count, licenses, short in by_month.values()
    ]
    return figures


def _date(value):
    """SQLite hands dates back as text, and a month may come back as a timestamp."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _quote(model):
    return connection.ops.quote_name(model._meta.db_table)


def _scope_where(scope):
    if scope.everything:
        return "", ()
    return f"WHERE {scope.client_column()} = %s", (scope.organization_id,)


def _kept():
    return settings.KEPT_FIGURES and connection.vendor == "postgresql"


def kept_differences():
    """What the kept figures of everything say that a computation from every subscription
    does not, field by field (empty when they agree; `manage.py refresh_figures --check`).
    """
    if not _kept():
        return []
    everything = Scope(everything=True)
    kept, computed = figures_of(everything), figures_of(everything, kept=False)
    return [
        name for name in ("counts", "companies_to_renew", "months", "licenses_by_month",
                          "pools")
        if getattr(kept, name) != getattr(computed, name)
    ]


def _groups_sql(subscriptions, today, months, horizon_months, *, kept=False, dry=True):
    """The statement that computes every figure of `subscriptions`, per client group: rows
    of `_COLUMNS` (see FigureRow). The status CASE is evaluated once per row, in the table
    expression, which every part reads (PostgreSQL materialises it once); what rules 7 and
    17 derive from it is written below over its columns (SQL that must say what
    `selectors.to_renew_q` and `due_within_q` say: expiring or expired and not marked as
    not renewing; or active and ending before the horizon).

    Every part is a sum over clients but `dry`, the day a pool runs dry, computed from all
    the renewals it pays (`dry` False leaves it out: one bucket's statement). `kept`: the
    statement that writes the rows into FigureRow, the sums in their buckets
    (`FiguresBuckets`), with the licenses due per pool, bucket and day into FigureDay."""
    from .selectors import Status, status_expression

    first = today.replace(day=1)
    stop = first + relativedelta(months=months)
    scoped = (
        subscriptions.annotate(
            status=status_expression(today),
            # Months before the first shown are one group: only their licenses count (rule
            # 17's "due now"), and grouping by every past month was most of this
            # statement's time at 100 000 clients (docs/benchmarks.md).
            month=Greatest(TruncMonth("term_end"), Value(first)),
        )
        .order_by()
        .values_list("status", "not_renewing_reason", "client_partner_id",
                     "client_reseller_id", "product_id", "month", "client_id", "users",
                     "term_end")
    )
    into = f"INSERT INTO {_quote(FigureRow)} ({_COLUMNS}) " if kept else ""
    if scoped.query.is_empty():
        return f"{into}SELECT {_COLUMNS} FROM {_quote(FigureRow)} WHERE 1 = 0", ()
    scoped_sql, scoped_params = scoped.query.sql_with_params()
    if kept:
        bucket = "MOD(s.client_id, COALESCE(b.buckets, 1))"
        buckets = (
            f"LEFT JOIN {_quote(FiguresBuckets)} b"
            " ON b.organization_id = COALESCE(s.reseller_id, s.partner_id)"
        )
    else:
        bucket, buckets = "0", ""
    # Placeholders stay positional (Django's compiled SQL may hold a literal %%).
    to_renew = "(status IN (%s, %s) AND not_renewing IS NULL)"
    pool = _quote(LicensePool)
    expiring, expired, active = Status.EXPIRING, Status.EXPIRED, Status.ACTIVE
    tables = f"""
        WITH rows_of (status, not_renewing, partner_id, reseller_id, product_id, month,
                      client_id, users, term_end) AS ({scoped_sql}),
        scoped AS (SELECT s.*, {bucket} AS bucket FROM rows_of s {buckets}),
        -- Rule 17: to renew now, or active and coming up before the horizon.
        due AS (
            SELECT partner_id, reseller_id, bucket, product_id, client_id, users, term_end,
                   month, {to_renew} AS is_now
              FROM scoped
             WHERE {to_renew} OR (status = %s AND term_end < %s)
        ),
        -- One row per client of each pool first (hashed), then per pool: the distinct
        -- counts without sorting every row due (docs/benchmarks.md).
        per_client AS (
            SELECT partner_id, reseller_id, bucket, product_id,
                   SUM(CASE WHEN is_now THEN users ELSE 0 END) AS needed,
                   MAX(CASE WHEN is_now THEN 1 ELSE 0 END) AS due_now,
                   SUM(users) AS needed_12
              FROM due GROUP BY partner_id, reseller_id, bucket, product_id, client_id
        ),
        -- What the renewals due need per day: the day each pool runs dry (_DRY_PART).
        per_day AS (
            SELECT partner_id, reseller_id, product_id, term_end, month,
                   SUM(users) AS licenses
              FROM due GROUP BY partner_id, reseller_id, product_id, term_end, month
        ),
        {_RUNNING_TOTAL}
    """
    tables_params = (
        *scoped_params, expiring, expired, expiring, expired, active,
        window_end(today, horizon_months),
    )
    # The first part names and types the columns.
    parts = [(f"""
        SELECT 'month' AS part, partner_id, reseller_id, bucket, product_id,
               CAST(NULL AS VARCHAR(12)) AS status, month,
               SUM(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) AS subscriptions,
               0 AS companies,
               -- Rule 17, needed: due now, or active and ending in the months shown.
               SUM(CASE WHEN {to_renew} OR status = %s THEN users ELSE 0 END) AS licenses,
               0 AS companies_12, 0 AS licenses_12, CAST(NULL AS DATE) AS runs_dry
          FROM scoped
         WHERE term_end < %s AND ({to_renew} OR status IN (%s, %s))
         GROUP BY partner_id, reseller_id, bucket, product_id, month
    """, (active, expiring, expiring, expired, active, stop, expiring, expired, active,
          expiring)), ("""
        SELECT 'status', partner_id, reseller_id, bucket, NULL, status, NULL, COUNT(*), 0, 0,
               0, 0, NULL
          FROM scoped GROUP BY partner_id, reseller_id, bucket, status
    """, ()), (f"""
        SELECT 'companies', partner_id, reseller_id, bucket, NULL, NULL, NULL, 0,
               COUNT(DISTINCT client_id), 0, 0, 0, NULL
          FROM scoped WHERE {to_renew} GROUP BY partner_id, reseller_id, bucket
    """, (expiring, expired)), ("""
        SELECT 'pool', partner_id, reseller_id, bucket, product_id, NULL, NULL, 0,
               SUM(due_now), SUM(needed), COUNT(*), SUM(needed_12), NULL
          FROM per_client GROUP BY partner_id, reseller_id, bucket, product_id
    """, ())]
    if dry:
        parts.append((_DRY_PART.format(pool=pool), ()))
    if kept:
        # A data-modifying table expression: runs once, with the statement's snapshot.
        tables += f""",
        days AS (
            INSERT INTO {_quote(FigureDay)} ({_DAY_COLUMNS})
            SELECT partner_id, reseller_id, bucket, product_id, term_end, month,
                   SUM(users)
              FROM due GROUP BY partner_id, reseller_id, bucket, product_id, term_end, month
        )
        """
    sql = tables + into + " UNION ALL ".join(part for part, _params in parts)
    params = tables_params + tuple(p for _part, part_params in parts for p in part_params)
    return sql, params


# --- kept on PostgreSQL ---------------------------------------------------------------


def refresh():
    """Brings the kept figures up to date now, so that their own writes come before a
    cache key taken after (figures_cache.cached_figures)."""
    if _kept():
        _refresh(local_today())


def _refresh(today, *, everything=False):
    """Brings the kept rows up to the committed writes (see the module's docstring), or
    with `everything` rebuilds them all."""
    if not everything:
        state, changed = _state_and_changes()
        if state == (today, window_months()) and not changed:
            return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_REFRESH_LOCK,))
        _more_memory(cursor)
        state, _changed = _state_and_changes(cursor)
        # Deleted before computing: what they record is in the newer snapshot below.
        cursor.execute(
            f"WITH taken AS (DELETE FROM {_quote(FiguresChange)}"
            " RETURNING organization_id, client_id, balance)"
            " SELECT DISTINCT organization_id, client_id, balance FROM taken"
        )
        records = cursor.fetchall()
        organizations = {organization_id for organization_id, _client, _balance in records}
        if (
            everything
            or state != (today, window_months())
            or len(organizations) >= REBUILD_FROM
        ):
            _rebuild(cursor, today)
        elif records:
            _apply(cursor, today, records, organizations)


def _apply(cursor, today, records, organizations):
    """Recomputes what the records say changed: an organization's rows, some of its
    buckets (then the day its pools run dry, which no bucket knows alone), or only that
    day when only a balance moved."""
    cursor.execute(
        f"SELECT organization_id, buckets FROM {_quote(FiguresBuckets)}"
        " WHERE organization_id = ANY(%s)",
        (sorted(organizations),),
    )
    buckets = dict(cursor.fetchall())
    whole, touched, dry = set(), {}, set()
    for organization_id, client_id, balance in records:
        count = buckets.get(organization_id, 1)
        if balance:
            dry.add(organization_id)
        elif client_id is None or count == 1:
            whole.add(organization_id)
        else:
            touched.setdefault(organization_id, set()).add(client_id % count)
    for organization_id, changed in list(touched.items()):
        # Half its buckets or more: one statement over all of it costs less.
        if organization_id in whole or 2 * len(changed) >= buckets[organization_id]:
            whole.add(organization_id)
            del touched[organization_id]
    if whole:
        _recompute(cursor, today, sorted(whole))
    for organization_id, changed in sorted(touched.items()):
        _recompute_buckets(
            cursor, today, organization_id, buckets[organization_id], sorted(changed)
        )
    dry = (dry - whole) | set(touched)
    if dry:
        _recompute_dry(cursor, sorted(dry))


def _more_memory(cursor):
    """For this transaction only: the groups of an organization with 25 000 subscriptions
    sorted in memory rather than on disk (98 -> 77 ms a recompute, docs/benchmarks.md)."""
    cursor.execute(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'")


def _state_and_changes(cursor=None):
    sql = f"""
        SELECT (SELECT as_of FROM {_quote(FiguresState)} WHERE id = 1),
               (SELECT window_months FROM {_quote(FiguresState)} WHERE id = 1),
               EXISTS (SELECT 1 FROM {_quote(FiguresChange)})
    """
    if cursor is None:
        with connection.cursor() as own:
            own.execute(sql)
            as_of, months, changed = own.fetchone()
    else:
        cursor.execute(sql)
        as_of, months, changed = cursor.fetchone()
    return (as_of, months), changed


def _insert(cursor, subscriptions, today, *, dry=True):
    sql, params = _groups_sql(subscriptions, today, MONTHS, HORIZON_MONTHS, kept=True, dry=dry)
    cursor.execute(sql, params)


def _paid_by(organizations):
    """The subscriptions these organizations pay for (rule 2), by the expression migration
    0009's index starts with."""
    return Subscription.objects.alias(
        payer=Coalesce("client_reseller_id", "client_partner_id")
    ).filter(payer__in=organizations)


def _rebuild(cursor, today):
    cursor.execute(f"DELETE FROM {_quote(FigureRow)}")
    cursor.execute(f"DELETE FROM {_quote(FigureDay)}")
    _split_large_organizations(cursor)
    _insert(cursor, Subscription.objects.all(), today)
    # One statement whether the row is there or not (as many queries on the first read as
    # on a day's first: the query-count tests compare them).
    cursor.execute(
        f"INSERT INTO {_quote(FiguresState)} (id, as_of, window_months) VALUES (1, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of,"
        " window_months = EXCLUDED.window_months",
        (today, window_months()),
    )


def _split_large_organizations(cursor):
    """Buckets for every paying organization with more than BUCKET_SUBSCRIPTIONS
    subscriptions: a power of two (it divides SLOTS) that brings each under it."""
    cursor.execute(f"DELETE FROM {_quote(FiguresBuckets)}")
    cursor.execute(
        "SELECT COALESCE(client_reseller_id, client_partner_id), COUNT(*)"
        f" FROM {_quote(Subscription)} GROUP BY 1 HAVING COUNT(*) > %s",
        (BUCKET_SUBSCRIPTIONS,),
    )
    large = []
    for organization_id, subscriptions in cursor.fetchall():
        count = 2
        while count * BUCKET_SUBSCRIPTIONS < subscriptions and count < SLOTS:
            count *= 2
        large.append((organization_id, count))
    if large:
        cursor.executemany(
            f"INSERT INTO {_quote(FiguresBuckets)} (organization_id, buckets)"
            " VALUES (%s, %s)",
            large,
        )


def _recompute(cursor, today, organizations):
    """The rows of the groups these organizations pay for: a reseller's clients, or a
    partner's own (those without a reseller)."""
    for model in (FigureRow, FigureDay):
        cursor.execute(
            f"DELETE FROM {_quote(model)} WHERE COALESCE(reseller_id, partner_id) = ANY(%s)",
            (organizations,),
        )
    _insert(cursor, _paid_by(organizations), today)


def _recompute_buckets(cursor, today, organization_id, count, buckets):
    """These buckets of one organization's rows, read through migration 0009's index: the
    clients whose id modulo SLOTS is one of the buckets' slots."""
    cursor.execute(
        f"DELETE FROM {_quote(FigureRow)} WHERE COALESCE(reseller_id, partner_id) = %s"
        " AND part <> 'dry' AND bucket = ANY(%s)",
        (organization_id, buckets),
    )
    cursor.execute(
        f"DELETE FROM {_quote(FigureDay)} WHERE COALESCE(reseller_id, partner_id) = %s"
        " AND bucket = ANY(%s)",
        (organization_id, buckets),
    )
    slots = [slot for slot in range(SLOTS) if slot % count in buckets]
    # Written as the index is (a bound parameter in place of SLOTS would not match it).
    slot = RawSQL(f"MOD({_quote(Subscription)}.client_id, {int(SLOTS)})", ())
    subscriptions = _paid_by([organization_id]).alias(slot=slot).filter(slot__in=slots)
    _insert(cursor, subscriptions, today, dry=False)


def _recompute_dry(cursor, organizations):
    """The day each pool of these organizations runs dry, from the licenses its renewals
    need per day (FigureDay, every bucket); only for the pools whose balance is short of
    what the kept sums say they must renew over the horizon (the others never run dry)."""
    figure_rows, pool = _quote(FigureRow), _quote(LicensePool)
    cursor.execute(
        f"DELETE FROM {figure_rows} WHERE part = 'dry'"
        " AND COALESCE(reseller_id, partner_id) = ANY(%s)",
        (organizations,),
    )
    # As `_groups_sql` computes it, from the days kept instead of the subscriptions.
    cursor.execute(
        f"""
        INSERT INTO {figure_rows} ({_COLUMNS})
        WITH needed AS (
            SELECT COALESCE(reseller_id, partner_id) AS payer, product_id,
                   SUM(licenses_12) AS licenses
              FROM {figure_rows}
             WHERE part = 'pool' AND COALESCE(reseller_id, partner_id) = ANY(%s)
             GROUP BY 1, 2
        ),
        short AS (
            SELECT n.payer, n.product_id
              FROM needed n
              LEFT JOIN {pool} q
                ON q.organization_id = n.payer AND q.product_id = n.product_id
             WHERE n.licenses > COALESCE(q.balance, 0)
        ),
        per_day AS (
            SELECT d.partner_id, d.reseller_id, d.product_id, d.term_end, d.month,
                   SUM(d.licenses) AS licenses
              FROM {_quote(FigureDay)} d
              JOIN short s ON s.payer = COALESCE(d.reseller_id, d.partner_id)
               AND s.product_id = d.product_id
             GROUP BY d.partner_id, d.reseller_id, d.product_id, d.term_end, d.month
        ),
        {_RUNNING_TOTAL}
        {_DRY_PART.format(pool=pool)}
        """,
        (organizations,),
    )


def rebuild(today=None):
    """Every kept row recomputed now (`manage.py refresh_figures`, `seed_demo`)."""
    if _kept():
        _refresh(today or local_today(), everything=True)
