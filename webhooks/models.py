"""Webhook endpoints and their outbox (docs/webhooks.md).

An `Event` is written in the transaction of the change it tells of, with one `Delivery`
per endpoint that wants it; the worker (django-q2, webhooks.queue) sends each delivery
until a 2xx, each try logged as an `Attempt`. The event's body is frozen when the change
is made: every retry and every *Redeliver* sends the same bytes under the same
`webhook-id`, signed afresh.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


class Endpoint(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Kept in clear: every delivery is signed with it. Shown once, when it is made.
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["organization", "enabled"])]

    def __str__(self):
        return self.url


class Event(models.Model):
    """One change, as sent: `body` is the JSON document every delivery of it posts."""

    message_id = models.CharField(max_length=40, unique=True, editable=False)
    type = models.CharField(_("event"), max_length=50)
    # The paying organization and its partner: who may see the event (rule 11).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+",
    )
    partner = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", null=True,
    )
    body = models.TextField()
    # `pool.low`'s pool: told once until the pool is refilled (services/pools.py).
    pool_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook event")
        indexes = [models.Index(fields=["pool_id", "type"], name="webhooks_event_pool")]
        verbose_name_plural = _("webhook events")

    def __str__(self):
        return f"{self.type} {self.message_id}"

    @staticmethod
    def new_message_id():
        return f"msg_{uuid.uuid4().hex}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event to one endpoint: the unit the worker claims, retries and logs."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # Not sent before then: the next delay of WEBHOOK_RETRY_DELAYS after a failure.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker's claim: nobody else sends it before then; a killed worker's claim lapses.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id}"


class Attempt(models.Model):
    """One POST of a delivery, as the delivery log shows it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
