"""Figures over every subscription in a scope (the dashboard's counts and chart, the
shortfall forecast, the lists' counts), kept until the data they were computed from
changes.

On PostgreSQL the dashboard's figures are themselves read from rows kept per client group
(figures.py: a sum of a few hundred rows); this cache saves that sum, the pools' names
and the lists' counts on the next look, as long as nothing was written.

The cache key holds the database's transaction snapshot (`pg_current_snapshot()`): the
next transaction id to be handed out and the ones still in progress. A transaction gets
an id when it first writes, so the snapshot moves with every transaction that writes —
and when it commits, because it leaves the in-progress list — and stands still through
reads. It is read *before* the figures are computed: figures stored under a snapshot come
from data at least as new as every commit it counts, and any later committed write,
through the services, Django admin, a command or psql, gives another key. Nothing has to
remember to invalidate anything, and a figure is never older than the data a page shows
beside it. (Writes in other databases of the same server move it too: a miss, never a
stale figure.)

The snapshot is kept in the entry, not in its key: one entry per figure, scope, window
and day, replaced when the snapshot moved (a key per snapshot left a file per write in
the file-based cache, which culled a third of its directory whenever it was full). The
figures are pickled inside the entry, so that an entry of another snapshot is told apart
without rebuilding staff's 800 pools.

Other databases (SQLite, the embedded default for small installations) are not cached:
there the figures are cheap and there is no such snapshot. Nor is anything cached inside
a transaction that has written, whose own uncommitted rows other requests cannot see.
"""

import hashlib
import logging
import pickle

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

from accounts.models import Scope

from ..dates import local_today, window_months
from . import figures_kept

logger = logging.getLogger(__name__)

# Long enough to serve a working session; short enough that a forgotten entry goes.
TIMEOUT_SECONDS = 600

SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text"


def data_snapshot():
    """Where the database's committed writes stand, or None where it cannot be read."""
    if (
        not settings.FIGURES_CACHE
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(SNAPSHOT_SQL)
            snapshot = cursor.fetchone()[0]
    except DatabaseError:  # a role without the right to read it: compute every time
        logger.warning("figures cache disabled: cannot read the snapshot", exc_info=True)
        return None
    # Databases of one server share its transaction ids, and may share a cache directory.
    database = connection.settings_dict
    where = f"{database['HOST']}:{database['PORT']}/{database['NAME']}:{snapshot}"
    return hashlib.md5(where.encode(), usedforsecurity=False).hexdigest()


def scope_key(user):
    """`user` None: the figure does not depend on who asks (its query names its scope)."""
    if user is None:
        return "any"
    scope = Scope.for_user(user)
    if scope.everything:
        return "all"
    if scope.sees_nothing:
        return "none"
    return f"{scope.kind}-{scope.organization_id}"


def cached_figures(name, user, compute, *, today=None, kept=False):
    """`compute()` for this user's scope, or what it returned for the same scope, day and
    data. `compute` must return plain values or model instances (they are pickled).

    `kept`: `compute` reads the kept figures (figures_kept.py). They are brought up to date
    before the snapshot is read: that writes, and a snapshot read before it would name
    data the next request's key no longer matches (a miss for nothing)."""
    if kept:
        figures_kept.refresh()
    snapshot = data_snapshot()
    if snapshot is None:
        return compute()
    today = today or local_today()
    # The default window is a setting (rule 16): a shared cache outlives a restart.
    key = f"figures:{name}:{scope_key(user)}:{window_months()}:{today.isoformat()}"
    found = cache.get(key)
    if found is not None and found[0] == snapshot:
        return pickle.loads(found[1])  # noqa: S301 -- written below, by this code only
    result = compute()
    # One entry, snapshot and figures together: two requests of different snapshots may
    # each replace the other's, and a read then misses, never serves older figures.
    cache.set(key, (snapshot, pickle.dumps(result, pickle.HIGHEST_PROTOCOL)), TIMEOUT_SECONDS)
    return result
