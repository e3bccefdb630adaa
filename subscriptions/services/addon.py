"""Adding users to a subscription mid-term (docs/rules.md rules 18 and 19), from its form
or the API.

The added users pay for what is left of the current term and, when a renewal is queued,
for the queued term too: one ledger line for the total, a `TermChange` per term raised.
`plan_addon` computes that split without writing (the form's preview, the API) and
`add_users` writes it, in one transaction, under the same locks as a renewal.
"""

import logging
import math
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from portal.numbers import figures
from webhooks.events import EventType
from webhooks.services import outbox

from ..dates import local_today, term_end
from ..models import LicensePool, MovementKind, Subscription, Term
from ..models_addon import TermChange
from ..status import Status, annotate_row
from . import audited, idempotency, ledger, locks
from .errors import MAX_USERS, OperationRefused, check_range

logger = logging.getLogger("portal.operations")

CURRENT = "current"
QUEUED = "queued"
ADDABLE = Status.ADDABLE


def span_years_days(first, last):
    """(Y, R) of rule 18 for the span first..last: whole years counted from its first day,
    then the days left over, as `dates.span_cost` counts them (a test holds them equal):
    the span costs users × Y + ⌈users × R / 365⌉, which the form's script computes live
    from these two figures."""
    years = 0
    while term_end(first, years + 1) <= last:
        years += 1
    return years, (last - (first + relativedelta(years=years))).days + 1


def part_cost(users, years, rest_days):
    return users * years + math.ceil(users * rest_days / 365)


@dataclass
class AddonPart:
    """What the users added cost on one term: `users × years + ⌈users × rest_days / 365⌉`
    (rule 18), paid from `first` to the term's end."""

    kind: str  # CURRENT or QUEUED
    term: Term
    first: object
    years: int
    rest_days: int
    licenses: int = 0

    def cost(self, users):
        return part_cost(users, self.years, self.rest_days)


@dataclass
class AddonPlan:
    subscription: Subscription
    users: int
    parts: list[AddonPart] = field(default_factory=list)

    @property
    def licenses(self):
        return sum(part.licenses for part in self.parts)

    def as_dict(self):
        return {
            "users": self.users,
            "licenses": self.licenses,
            "parts": [
                {"term": part.kind, "term_id": part.term.pk, "start_date": part.first.isoformat(),
                 "end_date": part.term.end_date.isoformat(), "licenses": part.licenses}
                for part in self.parts
            ],
        }


@dataclass
class AddonResult:
    subscription: Subscription
    plan: AddonPlan
    licenses: int
    balance_after: int
    pool_id: int


def refusal_for_status(status):
    if status == Status.EXPIRED:
        return OperationRefused(
            _("This subscription has expired: renew it instead of adding users."),
            field="users", code="expired",
        )
    if status not in ADDABLE:
        return OperationRefused(
            _("Users cannot be added to this subscription now."), field="users",
            code="not_addable",
        )
    return None


def current_terms(subscription):
    """(current term, queued term or None) of a subscription classified by `annotate_row`
    or `with_status`: its live terms, latest first, as the row's columns copy them."""
    live = list(
        Term.objects.filter(subscription_id=subscription.pk, cancelled_at__isnull=True)
        .order_by("-start_date", "-pk")[:2]
    )
    if subscription.status == Status.RENEWED:
        return live[1], live[0]
    return live[0], None


def _current_part(term, today):
    if term.start_date > today:
        # Rule 19: a term that has not started costs what its users cost: users × years.
        return AddonPart(CURRENT, term, term.start_date, term.years, 0)
    years, rest_days = span_years_days(today, term.end_date)
    return AddonPart(CURRENT, term, today, years, rest_days)


def _queued_part(term):
    """A queued renewal of whole years costs users × years; a span that is not whole years
    (a co-term extension) costs rule 18 over it, which gives the same for whole years."""
    if term_end(term.start_date, term.years) == term.end_date:
        return AddonPart(QUEUED, term, term.start_date, term.years, 0)
    years, rest_days = span_years_days(term.start_date, term.end_date)
    return AddonPart(QUEUED, term, term.start_date, years, rest_days)


def users_left(subscription):
    """How many users may still be added: the total stays within MAX_USERS (rule 19)."""
    most = max(subscription.users, subscription.previous_users or 0)
    return MAX_USERS - most


def check_users(subscription, users):
    left = users_left(subscription)
    if left < 1:
        raise OperationRefused(
            _("This subscription already has %(max)s users, the most a subscription can "
              "have: no user can be added.") % figures({"max": MAX_USERS}),
            field="users", code="out_of_range",
        )
    check_range(users, field="users", low=1, high=left,
                label=_("The number of users to add"))


def plan_addon(subscription, users, *, today=None, terms=None):
    """The split of adding `users` to `subscription` (classified by `annotate_row` or
    `with_status`), without writing: OperationRefused when rule 19 refuses it.
    `terms`: (current, queued) when already read."""
    today = today or local_today()
    refusal = refusal_for_status(subscription.status)
    if refusal:
        raise refusal
    check_users(subscription, users)
    current, queued = terms or current_terms(subscription)
    parts = [_current_part(current, today)]
    if queued is not None:
        parts.append(_queued_part(queued))
    for part in parts:
        part.licenses = part.cost(users)
    return AddonPlan(subscription=subscription, users=users, parts=parts)


@transaction.atomic
def add_users(*, actor, subscription_id, users, token=None, today=None, scope=None):
    """Rule 19: add `users` to the subscription's current term and to its queued term if
    any, debiting the paying pool once for the total.

    Locks the subscription first, as a renewal does (a renewal and an add-on of one
    subscription run one after the other, the second seeing the first), and debits last.
    `scope`: Subscription.DoesNotExist unless the subscription is in it.
    """
    today = today or local_today()
    claimed, subscription = locks.claim_and_lock_for_renewal(
        subscription_id, operation="add_users", token=token, actor=actor, scope=scope
    )
    annotate_row(subscription, today=today, partner_months=subscription.partner_window_months)
    plan = plan_addon(subscription, users, today=today)

    raised = {part.term.pk: part for part in plan.parts}
    for term_id, part in raised.items():
        Term.objects.filter(pk=term_id).update(
            users=F("users") + users, licenses=F("licenses") + part.licenses
        )
    columns = {"users": F("users") + users}
    if any(part.kind == QUEUED for part in plan.parts):
        columns["previous_users"] = F("previous_users") + users
    Subscription.objects.filter(pk=subscription.pk).update(**columns)

    pool_id = subscription.paying_pool_id or ledger.pool_for(
        subscription.paying_organization_id, subscription.product_id
    ).pk
    # The debit comes last, as a renewal's: the pool's row lock is held from here only.
    movement = ledger.move(
        LicensePool(pk=pool_id), -plan.licenses, kind=MovementKind.ADDON, actor=actor,
        field="users", subscription=subscription, term=plan.parts[0].term,
    )
    TermChange.objects.bulk_create([
        TermChange(subscription_id=subscription.pk, term=part.term, movement=movement,
                   users_added=users, licenses=part.licenses, created_by=actor)
        for part in plan.parts
    ])
    idempotency.remember(claimed, {"subscription_id": subscription.pk, **plan.as_dict()})
    if subscription.webhooks_wanted:
        outbox.record(EventType.USERS_ADDED, [subscription], {"users_added": users})

    subscription.users += users
    if "previous_users" in columns:
        subscription.previous_users += users
    for part in plan.parts:
        part.term.users += users
        part.term.licenses += part.licenses
    annotate_row(subscription, today=today, pool_id=pool_id,
                 partner_months=subscription.partner_window_months)
    logger.info(
        "add_users subscription=%s payer=%s product=%s users=%d licenses=%d "
        "balance_after=%d actor=%s",
        subscription.pk, subscription.paying_organization_id, subscription.product_code,
        users, plan.licenses, movement.balance_after, actor,
    )
    result = AddonResult(subscription=subscription, plan=plan, licenses=plan.licenses,
                         balance_after=movement.balance_after, pool_id=pool_id)
    audited.users_added(subscription, result, users, actor=actor)
    return result
