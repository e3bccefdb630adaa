"""The real worker (`manage.py qcluster`, as `make serve` starts it) against a real
receiver, on PostgreSQL where a test's rows are seen by another process: a worker killed
mid-delivery (SIGKILL while the receiver hangs) or a database connection cut under it
loses nothing, and two workers never send one try twice."""

import os

import pytest
from django.db import connection
from standardwebhooks import Webhook

from subscriptions import services
from tests.helpers.markers import postgres_only
from tests.webhooks.worker import kill_worker, start_worker, until
from webhooks.models import Attempt, Delivery

pytestmark = postgres_only("another process sees the test's rows only on PostgreSQL",
                           transaction=True)
TIMEOUT = 3


def _database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


def _start_worker(tmp_path, name):
    return start_worker({
        **os.environ, "DATABASE_URL": _database_url(), "DEBUG": "0",
        "PORTAL_ALLOW_INSECURE_KEY": "1", "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_TIMEOUT": str(TIMEOUT), "WEBHOOK_WORKERS": "1",
        "WEBHOOK_RETRY_DELAYS": "1,1,1", "CACHE_DIR": str(tmp_path / "cache"),
    }, tmp_path / f"{name}.log")


@pytest.fixture
def workers(tmp_path):
    started = []

    def _start(name="worker"):
        started.append(_start_worker(tmp_path, name))
        return started[-1]

    yield _start
    for worker in started:
        kill_worker(worker)


@pytest.fixture
def renewable(make_subscription, grant, alpha, tbox, today):
    grant(alpha, tbox, 100)
    return lambda: make_subscription(alpha, tbox, end=today)


def _renew(subscription, actor):
    services.renew_subscription(actor=actor, subscription_id=subscription.pk, years=1)


def test_a_worker_killed_mid_delivery_loses_nothing(
    workers, endpoint_for, receiver, renewable, alpha, partner_user
):
    endpoint = endpoint_for(alpha)
    receiver.script = ["hang"]
    worker = workers("first")
    _renew(renewable(), partner_user)

    assert receiver.wait_for(1, timeout=60), "the worker never posted"
    kill_worker(worker)
    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert not Attempt.objects.exists()

    workers("second")
    # Handed out again once the broker's `retry` has passed and the claim has lapsed.
    assert receiver.wait_for(2, timeout=90), "the delivery was lost with its worker"
    assert until(lambda: Delivery.objects.get().state == "delivered", 30)
    first, second = receiver.requests[:2]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    Webhook(endpoint.secret).verify(second["body"], second["headers"])
    assert list(Attempt.objects.values_list("number", "status_code")) == [(1, 200)]


def test_a_database_connection_cut_mid_delivery_loses_nothing(
    workers, endpoint_for, receiver, renewable, alpha, partner_user
):
    endpoint_for(alpha)
    receiver.script = ["hang"]
    workers()
    _renew(renewable(), partner_user)
    assert receiver.wait_for(1, timeout=60)
    # As a database restart does: every other session of the test database is ended
    # while the worker waits for the receiver, before it writes what happened.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert receiver.wait_for(2, timeout=120), "the delivery was lost with the connection"
    assert until(lambda: Delivery.objects.get().state == "delivered", 60)
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1


def test_two_workers_never_send_one_try_twice(
    workers, endpoint_for, receiver, renewable, alpha, partner_user
):
    endpoint_for(alpha)
    workers("one")
    workers("two")
    for _ in range(8):
        _renew(renewable(), partner_user)
    assert until(lambda: Delivery.objects.filter(state="delivered").count() == 8, 90)
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == 8
    assert len(set(ids)) == 8
