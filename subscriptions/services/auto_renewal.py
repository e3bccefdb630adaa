"""Renewing automatically what falls due (docs/rules.md rule 23), for `run_auto_renewals`.

Each subscription is renewed in its own transaction, exactly as a manual renewal (rule 4,
the one writer through `renewal.renew_subscription`), as the system (no acting user; the
ledger line's note says it was automatic), with its plan's quantity or its current users
for one year (rule 22), both read under the renewal's lock. The renewal's transaction
ends by inserting the (subscription, end) claim (models_plan.AutoRenewClaim): a concurrent
run waits on the subscription's lock and then finds it renewed; one that renewed again after
an undo (having read the list before) fails on the claim's unique key and rolls back whole;
a renewal the pool cannot pay writes no claim, so the next run tries again.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from ..dates import local_today, term_end
from ..models import AutoRenewClaim, Subscription
from ..notes import AUTO_RENEWAL
from ..status import Status
from . import audited
from .errors import OperationRefused
from .ledger import pool_balance
from .renewal import new_term_start, renew_subscription
from .renewal_plan import plan_quantity

logger = logging.getLogger("portal.operations")

RENEWED = "renewed"
SHORT = "short"
SWITCHED_OFF = "switched_off"
SKIPPED = "skipped"
WOULD_RENEW = "would_renew"
WOULD_BE_SHORT = "would_be_short"


@dataclass
class AutoRenewal:
    """What the run did with one due subscription."""

    subscription: Subscription
    outcome: str
    users: int
    years: int
    licenses: int
    end_date: datetime.date | None = None
    missing: int = 0
    reason: str = ""


def lead_days():
    return settings.AUTO_RENEW_LEAD_DAYS


def grace_days():
    return settings.AUTO_RENEW_GRACE_DAYS


def due_auto_renewals(today=None):
    """Rule 23: auto-renewing subscriptions whose current end is at most the lead days
    away, or past, with no queued renewal, not marked not renewing, and not renewed
    automatically for that end already; by end date."""
    today = today or local_today()
    claimed = AutoRenewClaim.objects.filter(
        subscription_id=OuterRef("pk"), term_end=OuterRef("term_end")
    )
    return (
        Subscription.objects.with_status(today)
        .filter(
            auto_renew=True,
            not_renewing_reason__isnull=True,
            term_end__lte=today + datetime.timedelta(days=lead_days()),
            status__in=Status.RENEWABLE,
        )
        .exclude(Exists(claimed))
        .select_related("client__partner", "client__reseller", "product")
        .order_by("term_end", "pk")
    )


def expired_days(subscription, today):
    """Days the subscription has been expired (0 while its term lasts)."""
    return max(0, (today - subscription.term_end).days)


def auto_renew_one(subscription, *, today):
    """Renews `subscription` (a row of `due_auto_renewals`) or says why not; a refusal
    changes nothing but, past the grace period, the switch (rule 23)."""
    users, years = plan_quantity(subscription)
    outcome = AutoRenewal(subscription, RENEWED, users, years, users * years)

    def still_due(locked):
        # Under the lock: a manager may have marked it, switched it off or changed its
        # term since the list was read (a renewal is refused by its status already).
        if (
            not locked.auto_renew
            or locked.not_renewing_reason
            or locked.term_end != subscription.term_end
        ):
            raise _Changed()

    try:
        with transaction.atomic():
            result = renew_subscription(
                actor=None, subscription_id=subscription.pk, today=today, note=AUTO_RENEWAL,
                check=still_due, audit_action=audited.Action.AUTO_RENEWAL,
                users=lambda locked: plan_quantity(locked)[0],
                years=lambda locked: plan_quantity(locked)[1],
            )
            AutoRenewClaim.objects.create(
                subscription_id=subscription.pk, term_end=subscription.term_end,
                term_id=result.term.pk,
            )
    except (IntegrityError, _Changed):
        outcome.outcome, outcome.reason = SKIPPED, "changed"
        return outcome
    except OperationRefused as refusal:
        if refusal.code != "not_enough_licenses":
            outcome.outcome, outcome.reason = SKIPPED, refusal.code
            return outcome
        outcome.missing = refusal.missing or 0
        outcome.outcome = SHORT
        if expired_days(subscription, today) >= grace_days():
            _switch_off(subscription.pk)
            outcome.outcome = SWITCHED_OFF
        return outcome
    outcome.users, outcome.years = result.term.users, result.term.years
    outcome.licenses = result.licenses
    outcome.end_date = result.term.end_date
    logger.info(
        "auto_renewal subscription=%s users=%d years=%d licenses=%d",
        subscription.pk, outcome.users, outcome.years, result.licenses,
    )
    return outcome


class _Changed(Exception):
    """The subscription no longer renews automatically for this end: nothing to do."""


@transaction.atomic
def _switch_off(subscription_id):
    Subscription.objects.filter(pk=subscription_id, auto_renew=True).update(auto_renew=False)
    logger.info("auto_renew_switched_off subscription=%s", subscription_id)


def dry_run(subscriptions, *, today):
    """What a run would do, read only: each due subscription's quantity, and whether its
    pool pays it after the ones before it (in end date order, as a run goes)."""
    balances = {}
    outcomes = []
    for subscription in subscriptions:
        users, years = plan_quantity(subscription)
        cost = users * years
        payer = subscription.client.paying_organization
        key = (payer.pk, subscription.product_id)
        if key not in balances:
            balances[key] = pool_balance(payer, subscription.product)[1]
        outcome = AutoRenewal(subscription, WOULD_RENEW, users, years, cost)
        status = Status.EXPIRED if subscription.term_end < today else Status.ACTIVE
        start = new_term_start(subscription, status, today)
        outcome.end_date = term_end(start, years)
        if balances[key] >= cost:
            balances[key] -= cost
        else:
            outcome.outcome, outcome.missing = WOULD_BE_SHORT, cost - balances[key]
        outcomes.append(outcome)
    return outcomes


def run_auto_renewals(*, today=None, dry=False):
    """Rule 23's daily run: every due subscription renewed or refused (AutoRenewal, in end
    date order); a refusal for want of licenses tells the paying organization's managers,
    once a day. `dry`: what it would do, writing nothing."""
    from .auto_renew_notices import send_notice

    today = today or local_today()
    due = list(due_auto_renewals(today))
    if dry:
        return dry_run(due, today=today)
    outcomes = []
    for subscription in due:
        outcome = auto_renew_one(subscription, today=today)
        if outcome.outcome in (SHORT, SWITCHED_OFF):
            send_notice(outcome, today=today, switched_off=outcome.outcome == SWITCHED_OFF)
        outcomes.append(outcome)
    return outcomes
