"""The co-terming simulator (docs/rules.md rule 20): which end dates a client may align its
subscriptions on, and what aligning them on one would do — per subscription its new end,
days and cost or why it is left out, per pool the debit, the balance and the balance
after. Reads only: services/coterm.py runs the same plan again under its locks and
writes it.

"12 months as rule 3 counts them": the latest allowed date is the end of a one-year term
starting the day after the latest end of the client's current terms,
`term_end(latest_end + 1 day, 1)` — what a one-year renewal of the subscription ending
last would end on (so 28 February 2027 allows up to 29 February 2028).
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from ..dates import local_today, span_cost, term_end, whole_years_covered
from ..models import LicensePool, Subscription
from ..status import Status

DAY = datetime.timedelta(days=1)


class LeftOut:
    """Why a subscription is not extended (the codes the page and the API show)."""

    ENDS_LATER = "ends_on_or_after"
    QUEUED = "queued_term"
    NOT_RENEWING = "not_renewing"
    NOT_STARTED = "not_started"
    NOT_CHOSEN = "not_chosen"

    ALL = (ENDS_LATER, QUEUED, NOT_RENEWING, NOT_STARTED, NOT_CHOSEN)


def left_out_text(reason):
    """The reason as a sentence, in the active language."""
    return {
        LeftOut.ENDS_LATER: _("It already ends on or after this date."),
        LeftOut.QUEUED: _("It already has a term queued after the current one."),
        LeftOut.NOT_RENEWING: _("It is marked as not renewing."),
        LeftOut.NOT_STARTED: _("Its term has not started yet."),
        LeftOut.NOT_CHOSEN: _("It is not selected."),
    }[reason]


@dataclass
class CotermLine:
    """One subscription of the client, extended (`start`…`end`, `cost`) or `left_out`."""

    subscription: Subscription
    left_out: str | None = None
    # Ticked (or nothing said): extended whenever rule 20 allows it for the date shown.
    chosen: bool = True
    start: datetime.date | None = None
    end: datetime.date | None = None
    users: int = 0
    cost: int = 0

    @property
    def extended(self):
        return self.left_out is None

    @property
    def days(self):
        return (self.end - self.start).days + 1 if self.extended else 0

    @property
    def years(self):
        """The whole years the extension covers, rounded up: what the term's and the
        subscription's `years` columns hold (at least 1); its cost is rule 18's."""
        return whole_years_covered(self.start, self.end)

    @property
    def reason(self):
        return None if self.extended else left_out_text(self.left_out)

    @property
    def choosable(self):
        """Whether ticking it can extend it: to this date, or to another one."""
        return self.left_out in (None, LeftOut.ENDS_LATER, LeftOut.NOT_CHOSEN)


@dataclass
class CotermPool:
    """What one paying pool gives for a co-terming."""

    key: tuple[int, int]  # (paying organization id, product id)
    organization: object
    product: object
    pool_id: int | None = None
    balance: int = 0
    debit: int = 0
    subscriptions: int = 0

    @property
    def balance_after(self):
        return self.balance - self.debit

    @property
    def missing(self):
        return max(0, self.debit - self.balance)


@dataclass
class CotermPlan:
    end: datetime.date
    lines: list[CotermLine]
    pools: list[CotermPool] = field(default_factory=list)

    @property
    def extended(self):
        return [line for line in self.lines if line.extended]

    @property
    def licenses(self):
        return sum(line.cost for line in self.extended)

    @property
    def short_pools(self):
        return [pool for pool in self.pools if pool.missing]


# --- the dates rule 20 allows ------------------------------------------------------------


def current_ends(subscriptions):
    """The end dates of the client's current terms (queued terms do not count)."""
    return {subscription.current_end for subscription in subscriptions}


def latest_allowed(ends):
    """The last date a co-terming may align on (the module's docstring), or None."""
    if not ends:
        return None
    try:
        return term_end(max(ends) + DAY, 1)
    except OverflowError:
        return datetime.date.max


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day):
    return day == month_end(day)


def end_date_error(end, ends, *, today):
    """Why rule 20 refuses `end` for a client whose current terms end on `ends`, as a
    sentence, or None when it is allowed."""
    limit = latest_allowed(ends)
    if limit is None:
        return _("This client has no subscription to align.")
    if end <= today:
        return _("Choose a date after today.")
    if end > limit:
        return _(
            "Choose a date at most 12 months after the latest end of the client’s current "
            "terms: %(limit)s at the latest."
        ) % {"limit": formats.date_format(limit, "SHORT_DATE_FORMAT")}
    if end not in ends and not is_month_end(end):
        return _("Choose one of the client’s end dates or the last day of a month.")
    return None


def allowed_end_dates(ends, *, today):
    """Every date rule 20 allows, in order: the client's end dates and the month ends
    after today, up to `latest_allowed`."""
    limit = latest_allowed(ends)
    if limit is None:
        return []
    dates = {end for end in ends if today < end <= limit}
    day = month_end(today)
    while day <= limit:
        if day > today:
            dates.add(day)
        if day == datetime.date.max:
            break
        day = month_end(day + DAY)
    return sorted(dates)


def default_end(ends, *, today):
    """The date the simulator opens on: the client's latest current end when rule 20
    allows it, otherwise the first date it allows."""
    if ends and max(ends) > today:
        return max(ends)
    allowed = allowed_end_dates(ends, today=today)
    return allowed[0] if allowed else None


# --- the plan ------------------------------------------------------------------------------


def _left_out(subscription, end):
    if subscription.status == Status.RENEWED:
        return LeftOut.QUEUED
    if subscription.not_renewing_reason:
        return LeftOut.NOT_RENEWING
    if subscription.status == Status.NOT_STARTED:
        return LeftOut.NOT_STARTED
    if subscription.current_end >= end:
        return LeftOut.ENDS_LATER
    return None


def plan_lines(subscriptions, *, end, chosen=None, today):
    """Rule 20 for each of `subscriptions` (annotated with their status and current term,
    by `with_status` or `annotate_row`): extended from the day after its end, or from today
    once expired, to `end`, at rule 18's cost; or left out. `chosen`: the ids the user
    ticked (None: every one)."""
    lines = []
    for subscription in subscriptions:
        ticked = chosen is None or subscription.pk in chosen
        reason = _left_out(subscription, end)
        if reason is None and not ticked:
            reason = LeftOut.NOT_CHOSEN
        if reason:
            lines.append(CotermLine(subscription, left_out=reason, chosen=ticked))
            continue
        if subscription.status == Status.EXPIRED:
            start = today
        else:
            start = subscription.current_end + DAY
        users = subscription.current_users
        lines.append(CotermLine(
            subscription, start=start, end=end, users=users,
            cost=span_cost(users, start, end),
        ))
    return lines


def pool_totals(lines, client):
    """Per paying pool (rule 2: the client's reseller's, else its partner's, per product),
    the debit of the extended `lines`; balances are not read here."""
    payer = client.paying_organization
    pools = {}
    for line in lines:
        if not line.extended:
            continue
        product = line.subscription.product
        key = (payer.pk, product.pk)
        pool = pools.setdefault(key, CotermPool(key=key, organization=payer, product=product))
        pool.debit += line.cost
        pool.subscriptions += 1
    return sorted(pools.values(), key=lambda pool: (pool.product.name, pool.key))


def read_balances(pools):
    """Fills each pool's id and balance as they are now (a pool not created yet: 0)."""
    if not pools:
        return pools
    wanted = Q(pk__in=[])
    for organization_id, product_id in (pool.key for pool in pools):
        wanted |= Q(organization_id=organization_id, product_id=product_id)
    found = {
        (row["organization_id"], row["product_id"]): row
        for row in LicensePool.objects.filter(wanted).values(
            "pk", "organization_id", "product_id", "balance"
        )
    }
    for pool in pools:
        row = found.get(pool.key)
        if row:
            pool.pool_id, pool.balance = row["pk"], row["balance"]
    return pools


def client_subscriptions(client, *, today):
    """The client's subscriptions with their status and current term, by product."""
    return list(
        Subscription.objects.with_status(today)
        .filter(client=client)
        .select_related("product")
        .order_by("product_name", "pk")
    )


def coterm_preview(client, *, end, chosen=None, today=None, subscriptions=None):
    """What co-terming `client` on `end` would do now, writing nothing (the caller has
    checked `end` with `end_date_error`)."""
    today = today or local_today()
    if subscriptions is None:
        subscriptions = client_subscriptions(client, today=today)
    lines = plan_lines(subscriptions, end=end, chosen=chosen, today=today)
    pools = read_balances(pool_totals(lines, client))
    return CotermPlan(end=end, lines=lines, pools=pools)
