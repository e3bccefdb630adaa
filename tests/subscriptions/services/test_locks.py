"""Row locks are taken in one place and one order: subscriptions first, then pools, each
by pk; a pool's own debit (an UPDATE, which locks it) comes after them."""

import datetime
import pathlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subscriptions import services
from subscriptions.services.idempotency import issue_token

from .helpers import TODAY, renew

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite takes no row locks"
)


def _first(queries, pattern):
    """The index of the first captured statement matching `pattern`, or None."""
    for index, query in enumerate(queries.captured_queries):
        if re.search(pattern, query["sql"], re.IGNORECASE | re.DOTALL):
            return index
    return None


POOL_UPDATE = r'^\s*(WITH debit AS \(\s*)?UPDATE "?subscriptions_licensepool"?'
SUBSCRIPTION_LOCK = r'FOR UPDATE OF ("subscriptions_subscription"|s)\s*$'
POOL_LOCK = r'FOR UPDATE OF "subscriptions_licensepool"\s*$'


def test_no_service_but_locks_takes_a_row_lock():
    package = pathlib.Path(services.__file__).parent
    lockers = sorted(
        path.name for path in package.glob("*.py")
        if re.search(r"select_for_update|FOR UPDATE", path.read_text())
    )
    assert lockers == ["locks.py"]


@on_postgresql
@pytest.mark.parametrize("with_token", [True, False])
def test_a_renewal_locks_its_subscription_before_it_debits_the_pool(
    alpha, tbox, grant, partner_user, make_subscription, with_token
):
    grant(alpha, tbox, 100)
    subscription = make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31), users=7
    )
    token = issue_token(partner_user) if with_token else None
    with CaptureQueriesContext(connection) as queries:
        renew(partner_user, subscription, years=1, token=token)
    locked, debited = _first(queries, SUBSCRIPTION_LOCK), _first(queries, POOL_UPDATE)
    assert locked is not None and debited is not None
    assert locked < debited


@on_postgresql
def test_a_refused_renewal_reads_the_short_pool_under_its_lock_after_the_subscription(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 1)
    subscription = make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31), users=7
    )
    with CaptureQueriesContext(connection) as queries, pytest.raises(services.OperationRefused):
        renew(partner_user, subscription, years=1)
    assert _first(queries, SUBSCRIPTION_LOCK) < _first(queries, POOL_LOCK)


@on_postgresql
def test_a_bulk_renewal_locks_subscriptions_then_pools_each_in_pk_order(
    alpha, alpha_reseller, beta, tbox, tsend, grant, partner_user, make_subscription
):
    for organization in (alpha, alpha_reseller, beta):
        grant(organization, tbox, 100)
        grant(organization, tsend, 100)
    made = [
        make_subscription(partner, product, reseller=reseller, start=datetime.date(2024, 8, 1),
                          end=datetime.date(2025, 7, 31), users=2)
        for partner, reseller in ((beta, None), (alpha, None), (alpha, alpha_reseller))
        for product in (tsend, tbox)
    ]
    ids = [subscription.pk for subscription in reversed(made)]
    with CaptureQueriesContext(connection) as queries:
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=ids, years=1, today=TODAY
        )
    statements = [query["sql"] for query in queries.captured_queries]
    subscription_lock = _first(queries, SUBSCRIPTION_LOCK)
    pool_lock = _first(queries, POOL_LOCK)
    pool_update = _first(queries, POOL_UPDATE)
    assert subscription_lock < pool_lock < pool_update
    for index in (subscription_lock, pool_lock):
        assert re.search(r'ORDER BY "?\w+"?\."?id"? ASC', statements[index])
    debited = [
        int(re.search(r"WHERE id = (\d+)", sql).group(1))
        for sql in statements if re.match(POOL_UPDATE, sql, re.IGNORECASE)
    ]
    assert len(debited) == 6
    assert debited == sorted(debited)
