"""A subscription's renewal plan and auto-renew switch (docs/rules.md rules 22 and 23),
from its form or the API."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Subscription
from . import audited, locks
from .errors import OperationRefused, check_users_years

logger = logging.getLogger("portal.operations")


def check_plan(users, years):
    """Rule 22: both the users and the years, or neither (no plan)."""
    if users is None and years is None:
        return
    if users is None:
        raise OperationRefused(
            _("Enter the number of users of the planned renewal too, or clear both."),
            field="users", code="plan_incomplete",
        )
    if years is None:
        raise OperationRefused(
            _("Enter the number of years of the planned renewal too, or clear both."),
            field="years", code="plan_incomplete",
        )
    check_users_years(users, years)


@transaction.atomic
def set_renewal_plan(*, actor, subscription_id, users, years, auto_renew):
    """Writes the plan (`users` and `years`, both None: no plan) and the auto-renew switch.

    Callers check the scope and the manager role. A subscription marked as not renewing
    cannot be switched to auto-renew (rule 23: the mark switches it off)."""
    check_plan(users, years)
    subscription = locks.lock_subscription(subscription_id)
    if auto_renew and subscription.not_renewing_reason:
        raise OperationRefused(
            _("This subscription is marked as not renewing: remove the mark before "
              "switching auto-renew on."),
            field="auto_renew", code="not_renewing",
        )
    audited.renewal_plan(subscription, users=users, years=years, auto_renew=auto_renew, actor=actor)
    Subscription.objects.filter(pk=subscription.pk).update(
        renewal_users=users, renewal_years=years, auto_renew=bool(auto_renew)
    )
    logger.info(
        "renewal_plan subscription=%s users=%s years=%s auto_renew=%s actor=%s",
        subscription.pk, users, years, bool(auto_renew), actor,
    )
    subscription.renewal_users, subscription.renewal_years = users, years
    subscription.auto_renew = bool(auto_renew)
    return subscription


def plan_quantity(subscription):
    """(users, years) of the subscription's next renewal: its plan, or its current users
    for one year (rules 22, 23)."""
    if subscription.renewal_users and subscription.renewal_years:
        return subscription.renewal_users, subscription.renewal_years
    return subscription.users, 1
