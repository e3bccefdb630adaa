"""The statement behind every figure of the dashboard and the forecast (rules 6, 7 and
17), per client group: computed on the spot by figures.py, or written into the kept rows
by figures_kept.py (the same statement both ways).

A client group is a partner and optionally one of its resellers, the two columns every
scope filters on; a scope's figures are the sum of its groups' rows. Each group's rows
are additive across groups: a client belongs to one group, so distinct clients add up.
The day a pool runs dry is computed from every renewal the pool pays in the statement's
scope; a pool pays the clients of one group (its reseller's, or its partner's own), so it
is the same whether computed for a scope or for everyone.
"""

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import BigIntegerField, F, Value
from django.db.models.functions import Coalesce, Greatest, TruncMonth

from ..dates import window_end
from ..models import FigureDay, FigureRow, FiguresBuckets, LicensePool
from ..status import Status, status_expression

MONTHS = 12
HORIZON_MONTHS = 12

# The day each pool runs dry, from a `per_day` table expression (partner_id, reseller_id,
# product_id, term_end, month, licenses: what its renewals due need that day), in two
# pieces: a table expression that follows `per_day` and a statement's part. The running
# total by end day: the first day it passes the balance is the end date of the first
# renewal the balance cannot pay, as it would be row by row (no pool: a balance of 0), and
# its month is the chart's first short month for the pool. Rows of `COLUMNS`, "dry".
RUNNING_TOTAL = """
    cumulative AS (
        SELECT partner_id, reseller_id, product_id, term_end, month,
               SUM(licenses) OVER (PARTITION BY partner_id, reseller_id, product_id
                                   ORDER BY term_end) AS running
          FROM per_day
    )
"""
DRY_PART = """
    SELECT 'dry', c.partner_id, c.reseller_id, 0, c.product_id, NULL, MIN(c.month), 0, 0, 0,
           0, 0, MIN(c.term_end)
      FROM cumulative c
      LEFT JOIN {pool} q
        ON q.organization_id = COALESCE(c.reseller_id, c.partner_id)
       AND q.product_id = c.product_id
     WHERE c.running > COALESCE(q.balance, 0)
     GROUP BY c.partner_id, c.reseller_id, c.product_id
"""


COLUMNS = (
    "part, partner_id, reseller_id, bucket, product_id, status, month, subscriptions, "
    "companies, licenses, companies_12, licenses_12, runs_dry"
)
DAY_COLUMNS = (
    "partner_id, reseller_id, bucket, product_id, term_end, month, licenses"
)



def quote(model):
    return connection.ops.quote_name(model._meta.db_table)


def groups_sql(subscriptions, today, months, horizon_months, *, kept=False, dry=True):
    """The statement that computes every figure of `subscriptions`, per client group: rows
    of `COLUMNS` (see FigureRow). The status CASE is evaluated once per row, in the table
    expression, which every part reads (PostgreSQL materialises it once); what rules 7 and
    17 derive from it is written below over its columns (SQL that must say what
    `status.to_renew_q` and `status.due_within_q` say: expiring or expired and not marked as
    not renewing; or active and ending before the horizon).

    Every part is a sum over clients but `dry`, the day a pool runs dry, computed from all
    the renewals it pays (`dry` False leaves it out: one bucket's statement). `kept`: the
    statement that writes the rows into FigureRow, the sums in their buckets
    (`FiguresBuckets`), with the licenses due per pool, bucket and day into FigureDay."""
    first = today.replace(day=1)
    stop = first + relativedelta(months=months)
    scoped = (
        subscriptions.annotate(
            status=status_expression(today),
            # Months before the first shown are one group: only their licenses count (rule
            # 17's "due now"), and grouping by every past month was most of this
            # statement's time at 100 000 clients.
            month=Greatest(TruncMonth("term_end"), Value(first)),
            # Rule 17 with rule 22: what the next renewal needs, its plan's users × years
            # (both set or neither, a constraint holds it), else its users for one year.
            # Named `users` below: every part reads it as the licenses a renewal needs.
            renewal_licenses=Coalesce(
                F("renewal_users") * F("renewal_years"), F("users"),
                output_field=BigIntegerField(),
            ),
        )
        .order_by()
        .values_list("status", "not_renewing_reason", "client_partner_id",
                     "client_reseller_id", "product_id", "month", "client_id",
                     "renewal_licenses", "term_end")
    )
    into = f"INSERT INTO {quote(FigureRow)} ({COLUMNS}) " if kept else ""
    if scoped.query.is_empty():
        return f"{into}SELECT {COLUMNS} FROM {quote(FigureRow)} WHERE 1 = 0", ()
    scoped_sql, scoped_params = scoped.query.sql_with_params()
    if kept:
        bucket = "MOD(s.client_id, COALESCE(b.buckets, 1))"
        buckets = (
            f"LEFT JOIN {quote(FiguresBuckets)} b"
            " ON b.organization_id = COALESCE(s.reseller_id, s.partner_id)"
        )
    else:
        bucket, buckets = "0", ""
    # Placeholders stay positional (Django's compiled SQL may hold a literal %%).
    to_renew = "(status IN (%s, %s) AND not_renewing IS NULL)"
    pool = quote(LicensePool)
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
        -- counts without sorting every row due.
        per_client AS (
            SELECT partner_id, reseller_id, bucket, product_id,
                   SUM(CASE WHEN is_now THEN users ELSE 0 END) AS needed,
                   MAX(CASE WHEN is_now THEN 1 ELSE 0 END) AS due_now,
                   SUM(users) AS needed_12
              FROM due GROUP BY partner_id, reseller_id, bucket, product_id, client_id
        ),
        -- What the renewals due need per day: the day each pool runs dry (DRY_PART).
        per_day AS (
            SELECT partner_id, reseller_id, product_id, term_end, month,
                   SUM(users) AS licenses
              FROM due GROUP BY partner_id, reseller_id, product_id, term_end, month
        ),
        {RUNNING_TOTAL}
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
        parts.append((DRY_PART.format(pool=pool), ()))
    if kept:
        # A data-modifying table expression: runs once, with the statement's snapshot.
        tables += f""",
        days AS (
            INSERT INTO {quote(FigureDay)} ({DAY_COLUMNS})
            SELECT partner_id, reseller_id, bucket, product_id, term_end, month,
                   SUM(users)
              FROM due GROUP BY partner_id, reseller_id, bucket, product_id, term_end, month
        )
        """
    sql = tables + into + " UNION ALL ".join(part for part, _params in parts)
    params = tables_params + tuple(p for _part, part_params in parts for p in part_params)
    return sql, params

