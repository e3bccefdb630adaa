"""The worker's side (docs/webhooks.md): `deliver` runs in a django-q2 worker, one try of
each delivery it is given.

A try is claimed first (a conditional UPDATE: one worker wins, and the claim lapses by
itself if that worker dies mid-POST), posted outside any transaction, then logged in one
transaction with what follows it: the delivery's new state and, after a failure, the
task of the next try, so that no outcome is ever half written.
"""

import datetime
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from .. import queue
from ..models import Attempt, Delivery, DeliveryState
from . import disabling
from .addresses import AddressRefused, check_url

logger = logging.getLogger("portal.operations")


def claim_seconds():
    """How long a claim holds: longer than a POST may take, so only a dead worker's lapses."""
    return settings.WEBHOOK_TIMEOUT * 2 + 5


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead the POST anywhere, past the address check: it is a failure.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def signed_headers(secret, message_id, body, now):
    return {
        "content-type": "application/json",
        "user-agent": "Partner-Portal-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def post(endpoint, event):
    """(HTTP status or None, error text) of one signed POST of `event` to `endpoint`."""
    try:
        check_url(endpoint.url)
    except AddressRefused as refusal:
        return None, f"address refused: {refusal.reason}"
    body = event.body.encode()
    request = urllib.request.Request(
        endpoint.url, data=body, method="POST",
        headers=signed_headers(endpoint.secret, event.message_id, body, timezone.now()),
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (OSError, ValueError) as error:
        return None, (str(getattr(error, "reason", "")) or type(error).__name__)[:200]


def _claim(delivery_id, now):
    return Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now,
        endpoint__enabled=True,
    ).update(claimed_until=now + datetime.timedelta(seconds=claim_seconds()))


def _busy_until(delivery_id):
    """When another worker's claim lapses, if the delivery is still to be sent."""
    return Delivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, endpoint__enabled=True,
        claimed_until__isnull=False,
    ).values_list("claimed_until", flat=True).first()


def deliver(delivery_ids):
    """One try of each due delivery among `delivery_ids`. A delivery another worker holds
    is queued again for when that claim lapses, in case its worker has died."""
    for delivery_id in delivery_ids:
        now = timezone.now()
        if not _claim(delivery_id, now):
            busy_until = _busy_until(delivery_id)
            if busy_until is not None and busy_until > now:
                queue.send([delivery_id], when=busy_until)
            continue
        attempt_once(Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id))


def _retry_delays():
    return settings.WEBHOOK_RETRY_DELAYS


def attempt_once(delivery):
    status, error = post(delivery.endpoint, delivery.event)
    number = delivery.attempts + 1
    succeeded = status is not None and 200 <= status < 300
    now = timezone.now()
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery, number=number, at=now, status_code=status, error=error
        )
        delivery.attempts = number
        delivery.claimed_until = None
        delays = _retry_delays()
        if succeeded:
            delivery.state = DeliveryState.DELIVERED
        elif number <= len(delays):
            # Counted from the failed try, not from the event.
            delivery.next_attempt_at = now + datetime.timedelta(seconds=delays[number - 1])
            queue.send([delivery.pk], when=delivery.next_attempt_at)
        else:
            delivery.state = DeliveryState.FAILED
        delivery.save(update_fields=["attempts", "claimed_until", "state", "next_attempt_at"])
        # Once, when the last retry fails: a *Redeliver* after that disables nothing.
        if delivery.state == DeliveryState.FAILED and number == len(delays) + 1:
            disabling.disable(delivery.endpoint, now=now)
    logger.info(
        "webhook delivery=%s endpoint=%s attempt=%d status=%s %s",
        delivery.pk, delivery.endpoint_id, number, status, error,
    )
    return status


def redeliver(delivery):
    """A manager's *Redeliver*: one more try of the same message, now, whatever its state;
    its failure schedules no further retries beyond the ones it had left. A try in flight
    keeps its claim: the new task waits for it rather than posting beside it."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING, next_attempt_at=timezone.now(),
        )
        queue.send([delivery.pk])
