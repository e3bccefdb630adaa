"""Two runs at once on PostgreSQL: each reminder leaves once (real threads, real locks)."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections

from reminders import services
from reminders.models import ReminderSent

DAY = datetime.timedelta(days=1)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one writer at a time: there is no concurrent run to race",
    ),
]


class _SlowOutbox:
    """Holds each digest a moment before delivering it, so the two runs overlap while the
    first one's claims are still uncommitted."""

    def __init__(self):
        self.backend = mail.get_connection("django.core.mail.backends.locmem.EmailBackend")

    def send_messages(self, messages):
        time.sleep(0.3)
        return self.backend.send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(
    today, ending_on, alpha_reseller, partner_user, reseller_user
):
    subscriptions = [
        ending_on(today + days * DAY, reseller=alpha_reseller if days % 2 else None)
        for days in (90, 30, 7, -1, -5, 29, 6)
    ]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.send_reminders(today=today, connection=_SlowOutbox()))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(len(result.reminders) for result in results) == [0, len(subscriptions)]
    assert ReminderSent.objects.count() == len(subscriptions)
    # partner manager: all 7 once; reseller manager: its 4 once.
    received = {}
    for message in mail.outbox:
        received.setdefault(message.to[0], 0)
        received[message.to[0]] += message.body.count("/renew/")
    assert received == {"partner@example.com": 7, "reseller@example.com": 4}
