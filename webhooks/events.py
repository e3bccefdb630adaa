"""The events a webhook endpoint can subscribe to (docs/webhooks.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    RENEWED = "subscription.renewed", _("A subscription was renewed")
    RENEWAL_CANCELLED = "subscription.renewal_cancelled", _("A renewal was undone")
    USERS_ADDED = "subscription.users_added", _("Users were added to a subscription")
    COTERMINATED = "subscription.coterminated", _("A subscription was co-termed")
    AUTO_RENEW_FAILED = (
        "subscription.auto_renew_failed", _("An automatic renewal could not be made")
    )
    EXPIRING = "subscription.expiring", _("A subscription reached a reminder threshold")
    POOL_LOW = "pool.low", _("A license pool cannot pay what it must renew now")
