"""Undoing the last license-moving operation on a subscription (docs/rules.md rules 14
and 21): its latest renewal, add-on or co-term extension, whichever was made last. A
co-term extension undoes its whole co-terming (undo_coterm.py).

The operations of a subscription are read as `Operation`s (`last_operation`), the latest
one standing or undone; only that one may be undone, so after an undo nothing earlier
becomes undoable. Each kind has its undoer in `UNDOERS`.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from webhooks.events import EventType
from webhooks.services import outbox

from ..models import LicenseMovement, MovementKind, Subscription, Term, TermKind
from ..models_addon import TermChange
from ..notes import ADDON_CANCELLED, RENEWAL_CANCELLED
from . import audited, idempotency, ledger, locks
from .errors import OperationRefused
from .renewal_writer import restored_columns
from .undo_coterm import coterm_refusal, coterming_of, undo_coterming

logger = logging.getLogger("portal.operations")

UNDO_HOURS = 168

RENEWAL = "renewal"
ADDON = "addon"
COTERM = "coterm"


@dataclass
class Operation:
    """One license-moving operation on a subscription, as undo sees it.

    `term`: the renewal's term, or the first term an add-on raised (its current term);
    its start date is the one rule 14's time condition looks at. `changes`: an add-on's
    lines, one per term it raised."""

    kind: str
    term: Term
    made_at: datetime.datetime
    cancelled: bool
    licenses: int
    changes: list = field(default_factory=list)
    coterming: object = None  # a co-term extension's CoTerming (read_last_operation)
    undo_plan: object = None  # once a co-terming is undone: its undo_coterm.CotermUndoPlan

    @property
    def users(self):
        return self.changes[0].users_added if self.changes else self.term.users


def _term_candidate(terms):
    """The latest term (by start, then pk), cancelled or not, when a renewal or a co-term
    extension made it."""
    latest = max(terms, key=lambda term: (term.start_date, term.pk), default=None)
    kinds = {TermKind.RENEWAL: RENEWAL, TermKind.COTERM: COTERM}
    if latest is None or latest.kind not in kinds:
        return None
    return Operation(kinds[latest.kind], latest, latest.created_at,
                     latest.cancelled_at is not None, latest.licenses)


def _addon_candidate(changes, terms_by_pk):
    """The latest add-on: its lines share one ledger line."""
    latest = max(changes, key=lambda change: (change.created_at, change.movement_id),
                 default=None)
    if latest is None:
        return None
    lines = sorted(
        (change for change in changes if change.movement_id == latest.movement_id),
        key=lambda change: terms_by_pk[change.term_id].start_date,
    )
    return Operation(ADDON, terms_by_pk[lines[0].term_id], latest.created_at,
                     latest.cancelled_at is not None,
                     sum(change.licenses for change in lines), lines)


def last_operation(terms, changes):
    """The subscription's latest license-moving operation, undone or not (None: none yet),
    from all its `terms` and add-on `changes`."""
    terms_by_pk = {term.pk: term for term in terms}
    candidates = [
        candidate for candidate in (
            _term_candidate(terms),
            _addon_candidate(changes, terms_by_pk),
        ) if candidate is not None
    ]
    return max(candidates, key=lambda candidate: candidate.made_at, default=None)


def read_last_operation(subscription_id):
    terms = list(Term.objects.filter(subscription_id=subscription_id))
    changes = list(TermChange.objects.filter(subscription_id=subscription_id))
    operation = last_operation(terms, changes)
    if operation is not None and operation.kind == COTERM:
        operation.coterming = coterming_of(operation.term)
    return operation


def undo_refusal(operation, *, now):
    """Why `operation` (the subscription's last) cannot be undone now, or None."""
    if operation is None or operation.cancelled:
        return OperationRefused(
            _("This subscription has no operation to cancel."), code="nothing_to_undo"
        )
    if operation.kind == COTERM:
        # Undone whole (rule 21): its other subscriptions' operations count too.
        return coterm_refusal(operation, now=now, read_last_operation=read_last_operation)
    today = timezone.localdate(now, timezone=timezone.get_default_timezone())
    started = operation.term.start_date <= today
    too_old = now - operation.made_at >= datetime.timedelta(hours=UNDO_HOURS)
    if started and too_old:
        if operation.kind == ADDON:
            message = _("These users can no longer be removed: their term has started and "
                        "they were added more than 7 days ago.")
        else:
            message = _("This renewal can no longer be cancelled: its term has started and "
                        "it was made more than 7 days ago.")
        return OperationRefused(message, code="too_late")
    return None


def undoable_operation(subscription_id, *, now=None):
    """The operation that may be undone now, or None (for showing the button)."""
    now = now or timezone.now()
    operation = read_last_operation(subscription_id)
    return None if undo_refusal(operation, now=now) else operation


@dataclass
class UndoResult:
    operation: Operation
    licenses: int
    balance_after: int | None


def _undo_renewal(subscription, operation, *, actor, now):
    """Rule 14: refund the renewal, mark its term cancelled, and put the subscription's
    columns back as they were before it."""
    term = operation.term
    debits = list(
        LicenseMovement.objects.filter(term=term, kind=MovementKind.RENEWAL).select_related(
            "pool__organization"
        )
    )
    refund, balance_after = 0, None
    for debit in debits:
        reversal = ledger.move(
            debit.pool, -debit.quantity, kind=MovementKind.REVERSAL, actor=actor,
            subscription=subscription, term=term, note=RENEWAL_CANCELLED,
        )
        refund += -debit.quantity
        balance_after = reversal.balance_after
    Term.objects.filter(pk=term.pk).update(cancelled_at=now, cancelled_by=actor)
    Subscription.objects.filter(pk=subscription.pk).update(
        **restored_columns(subscription, now=now)
    )
    return refund, balance_after


def _undo_addon(subscription, operation, *, actor, now):
    """Rule 21: refund the add-on's one ledger line, lower the users it added on each term
    and on the subscription's columns, and mark its lines cancelled."""
    changes = operation.changes
    debit = LicenseMovement.objects.select_related("pool").get(pk=changes[0].movement_id)
    reversal = ledger.move(
        debit.pool, -debit.quantity, kind=MovementKind.REVERSAL, actor=actor,
        subscription=subscription, term=operation.term,
        note=ADDON_CANCELLED,
    )
    # The add-on is the last operation: the terms it raised are still the row's latest
    # term and, when a renewal is queued, the one before it.
    live = list(
        Term.objects.filter(subscription_id=subscription.pk, cancelled_at__isnull=True)
        .order_by("-start_date", "-pk").values_list("pk", flat=True)[:2]
    )
    columns = {}
    for change in changes:
        Term.objects.filter(pk=change.term_id).update(
            users=F("users") - change.users_added, licenses=F("licenses") - change.licenses
        )
        column = "users" if change.term_id == live[0] else "previous_users"
        columns[column] = F(column) - change.users_added
    Subscription.objects.filter(pk=subscription.pk).update(**columns)
    TermChange.objects.filter(pk__in=[change.pk for change in changes]).update(
        cancelled_at=now, cancelled_by=actor
    )
    return -debit.quantity, reversal.balance_after


UNDOERS = {RENEWAL: _undo_renewal, ADDON: _undo_addon, COTERM: undo_coterming}


def _lock(subscription_id):
    """The subscription locked with every other subscription of its client, in pk order:
    its last operation may turn out, under the lock, to be a co-terming of several of
    them, all of which its undo changes (a co-terming's subscriptions are one client's,
    and it locks them all too)."""
    client_id = Subscription.objects.filter(pk=subscription_id).values("client_id")
    locked = locks.lock_subscriptions(
        Subscription.objects.filter(client_id__in=client_id).values_list("pk", flat=True),
        queryset=Subscription.objects.select_related("client", "product"),
    )
    for subscription in locked:
        if str(subscription.pk) == str(subscription_id):
            return subscription
    raise Subscription.DoesNotExist(f"no subscription {subscription_id}")


@transaction.atomic
def undo_last_operation(*, actor, subscription_id, token=None, now=None):
    """Rules 14 and 21: undo the subscription's last license-moving operation, refunding
    exactly what it debited to the pool that paid.

    Locks the subscription first, with its client's others (`_lock`), so an undo and
    another operation, or two undos, of one subscription run one after the other and the
    second sees the first. Callers check the scope and the manager role.
    """
    claimed = idempotency.claim_form_token(token, actor=actor, operation="cancel_renewal")
    now = now or timezone.now()
    subscription = _lock(subscription_id)
    operation = read_last_operation(subscription.pk)
    refusal = undo_refusal(operation, now=now)
    if refusal:
        raise refusal
    refund, balance_after = UNDOERS[operation.kind](
        subscription, operation, actor=actor, now=now
    )
    if operation.kind == RENEWAL:
        outbox.record(EventType.RENEWAL_CANCELLED, [subscription], {"licenses_refunded": refund})
    idempotency.remember(claimed, {"subscription_id": subscription.pk, "kind": operation.kind,
                                   "term_id": operation.term.pk, "licenses": refund})
    result = UndoResult(operation=operation, licenses=refund, balance_after=balance_after)
    audited.undo(subscription, result, actor=actor)
    logger.info(
        "undo subscription=%s kind=%s term=%s licenses=%d actor=%s",
        subscription.pk, operation.kind, operation.term.pk, refund, actor,
    )
    return result


def cancel_renewal(*, actor, subscription_id, token=None, now=None):
    """`undo_last_operation`, answering the licenses refunded (what callers of rule 14's
    cancel have always had)."""
    return undo_last_operation(
        actor=actor, subscription_id=subscription_id, token=token, now=now
    ).licenses
