"""The dashboard's figures and the forecast kept in the database between writes
(PostgreSQL only; `settings.KEPT_FIGURES`).

Every client group's rows of figures_sql's statement are kept in `FigureRow`, as of
today. Database triggers (migrations 0007 and 0009) record in `FiguresChange` the paying
organization of every subscription, pool balance or partner window written, by any path:
the services, the admin, a command, plain SQL. Before reading, `refresh` recomputes the
rows of the organizations recorded since (one renewal: its payer's few rows) and rebuilds
them all on a new day or default window. A scope's figures are then a sum over a few
hundred rows (figures.py).

An organization paying for thousands of subscriptions would cost every write's next read
its whole recompute. Its clients are split into buckets (client id modulo a power of
two, `FiguresBuckets`, set at each rebuild) and every sum is kept per bucket: the
triggers record the client written, and a read recomputes that client's bucket. The day
a pool runs dry is no sum: it is kept in its own row per pool and computed again, after
any bucket or balance of its organization changed, from the licenses due per day that
each bucket keeps beside its rows (`FigureDay`) — only for the pools whose balance is
short of what they must renew over the horizon (the kept sums tell), as the others never
run dry.

Why it is exact: a write and its record commit together. The refresh deletes the records
it can see and *then* recomputes from a newer snapshot (read committed), so every write
whose record it deleted is in what it writes; a write it could not see keeps its record
for the next reader. Refreshes take a lock in turn, so a later one never loses to an
earlier. The rows depend on today (statuses, months), hence the day in `FiguresState`.
"""

import zlib

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from ..dates import local_today, window_months
from ..models import (
    FigureDay,
    FigureRow,
    FiguresBuckets,
    FiguresChange,
    FiguresState,
    LicensePool,
    Subscription,
)
from .figures_sql import (
    COLUMNS,
    DRY_PART,
    HORIZON_MONTHS,
    MONTHS,
    RUNNING_TOTAL,
    groups_sql,
    quote,
)

# More organizations changed than this since the last read: rebuilding every row costs
# less than recomputing them one by one.
REBUILD_FROM = 200

REFRESH_WORK_MEM = "32MB"

# A paying organization with more subscriptions than this keeps its figures in buckets of
# clients (client id modulo a power of two), each about this size at most: a write
# recomputes its bucket. SLOTS is the modulo migration 0009's index is built on.
BUCKET_SUBSCRIPTIONS = 1000
SLOTS = 64

# Refreshes of the kept figures wait for each other (pg_advisory_xact_lock's key; the
# name is the module's old one, so servers of two releases wait for each other too).
_REFRESH_LOCK = zlib.crc32(b"subscriptions.figures.refresh")


def active():
    """Whether the figures are kept here (the setting on, and PostgreSQL)."""
    return settings.KEPT_FIGURES and connection.vendor == "postgresql"


def refresh():
    """Brings the kept figures up to date now, so that their own writes come before a
    cache key taken after (figures_cache.cached_figures)."""
    if active():
        refresh_as_of(local_today())


def refresh_as_of(today, *, everything=False):
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
            f"WITH taken AS (DELETE FROM {quote(FiguresChange)}"
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
        f"SELECT organization_id, buckets FROM {quote(FiguresBuckets)}"
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
    sorted in memory rather than on disk."""
    cursor.execute(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'")


def _state_and_changes(cursor=None):
    sql = f"""
        SELECT (SELECT as_of FROM {quote(FiguresState)} WHERE id = 1),
               (SELECT window_months FROM {quote(FiguresState)} WHERE id = 1),
               EXISTS (SELECT 1 FROM {quote(FiguresChange)})
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
    sql, params = groups_sql(subscriptions, today, MONTHS, HORIZON_MONTHS, kept=True, dry=dry)
    cursor.execute(sql, params)


def _paid_by(organizations):
    """The subscriptions these organizations pay for (rule 2), by the expression migration
    0009's index starts with."""
    return Subscription.objects.alias(
        payer=Coalesce("client_reseller_id", "client_partner_id")
    ).filter(payer__in=organizations)


def _rebuild(cursor, today):
    cursor.execute(f"DELETE FROM {quote(FigureRow)}")
    cursor.execute(f"DELETE FROM {quote(FigureDay)}")
    _split_large_organizations(cursor)
    _insert(cursor, Subscription.objects.all(), today)
    # One statement whether the row is there or not (as many queries on the first read as
    # on a day's first: the query-count tests compare them).
    cursor.execute(
        f"INSERT INTO {quote(FiguresState)} (id, as_of, window_months) VALUES (1, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of,"
        " window_months = EXCLUDED.window_months",
        (today, window_months()),
    )


def _split_large_organizations(cursor):
    """Buckets for every paying organization with more than BUCKET_SUBSCRIPTIONS
    subscriptions: a power of two (it divides SLOTS) that brings each under it."""
    cursor.execute(f"DELETE FROM {quote(FiguresBuckets)}")
    cursor.execute(
        "SELECT COALESCE(client_reseller_id, client_partner_id), COUNT(*)"
        f" FROM {quote(Subscription)} GROUP BY 1 HAVING COUNT(*) > %s",
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
            f"INSERT INTO {quote(FiguresBuckets)} (organization_id, buckets)"
            " VALUES (%s, %s)",
            large,
        )


def _recompute(cursor, today, organizations):
    """The rows of the groups these organizations pay for: a reseller's clients, or a
    partner's own (those without a reseller)."""
    for model in (FigureRow, FigureDay):
        cursor.execute(
            f"DELETE FROM {quote(model)} WHERE COALESCE(reseller_id, partner_id) = ANY(%s)",
            (organizations,),
        )
    _insert(cursor, _paid_by(organizations), today)


def _recompute_buckets(cursor, today, organization_id, count, buckets):
    """These buckets of one organization's rows, read through migration 0009's index: the
    clients whose id modulo SLOTS is one of the buckets' slots."""
    cursor.execute(
        f"DELETE FROM {quote(FigureRow)} WHERE COALESCE(reseller_id, partner_id) = %s"
        " AND part <> 'dry' AND bucket = ANY(%s)",
        (organization_id, buckets),
    )
    cursor.execute(
        f"DELETE FROM {quote(FigureDay)} WHERE COALESCE(reseller_id, partner_id) = %s"
        " AND bucket = ANY(%s)",
        (organization_id, buckets),
    )
    slots = [slot for slot in range(SLOTS) if slot % count in buckets]
    # Written as the index is (a bound parameter in place of SLOTS would not match it).
    slot = RawSQL(f"MOD({quote(Subscription)}.client_id, {int(SLOTS)})", ())
    subscriptions = _paid_by([organization_id]).alias(slot=slot).filter(slot__in=slots)
    _insert(cursor, subscriptions, today, dry=False)


def _recompute_dry(cursor, organizations):
    """The day each pool of these organizations runs dry, from the licenses its renewals
    need per day (FigureDay, every bucket); only for the pools whose balance is short of
    what the kept sums say they must renew over the horizon (the others never run dry)."""
    figure_rows, pool = quote(FigureRow), quote(LicensePool)
    cursor.execute(
        f"DELETE FROM {figure_rows} WHERE part = 'dry'"
        " AND COALESCE(reseller_id, partner_id) = ANY(%s)",
        (organizations,),
    )
    # As `_groups_sql` computes it, from the days kept instead of the subscriptions.
    cursor.execute(
        f"""
        INSERT INTO {figure_rows} ({COLUMNS})
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
              FROM {quote(FigureDay)} d
              JOIN short s ON s.payer = COALESCE(d.reseller_id, d.partner_id)
               AND s.product_id = d.product_id
             GROUP BY d.partner_id, d.reseller_id, d.product_id, d.term_end, d.month
        ),
        {RUNNING_TOTAL}
        {DRY_PART.format(pool=pool)}
        """,
        (organizations,),
    )


def rebuild(today=None):
    """Every kept row recomputed now (`manage.py refresh_figures`, `seed_demo`)."""
    if active():
        refresh_as_of(today or local_today(), everything=True)
