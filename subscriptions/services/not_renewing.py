"""Rule 15 (docs/rules.md): marking a subscription as not renewing, and clearing the mark."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..dates import local_today
from ..models import NotRenewingReason, Subscription
from ..status import Status
from . import audited, locks
from .errors import OperationRefused

logger = logging.getLogger("portal.operations")

# The mark's columns once cleared: by `clear_not_renewing`, and by every renewal.
NOT_RENEWING_CLEARED = {
    "not_renewing_reason": None,
    "not_renewing_comment": "",
    "not_renewing_at": None,
    "not_renewing_by": None,
}


@transaction.atomic
def mark_not_renewing(*, actor, subscription_id, reason, comment=""):
    """Rule 15: only an expiring or expired subscription can be marked."""
    if reason not in NotRenewingReason.values:
        raise OperationRefused(_("Choose a reason."), field="reason", code="invalid")
    subscription = locks.lock_subscription(
        subscription_id, queryset=Subscription.objects.with_status(local_today())
    )
    if subscription.status not in Status.TO_RENEW:
        raise OperationRefused(
            _("Only an expiring or expired subscription can be marked as not renewing."),
            code="not_to_renew",
        )
    Subscription.objects.filter(pk=subscription.pk).update(
        not_renewing_reason=reason,
        not_renewing_comment=(comment or "")[:500],
        not_renewing_at=timezone.now(),
        not_renewing_by=actor,
        # Rule 23: a subscription that will not be renewed is not renewed automatically.
        auto_renew=False,
    )
    audited.not_renewing(subscription, reason=reason, comment=comment, actor=actor)
    logger.info("not_renewing subscription=%s reason=%s actor=%s",
                subscription.pk, reason, actor)


@transaction.atomic
def clear_not_renewing(*, actor, subscription_id):
    audited.not_renewing_cleared(subscription_id, actor=actor)
    Subscription.objects.filter(pk=subscription_id).update(**NOT_RENEWING_CLEARED)
    logger.info("not_renewing_cleared subscription=%s actor=%s", subscription_id, actor)
