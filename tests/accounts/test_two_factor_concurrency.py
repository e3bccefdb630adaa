"""Two logins at once with the same code, on PostgreSQL: the code is accepted once (real
threads, real row locks; RFC 6238 §5.2)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers.two_factor import code_at, code_step, password_step, secret_of, step_now

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one writer at a time: there is no concurrent login to race",
    ),
    pytest.mark.usefixtures("plain_http"),
]


def _race(code, attempts=4):
    """`attempts` sessions past the password, sending `code` at the same moment."""
    clients = [Client() for _ in range(attempts)]
    for client in clients:
        password_step(client, "partner")
    barrier = threading.Barrier(attempts)
    statuses, errors = [], []

    def run(client):
        try:
            barrier.wait()
            statuses.append(code_step(client, code).status_code)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_one_totp_code_sent_by_four_sessions_at_once_logs_in_one(partner_user):
    device = TOTPDevice.objects.create(user=partner_user, name="app", confirmed=True)
    assert _race(code_at(secret_of(device), step_now())) == [200, 200, 200, 302]


@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_sent_by_four_sessions_at_once_logs_in_one(partner_user):
    TOTPDevice.objects.create(user=partner_user, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=partner_user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=recovery, token="abcd2345")
    assert _race("abcd2345") == [200, 200, 200, 302]
