"""Cancelling the latest renewal (docs/rules.md rule 14)."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import LicenseMovement, MovementKind, Subscription, Term, TermKind
from ..notes import RENEWAL_CANCELLED
from . import idempotency, ledger, locks
from .errors import OperationRefused

logger = logging.getLogger("portal.operations")

UNDO_HOURS = 168


def _live_terms(subscription_id):
    """The terms that count, latest first: a cancelled renewal is history only."""
    return Term.objects.filter(
        subscription_id=subscription_id, cancelled_at__isnull=True
    ).order_by("-start_date", "-pk")


def undo_refusal(term, *, now):
    """Why the renewal `term` (the latest live one) can no longer be undone, or None."""
    if term is None or term.kind != TermKind.RENEWAL:
        return OperationRefused(
            _("This subscription has no renewal to cancel."), code="nothing_to_undo"
        )
    today = timezone.localdate(now, timezone=timezone.get_default_timezone())
    started = term.start_date <= today
    too_old = now - term.created_at >= datetime.timedelta(hours=UNDO_HOURS)
    if started and too_old:
        return OperationRefused(
            _("This renewal can no longer be cancelled: its term has started and it was "
              "made more than 7 days ago."),
            code="too_late",
        )
    return None


def undoable_term(subscription_id, *, now=None):
    """The renewal that may be cancelled now, or None (for showing the button)."""
    now = now or timezone.now()
    term = _live_terms(subscription_id).first()
    return None if undo_refusal(term, now=now) else term


@transaction.atomic
def cancel_renewal(*, actor, subscription_id, token=None, now=None):
    """Rule 14: refund the latest renewal to the pool it was debited from, mark its term
    cancelled, and put the subscription's columns back as they were before it.

    Locks the subscription first (as a renewal does), so a cancel and a renewal, or two
    cancels, of one subscription run one after the other and the second sees the first.
    Callers check the scope and the manager role.
    """
    claimed = idempotency.claim_form_token(token, actor=actor, operation="cancel_renewal")
    now = now or timezone.now()
    subscription = locks.lock_subscription(
        subscription_id, queryset=Subscription.objects.select_related("client", "product")
    )
    live = list(_live_terms(subscription.pk)[:3])
    term = live[0] if live else None
    refusal = undo_refusal(term, now=now)
    if refusal:
        raise refusal
    debits = list(
        LicenseMovement.objects.filter(term=term, kind=MovementKind.RENEWAL).select_related(
            "pool__organization"
        )
    )
    refund = 0
    for debit in debits:
        ledger.move(
            debit.pool, -debit.quantity, kind=MovementKind.REVERSAL, actor=actor,
            subscription=subscription, term=term,
            note=RENEWAL_CANCELLED,
        )
        refund += -debit.quantity
    Term.objects.filter(pk=term.pk).update(cancelled_at=now, cancelled_by=actor)
    before = live[2] if len(live) > 2 else None
    Subscription.objects.filter(pk=subscription.pk).update(
        term_start=subscription.previous_term_start,
        term_end=subscription.previous_term_end,
        users=subscription.previous_users,
        years=subscription.previous_years,
        previous_term_start=before.start_date if before else None,
        previous_term_end=before.end_date if before else None,
        previous_users=before.users if before else None,
        previous_years=before.years if before else None,
    )
    idempotency.remember(claimed, {"subscription_id": subscription.pk, "term_id": term.pk,
                                   "licenses": refund})
    logger.info(
        "cancel_renewal subscription=%s term=%s licenses=%d actor=%s",
        subscription.pk, term.pk, refund, actor,
    )
    return refund
