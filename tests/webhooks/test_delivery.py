"""Deliveries against a real receiver on loopback (docs/webhooks.md): signed as Standard
Webhooks says, in the organization's scope, retried with the same webhook-id until a 2xx,
never for a change that was rolled back."""

import json

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ
from standardwebhooks import Webhook

from subscriptions import services
from tests.webhooks.conftest import run_queue
from webhooks.models import Attempt, Delivery, Event
from webhooks.services import outbox
from webhooks.services.disabling import disable
from webhooks.services.endpoints import enable_endpoint

pytestmark = pytest.mark.django_db


def _renew(subscription, actor):
    return services.renew_subscription(actor=actor, subscription_id=subscription.pk, years=1)


@pytest.fixture
def due(make_subscription, alpha, tbox, grant, today):
    grant(alpha, tbox, 100)
    return make_subscription(alpha, tbox, end=today, name="Garage Martin", users=5)


def test_a_renewal_is_posted_signed_with_the_subscriptions_data(
    endpoint_for, receiver, due, alpha, partner_user
):
    endpoint = endpoint_for(alpha)
    _renew(due, partner_user)
    run_queue()

    assert receiver.wait_for(1)
    [request] = receiver.requests
    headers = request["headers"]
    # The receiver's own check, with the library: raises unless the signature holds.
    payload = Webhook(endpoint.secret).verify(request["body"], headers)
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["webhook-id"].startswith("msg_")
    assert payload["type"] == "subscription.renewed"
    assert payload["timestamp"]
    data = payload["data"]
    assert data["subscription_id"] == due.pk
    assert data["client_id"] == due.client_id
    assert data["client"] == "Garage Martin"
    assert data["product"] == "TBOX"
    assert data["organization_id"] == alpha.pk
    assert data["organization"] == "Alpha Distribution"
    assert Delivery.objects.get().state == "delivered"


def test_a_tampered_body_fails_the_receivers_check(endpoint_for, receiver, due, alpha,
                                                   partner_user):
    endpoint = endpoint_for(alpha)
    _renew(due, partner_user)
    run_queue()
    [request] = receiver.requests
    tampered = request["body"].replace(b"Garage", b"Garbage")
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(endpoint.secret).verify(tampered, request["headers"])


def test_a_rolled_back_renewal_sends_nothing(endpoint_for, receiver, due, alpha, partner_user):
    endpoint_for(alpha)
    with pytest.raises(RuntimeError), transaction.atomic():
        _renew(due, partner_user)
        raise RuntimeError("the caller's transaction fails after the renewal")
    assert run_queue() == 0
    assert not Event.objects.exists()
    assert not OrmQ.objects.exists()
    assert receiver.requests == []


def test_failures_and_a_hang_are_retried_with_the_same_id_until_a_2xx(
    endpoint_for, receiver, due, alpha, partner_user
):
    endpoint = endpoint_for(alpha)
    receiver.script = ["500", "hang", "200"]
    _renew(due, partner_user)
    run_queue()

    assert receiver.wait_for(3)
    assert [r["behaviour"] for r in receiver.requests] == ["500", "hang", "200"]
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    for request in receiver.requests:
        Webhook(endpoint.secret).verify(request["body"], request["headers"])
    log = list(Attempt.objects.order_by("number").values_list("number", "status_code"))
    assert log == [(1, 500), (2, None), (3, 200)]
    assert Delivery.objects.get().state == "delivered"


def test_each_retry_waits_its_delay_from_the_failed_try(
    endpoint_for, receiver, due, alpha, partner_user, webhook_settings
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = [300]
    endpoint_for(alpha)
    receiver.then = "503"
    _renew(due, partner_user)
    run_queue()
    delivery = Delivery.objects.get()
    attempt = delivery.log.get()
    assert delivery.state == "pending"
    assert (delivery.next_attempt_at - attempt.at).total_seconds() == 300
    # The retry's task is queued, and not handed out before its time.
    assert OrmQ.objects.get().lock == delivery.next_attempt_at
    assert len(receiver.requests) == 1


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_managers_told(
    endpoint_for, receiver, due, alpha, partner_user, viewer_user, webhook_settings,
    django_capture_on_commit_callbacks, make_subscription, tbox, today,
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = [0]
    endpoint = endpoint_for(alpha)
    receiver.then = "500"
    _renew(due, partner_user)
    with django_capture_on_commit_callbacks(execute=True):
        run_queue()

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert Delivery.objects.get().state == "failed"
    assert len(receiver.requests) == 2
    # Managers only: the read-only member is not asked to act.
    assert [message.to for message in mail.outbox] == [[partner_user.email]]
    assert receiver.url in mail.outbox[0].subject
    # A disabled endpoint receives nothing more: events are not kept for it.
    _renew(make_subscription(alpha, tbox, end=today), partner_user)
    assert run_queue() == 0
    assert len(receiver.requests) == 2
    assert Delivery.objects.count() == 1


def test_events_pending_when_an_endpoint_is_disabled_are_sent_once_it_is_enabled(
    endpoint_for, receiver, due, alpha, partner_user, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(alpha)
    _renew(due, partner_user)
    disable(endpoint, now=timezone.now())
    assert run_queue() == 1
    assert receiver.requests == []
    enable_endpoint(endpoint)
    run_queue()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().state == "delivered"


def test_a_partner_receives_its_resellers_events_and_a_reseller_only_its_own(
    endpoint_for, receiver, make_subscription, grant, alpha, alpha_reseller, beta, tbox,
    partner_user, reseller_user, today,
):
    partner_endpoint = endpoint_for(alpha)
    reseller_endpoint = endpoint_for(alpha_reseller)
    other_endpoint = endpoint_for(beta)
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 100)
    resold = make_subscription(alpha, tbox, end=today, reseller=alpha_reseller)
    direct = make_subscription(alpha, tbox, end=today)
    _renew(resold, reseller_user)
    _renew(direct, partner_user)
    run_queue()

    def received_by(endpoint):
        return sorted(
            json.loads(d.event.body)["data"]["subscription_id"]
            for d in Delivery.objects.filter(endpoint=endpoint, state="delivered")
        )

    assert received_by(partner_endpoint) == sorted([resold.pk, direct.pk])
    assert received_by(reseller_endpoint) == [resold.pk]
    assert received_by(other_endpoint) == []
    assert len(receiver.requests) == 3
    resold_data = json.loads(Event.objects.get(
        deliveries__endpoint=reseller_endpoint).body)["data"]
    assert resold_data["organization"] == "Alpha Revente"


def test_recording_without_endpoints_costs_one_query(due):
    with CaptureQueriesContext(connection) as queries:
        outbox.record("subscription.renewed", [due])
    assert len(queries) == 1
    assert not Event.objects.exists()


def test_an_endpoint_gets_only_the_events_it_chose(endpoint_for, receiver, due, alpha,
                                                   partner_user):
    endpoint_for(alpha, events=["subscription.users_added"])
    _renew(due, partner_user)
    services.add_users(actor=partner_user, subscription_id=due.pk, users=2)
    run_queue()
    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert payload["type"] == "subscription.users_added"
    assert payload["data"]["users_added"] == 2


def test_an_undone_renewal_is_told(endpoint_for, receiver, due, alpha, partner_user):
    endpoint_for(alpha, events=["subscription.renewal_cancelled"])
    _renew(due, partner_user)
    services.cancel_renewal(actor=partner_user, subscription_id=due.pk)
    run_queue()
    [request] = receiver.requests
    assert json.loads(request["body"])["type"] == "subscription.renewal_cancelled"


def test_a_claimed_delivery_is_not_sent_twice(endpoint_for, receiver, due, alpha,
                                              partner_user):
    from webhooks.services.sender import deliver

    endpoint_for(alpha)
    _renew(due, partner_user)
    delivery = Delivery.objects.get()
    deliver([delivery.pk])
    # A second worker handed the same task (its first worker seemed dead) finds it done.
    deliver([delivery.pk])
    assert len(receiver.requests) == 1
