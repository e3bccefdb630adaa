"""The database going away mid-renewal (PostgreSQL): the whole renewal or none of it.

The request is stopped at an exact point, right after its debit and ledger line were
written and before its transaction commits: a trigger created by the test makes the
ledger INSERT wait on an advisory lock the test holds. The test then kills the request's
connection with pg_terminate_backend, as a crashed or restarted server would.
"""

import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from subscriptions.models import LicenseMovement, LicensePool, OperationToken, Term
from tests.helpers.html import token_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend"),
    pytest.mark.django_db(transaction=True),
]

LOCK_KEY = 4242
PAUSE = f"""
CREATE OR REPLACE FUNCTION test_pause_after_ledger_line() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_lock_shared({LOCK_KEY});
    PERFORM pg_advisory_unlock_shared({LOCK_KEY});
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER test_pause_after_ledger_line AFTER INSERT ON subscriptions_licensemovement
    FOR EACH ROW EXECUTE FUNCTION test_pause_after_ledger_line();
"""
UNPAUSE = """
DROP TRIGGER IF EXISTS test_pause_after_ledger_line ON subscriptions_licensemovement;
DROP FUNCTION IF EXISTS test_pause_after_ledger_line();
"""


def side_connection():
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )


def state(pool):
    pool.refresh_from_db()
    return (
        pool.balance,
        LicenseMovement.objects.count(),
        Term.objects.count(),
        OperationToken.objects.count(),
    )


def test_a_renewal_killed_after_its_debit_leaves_nothing_and_its_retry_succeeds_once(
    alpha, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha, tbox, 100)
    subscription = make_subscription(
        alpha, tbox, start=today.replace(year=today.year - 1), end=today, users=5
    )
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    url = reverse("renew", args=[subscription.pk])
    client = Client(raise_request_exception=False)
    client.force_login(partner_user)
    page = client.get(url).content.decode()
    token = token_of(page)
    assert token
    form = {"years": "1", "users": "5", "token": token}
    before = state(pool)

    side = side_connection()
    answers = {}

    def submit():
        try:
            answers["response"] = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - the connection was killed on purpose
                pass

    try:
        side.execute(PAUSE)
        side.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        worker = threading.Thread(target=submit)
        worker.start()
        pid = None
        deadline = time.monotonic() + 30
        while pid is None and time.monotonic() < deadline:
            row = side.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND wait_event = 'advisory' AND datname = current_database()"
            ).fetchone()
            pid = row[0] if row else None
            time.sleep(0.05)
        assert pid is not None, "the renewal never reached its ledger line"
        side.execute("SELECT pg_terminate_backend(%s)", [pid])
        side.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        worker.join(30)
    finally:
        side.execute("SELECT pg_advisory_unlock_all()")
        side.execute(UNPAUSE)
        side.close()

    response = answers["response"]
    assert response.status_code == 500
    body = response.content.decode()
    assert "portal-navbar" in body and "Traceback" not in body
    # None of it: no debit, no ledger line, no term, and the token is not spent.
    assert state(pool) == before

    retried = client.post(url, form)
    assert retried.status_code == 302
    assert state(pool) == (
        before[0] - 5, before[1] + 1, before[2] + 1, before[3] + 1
    )
    # The same form once more: answered like the first success, nothing changes.
    again = client.post(url, form)
    assert again.status_code == 302
    assert state(pool) == (before[0] - 5, before[1] + 1, before[2] + 1, before[3] + 1)
