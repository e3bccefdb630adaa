"""Renewing one subscription (docs/rules.md rule 4), from its form or the API."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from webhooks.events import EventType
from webhooks.services import outbox

from ..dates import local_today, term_end
from ..models import Subscription, Term
from ..status import Status, annotate_row
from . import audited, locks
from .errors import OperationRefused, check_users_years
from .renewal_writer import PlannedRenewal, renewed_columns, write_renewals

logger = logging.getLogger("portal.operations")


@dataclass
class RenewalResult:
    subscription: Subscription
    term: Term
    licenses: int
    balance_after: int


def new_term_start(subscription, status, today):
    """Rule 4: the day after the current end, or today when it has expired (no one pays
    for a gap) unless the publisher charges the lapse (RENEWAL_AFTER_EXPIRY=continuous)."""
    if status == Status.EXPIRED and settings.RENEWAL_AFTER_EXPIRY == "restart":
        return today
    return subscription.term_end + datetime.timedelta(days=1)


def refusal_for_status(status):
    if status == Status.RENEWED:
        return OperationRefused(
            _("This subscription already has a renewal that has not started yet."),
            code="already_renewed",
        )
    if status == Status.NOT_STARTED:
        return OperationRefused(
            _("This subscription has not started yet: it cannot be renewed."), code="not_started"
        )
    return None


def renew_subscription(
    *, actor, subscription_id, years, users=None, token=None, today=None, scope=None,
    note="", check=None, audit_action=audited.Action.RENEWAL,
):
    """Rule 4: renew for `years` with `users`, costing users × years licenses.

    `scope` (accounts.models.Scope): Subscription.DoesNotExist unless the subscription is
    in it, checked under the lock (the renewal form's POST reads nothing before).
    `check(subscription)`: the caller's own condition, run under the lock before anything
    is written (it raises to refuse); `users` and `years` may be callables of the locked
    subscription (the automatic renewal reads its plan there). `audit_action`: the audit
    log's action (rule 24), the automatic renewal's own.
    """
    today = today or local_today()
    with transaction.atomic():
        subscription, line, written = _renew_locked(
            actor=actor, subscription_id=subscription_id, years=years, users=users,
            token=token, today=today, scope=scope, note=note, check=check,
            audit_action=audit_action,
        )
    # What follows writes nothing: after the commit, so that renewals paid by the same
    # pool, which wait for its row lock until then, do not wait for it too.
    partner_months = subscription.partner_window_months
    # Hand back the renewed subscription, with its status and current term, so callers
    # show what is now true: the row written above, without reading it again.
    for column, value in renewed_columns(
        subscription, start=line.start, end=line.end, users=line.users, years=line.years,
        now=written.updated_at,
    ).items():
        setattr(subscription, column, value)
    renewed = annotate_row(
        subscription, today=today, pool_id=written.pool_id, partner_months=partner_months
    )
    logger.info(
        "renewal subscription=%s payer=%s product=%s users=%d years=%d licenses=%d "
        "balance_after=%d actor=%s",
        subscription.pk, subscription.paying_organization_id, subscription.product_code,
        line.users, line.years, line.licenses, written.balance_after, actor,
    )
    return RenewalResult(
        subscription=renewed, term=written.term, licenses=line.licenses,
        balance_after=written.balance_after,
    )


def _renew_locked(*, actor, subscription_id, years, users, token, today, scope, note, check,
                  audit_action):
    """`renew_subscription`'s transaction: (the locked subscription as it was, its
    PlannedRenewal, its WrittenRenewal)."""
    # Re-read under the lock: a concurrent renewal of the same subscription waits here
    # and then sees the queued term, so it is refused instead of renewing twice.
    claimed, subscription = locks.claim_and_lock_for_renewal(
        subscription_id, operation="renew", token=token, actor=actor, scope=scope
    )
    annotate_row(subscription, today=today, partner_months=subscription.partner_window_months)
    refusal = refusal_for_status(subscription.status)
    if refusal:
        raise refusal
    if check is not None:
        check(subscription)
    if callable(users):
        users = users(subscription)
    if callable(years):
        years = years(subscription)
    if users is None:
        users = subscription.users
    check_users_years(users, years)

    start = new_term_start(subscription, subscription.status, today)
    end = term_end(start, years)
    cost = users * years
    line = PlannedRenewal(
        subscription=subscription, start=start, end=end, users=users, years=years,
        licenses=cost, pool_key=(subscription.paying_organization_id, subscription.product_id),
        pool_id=subscription.paying_pool_id,
    )
    [written] = write_renewals(
        [line], actor=actor, claimed=claimed, note=note, audit_action=audit_action,
        result={"subscription_id": subscription.pk, "term_id": None, "licenses": cost,
                "end_date": end.isoformat()},
    )
    if subscription.webhooks_wanted:
        outbox.record(EventType.RENEWED, [subscription], {"licenses": cost})
    return subscription, line, written
