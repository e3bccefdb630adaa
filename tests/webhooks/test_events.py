"""The events other than a plain renewal, each from the service that makes its change
(docs/webhooks.md): co-terming, a refused automatic renewal, a reminder threshold, a pool
left short of what it must renew now."""

import datetime
import json

import pytest

from reminders.services import send_reminders
from subscriptions import services
from subscriptions.services.auto_renewal import run_auto_renewals
from tests.webhooks.conftest import run_queue

pytestmark = pytest.mark.django_db


def _received(receiver):
    return [json.loads(request["body"]) for request in receiver.requests]


def test_a_pool_left_short_is_told_once_until_it_is_refilled(
    endpoint_for, receiver, make_subscription, grant, alpha, tbox, partner_user, today
):
    endpoint_for(alpha, events=["pool.low"])
    grant(alpha, tbox, 12)
    first, second, third = (make_subscription(alpha, tbox, end=today, users=5)
                            for _ in range(3))

    services.renew_subscription(actor=partner_user, subscription_id=first.pk, years=1)
    run_queue()
    [low] = _received(receiver)
    assert low["type"] == "pool.low"
    assert low["data"]["organization"] == "Alpha Distribution"
    assert low["data"]["product"] == "TBOX"
    assert (low["data"]["balance"], low["data"]["needed"], low["data"]["missing"]) == (7, 10, 3)

    services.renew_subscription(actor=partner_user, subscription_id=second.pk, years=1)
    run_queue()
    assert len(receiver.requests) == 1, "told again without having been refilled"

    grant(alpha, tbox, 10)
    make_subscription(alpha, tbox, end=today, users=10)
    services.renew_subscription(actor=partner_user, subscription_id=third.pk, years=1)
    run_queue()
    assert [event["data"]["missing"] for event in _received(receiver)] == [3, 3]


def test_a_pool_that_can_pay_what_is_due_is_not_told(
    endpoint_for, receiver, make_subscription, grant, alpha, tbox, partner_user, today
):
    endpoint_for(alpha, events=["pool.low"])
    grant(alpha, tbox, 100)
    due = make_subscription(alpha, tbox, end=today)
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1)
    assert run_queue() == 0
    assert receiver.requests == []


def test_a_coterming_is_told_for_each_extended_subscription(
    endpoint_for, receiver, make_subscription, grant, alpha, tbox, tsend, partner_user, today
):
    endpoint_for(alpha, events=["subscription.coterminated"])
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    longest = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=30),
                                years=2)
    shorter = make_subscription(alpha, tsend, client=longest.client,
                                start=today - datetime.timedelta(days=30))
    services.coterm_subscriptions(
        actor=partner_user, client_id=longest.client_id, end=longest.term_end,
        subscription_ids=[shorter.pk],
    )
    run_queue()
    [event] = _received(receiver)
    assert event["type"] == "subscription.coterminated"
    assert event["data"]["subscription_id"] == shorter.pk
    assert event["data"]["term_end"] == longest.term_end.isoformat()


def test_a_refused_automatic_renewal_is_told(
    endpoint_for, receiver, make_subscription, alpha, tbox, today
):
    endpoint_for(alpha, events=["subscription.auto_renew_failed"])
    due = make_subscription(alpha, tbox, end=today)
    due.auto_renew = True
    due.save(update_fields=["auto_renew"])
    run_auto_renewals(today=today)
    run_queue()
    [event] = _received(receiver)
    assert event["type"] == "subscription.auto_renew_failed"
    assert event["data"]["subscription_id"] == due.pk
    assert event["data"]["missing"] == 5


def test_a_reminder_threshold_is_told_with_the_threshold(
    endpoint_for, receiver, make_subscription, alpha, tbox, today, partner_user
):
    endpoint_for(alpha, events=["subscription.expiring"])
    soon = make_subscription(alpha, tbox, end=today + datetime.timedelta(days=6))
    send_reminders(today=today)
    run_queue()
    [event] = _received(receiver)
    assert event["type"] == "subscription.expiring"
    assert event["data"]["subscription_id"] == soon.pk
    assert event["data"]["threshold"] == 7
    # Once per threshold: the next run tells nothing new.
    send_reminders(today=today)
    assert run_queue() == 0
