"""Undoing a co-terming whole (docs/rules.md rule 21), from any of its subscriptions.

A co-terming is one operation over several subscriptions of one client: undoing it
cancels every extension term it wrote, puts each subscription back on the term it had
before, and refunds each pool exactly what its debit line took. It is refused while any
of those subscriptions has had a later license-moving operation (a renewal, an add-on,
another co-terming), naming them: undoing the extension from under it would leave that
operation standing on a term that no longer exists.

undo.py reads the operation and locks the client's subscriptions (a co-terming's are all
one client's) before calling `undo_coterming`.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..models import (
    CoTermExtension,
    CoTerming,
    LicenseMovement,
    MovementKind,
    Subscription,
    Term,
)
from ..notes import COTERM_CANCELLED
from . import ledger
from .errors import OperationRefused
from .renewal_writer import RESTORED_FIELDS, restored_columns


@dataclass
class PoolRefund:
    """What undoing a co-terming gives back to one pool."""

    pool: object
    licenses: int
    balance_after: int | None = None


@dataclass
class CotermUndoPlan:
    """What undoing `coterming` does: each extension (its term and subscription) and, per
    pool, the licenses refunded."""

    coterming: object
    extensions: list
    refunds: list
    own_refund: int = 0  # once undone: what went back to the undone subscription's pool

    @property
    def licenses(self):
        return sum(refund.licenses for refund in self.refunds)

    @property
    def subscriptions(self):
        return len(self.extensions)


def coterming_of(term):
    """The co-terming that wrote the extension `term`."""
    return CoTermExtension.objects.select_related("coterming").get(term=term).coterming


def undo_plan(coterming):
    extensions = list(
        CoTermExtension.objects.filter(coterming=coterming)
        .select_related("term__subscription__product", "pool")
        .order_by("term__subscription_id")
    )
    debits = (
        LicenseMovement.objects.filter(coterm_debit__coterming=coterming)
        .select_related("pool__organization", "pool__product")
        .order_by("pool_id")
    )
    refunds = [PoolRefund(debit.pool, -debit.quantity) for debit in debits]
    return CotermUndoPlan(coterming, extensions, refunds)


def _later_operations(plan, read_last_operation):
    """[(subscription, kind)] of the co-terming's subscriptions whose last operation is
    not its extension any more."""
    later = []
    for extension in plan.extensions:
        subscription = extension.term.subscription
        last = read_last_operation(subscription.pk)
        if last is None or last.term.pk != extension.term_id or last.kind != "coterm":
            later.append((subscription, last.kind if last else "coterm"))
    return later


def coterm_refusal(operation, *, now, read_last_operation):
    """Why the co-terming whose extension is `operation` cannot be undone now, or None."""
    if operation.coterming is None:
        operation.coterming = coterming_of(operation.term)
    plan = undo_plan(operation.coterming)
    later = _later_operations(plan, read_last_operation)
    if later:
        # The operation names are translated here, at the time of the message.
        names = {
            "renewal": pgettext("later operation", "renewed"),
            "addon": pgettext("later operation", "users added"),
            "coterm": pgettext("later operation", "co-termed again"),
        }
        listed = pgettext("list separator", "; ").join(
            _("%(product)s (%(operation)s)") % {
                "product": subscription.product.name, "operation": names[kind],
            }
            for subscription, kind in later
        )
        return OperationRefused(
            _("This co-terming can no longer be cancelled: a later operation was made on "
              "%(subscriptions)s. Cancel that operation first.") % {"subscriptions": listed},
            code="later_operation",
        )
    today = timezone.localdate(now, timezone=timezone.get_default_timezone())
    started = any(extension.term.start_date <= today for extension in plan.extensions)
    too_old = now - operation.coterming.created_at >= datetime.timedelta(hours=168)
    if started and too_old:
        return OperationRefused(
            _("This co-terming can no longer be cancelled: an extension has started and "
              "it was made more than 7 days ago."),
            code="too_late",
        )
    return None


def undo_coterming(subscription, operation, *, actor, now):
    """Rule 21: cancel every extension term of the co-terming, put each subscription back
    on its previous term and refund each pool its debit, one reversal line per extension
    (so each subscription's ledger shows its refund). Every subscription of the client is
    locked by the caller; the refunds come last, by pool pk, as the debits did."""
    plan = undo_plan(operation.coterming)
    terms = [extension.term for extension in plan.extensions]
    Term.objects.filter(pk__in=[term.pk for term in terms]).update(
        cancelled_at=now, cancelled_by=actor
    )
    locked = {row.pk: row for row in Subscription.objects.filter(
        pk__in=[term.subscription_id for term in terms]
    )}
    Subscription.objects.bulk_update(
        # `updated_at` is when the rows were written, as every write moves it (docs/api.md).
        [
            Subscription(pk=term.subscription_id, **restored_columns(
                locked[term.subscription_id], now=timezone.now()
            ))
            for term in terms
        ],
        RESTORED_FIELDS,
    )
    CoTerming.objects.filter(pk=plan.coterming.pk).update(
        cancelled_at=now, cancelled_by=actor
    )
    own = extension_of(plan, subscription)
    balance_after = None
    for refund in plan.refunds:
        lines = [
            (extension.term.licenses, {"subscription": extension.term.subscription,
                                       "term": extension.term})
            for extension in plan.extensions
            if extension.pool_id == refund.pool.pk and extension.term.licenses
        ]
        if sum(quantity for quantity, _links in lines) != refund.licenses:
            # The extensions' costs add up to their pool's debit when written; an add-on
            # raising one would be a later operation, refused above. Refund the debit.
            lines = [(refund.licenses, {})]
        movements = ledger.move_lines(
            refund.pool, lines, kind=MovementKind.REVERSAL, actor=actor,
            note=COTERM_CANCELLED,
        )
        refund.balance_after = movements[-1].balance_after
        if own is not None and own.pool_id == refund.pool.pk:
            balance_after = refund.balance_after
            plan.own_refund = refund.licenses
    operation.undo_plan = plan
    return plan.licenses, balance_after


def extension_of(plan, subscription):
    return next(
        (extension for extension in plan.extensions
         if extension.term.subscription_id == subscription.pk),
        None,
    )
