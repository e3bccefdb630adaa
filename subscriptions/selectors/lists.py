"""Reads with rules: the status of a subscription (rule 6), written once as a database
expression, and the querysets the screens and commands list.
"""

import heapq
import itertools

from django.db.models import (
    Case,
    CharField,
    DateField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ..dates import local_today, window_end, window_months
from ..models import LicensePool, Subscription


class Status:
    RENEWED = "renewed"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    EXPIRING = "expiring"
    ACTIVE = "active"

    # Rule 6: the first that applies wins, in this order.
    ALL = (RENEWED, NOT_STARTED, EXPIRED, EXPIRING, ACTIVE)
    TO_RENEW = (EXPIRING, EXPIRED)
    RENEWABLE = (ACTIVE, EXPIRING, EXPIRED)


def status_labels():
    from django.utils.translation import gettext as _

    return {
        Status.RENEWED: _("Renewed"),
        Status.NOT_STARTED: _("Not started"),
        Status.EXPIRED: _("Expired"),
        Status.EXPIRING: _("Expiring"),
        Status.ACTIVE: _("Active"),
    }


def status_choices():
    labels = status_labels()
    return [(status, labels[status]) for status in Status.ALL]


def queued_renewal_q(today):
    """A renewal term is queued: the latest term is a renewal that has not started yet.

    Once its start date arrives it is simply the current term: the status follows from
    the dates alone, no nightly job moves anything.
    """
    return Q(previous_term_end__isnull=False, term_start__gt=today)


def expiry_threshold_expression(today):
    """The first day after the renewal window, per partner (rule 16)."""
    default = window_months()
    whens = [
        When(client_partner__renewal_window_months=months, then=Value(window_end(today, months)))
        for months in range(1, 13)
        if months != default
    ]
    default_value = Value(window_end(today, default), output_field=DateField())
    if not whens:
        return default_value
    return Case(*whens, default=default_value, output_field=DateField())


def status_expression(today):
    queued = queued_renewal_q(today)
    return Case(
        When(queued, then=Value(Status.RENEWED)),
        When(term_start__gt=today, then=Value(Status.NOT_STARTED)),
        When(term_end__lt=today, then=Value(Status.EXPIRED)),
        When(term_end__lt=expiry_threshold_expression(today), then=Value(Status.EXPIRING)),
        default=Value(Status.ACTIVE),
        output_field=CharField(),
    )


def status_q(status, today=None):
    """The rows whose status (rule 6) is `status`, as plain conditions on their columns:
    the same rows as `status_expression(today)` equal to it (a test compares them on every
    edge), but PostgreSQL estimates these from its statistics where it guesses 0.5 % for a
    CASE. 18 000 expiring rows of 100 000 looked like 500, and a page of 100 of them
    scanned and sorted every row rather than walk the name order (docs/benchmarks.md)."""
    today = today or local_today()
    # Started: neither queued nor not started (both start after today).
    started = Q(term_start__lte=today)
    threshold = expiry_threshold_expression(today)
    return {
        Status.RENEWED: queued_renewal_q(today),
        Status.NOT_STARTED: Q(term_start__gt=today, previous_term_end__isnull=True),
        # A term ends on or after its start: one that ended has started.
        Status.EXPIRED: Q(term_end__lt=today),
        Status.EXPIRING: started & Q(term_end__gte=today, term_end__lt=threshold),
        # The window's end is after today: ending on it or later is not expired either.
        Status.ACTIVE: started & Q(term_end__gte=threshold),
    }[status]


def _current(today, latest, previous, output_field):
    """The current term's value: the previous term's while a renewal is queued."""
    return Case(
        When(queued_renewal_q(today), then=previous),
        default=latest,
        output_field=output_field,
    )


def paying_pool_subquery():
    """The pool that pays for a subscription (rule 2): its reseller's, else its partner's."""
    return Subquery(
        LicensePool.objects.filter(
            organization_id=Coalesce(
                OuterRef("client_reseller_id"), OuterRef("client_partner_id")
            ),
            product_id=OuterRef("product_id"),
        )
        # One pool per (organization, product): the model's ordering would only add joins
        # to organization and product and a sort, per row listed.
        .order_by()
        .values("pk")[:1],
        output_field=IntegerField(),
    )


def _current_term(today):
    return {
        "current_start": _current(today, "term_start", "previous_term_start", DateField()),
        "current_end": _current(today, "term_end", "previous_term_end", DateField()),
        "current_users": _current(today, "users", "previous_users", IntegerField()),
        "current_years": _current(today, "years", "previous_years", IntegerField()),
    }


def annotate_current_term(queryset, *, today=None):
    today = today or local_today()
    return queryset.annotate(
        status=status_expression(today),
        **_current_term(today),
        pool_id=paying_pool_subquery(),
    )


def subscription_rows(user, *, today=None):
    """Every subscription the user may see, with status and current term, ready to list."""
    return (
        Subscription.objects.visible_to(user)
        .with_status(today)
        .select_related("client", "client__reseller", "client__partner", "product")
    )


_PARTNER = object()


def annotate_row(subscription, *, today, pool_id=None, partner_months=_PARTNER):
    """Sets on one subscription already in hand what `with_status` annotates (status,
    current term, paying pool), by the same rules in Python: the service layer's locked
    row. Building the SQL CASE of `with_status` in Django's ORM was a third of a renewal's
    time (docs/benchmarks.md); a test holds this twin to the SQL on every status and window.

    `partner_months` is the client's partner's own window (None: the default one); when
    not given it is read from `subscription.client.partner`."""
    if partner_months is _PARTNER:
        partner_months = subscription.client.partner.renewal_window_months
    queued = subscription.previous_term_end is not None and subscription.term_start > today
    if queued:
        status = Status.RENEWED
    elif subscription.term_start > today:
        status = Status.NOT_STARTED
    elif subscription.term_end < today:
        status = Status.EXPIRED
    elif subscription.term_end < window_end(today, partner_months or window_months()):
        status = Status.EXPIRING
    else:
        status = Status.ACTIVE
    subscription.status = status
    current = "previous_" if queued else ""
    subscription.current_start = getattr(subscription, f"{current}term_start")
    subscription.current_end = getattr(subscription, f"{current}term_end")
    subscription.current_users = getattr(subscription, f"{current}users")
    subscription.current_years = getattr(subscription, f"{current}years")
    subscription.pool_id = pool_id
    return subscription


def visible_subscription(user, pk, *, today=None):
    """One subscription of the user's scope, classified by `annotate_row` (status, current
    term; not the paying pool). Subscription.DoesNotExist when out of scope or missing."""
    subscription = (
        Subscription.objects.visible_to(user)
        .select_related("client", "client__reseller", "client__partner", "product")
        .get(pk=pk)
    )
    return annotate_row(subscription, today=today or local_today())


def plain_subscription_rows(user, *, today=None):
    """The rows of `subscription_rows` with their current term, but without the status and
    the paying pool, whose joins (client, partner, pool) a count or a page's keys sorted
    on the subscription's own columns do not need (tables.DeferredRowsPaginator)."""
    today = today or local_today()
    return Subscription.objects.visible_to(user).annotate(**_current_term(today))


# Pages of every subscription sorted by current end up to this deep are read off two
# indexes (`current_end_keys`); deeper ones let PostgreSQL sort (a rare request, and
# merging tens of thousands of keys in Python would cost more than the sort).
CURRENT_END_KEYS_MAX = 10_000


def current_end_keys(*, offset, limit, descending=False, today=None):
    """The primary keys of every subscription in order of current end date, then pk
    (both descending if asked), rows `offset` to `offset + limit`: what
    `plain_subscription_rows(staff).order_by("current_end", "pk")` pages, without reading
    and sorting all 100 000 rows by the CASE of `current_end` (docs/benchmarks.md).

    The current end is `term_end`, except for a subscription whose renewal is queued (it
    has a previous term and its latest one starts after today): `previous_term_end`. So
    the rows come from two index-ordered reads, merged: those not queued in `term_end`
    order, and the queued ones in `previous_term_end` order (partial index), the latter
    bounded by the last end date of the former: when `offset + limit` rows end by that day
    (from that day, descending), no row ending after it (before it) is among the first
    `offset + limit`.
    """
    today = today or local_today()
    wanted = offset + limit
    sign = "-" if descending else ""
    ended = list(
        Subscription.objects.filter(Q(previous_term_end__isnull=True) | Q(term_start__lte=today))
        .order_by(f"{sign}term_end", f"{sign}pk")
        .values_list("term_end", "pk")[:wanted]
    )
    queued = Subscription.objects.filter(previous_term_end__isnull=False, term_start__gt=today)
    if len(ended) == wanted:
        bound = "gte" if descending else "lte"
        queued = queued.filter(**{f"previous_term_end__{bound}": ended[-1][0]})
    queued = list(
        queued.order_by(f"{sign}previous_term_end", f"{sign}pk")
        .values_list("previous_term_end", "pk")[:wanted]
    )
    merged = heapq.merge(ended, queued, reverse=descending)
    return [pk for _end, pk in itertools.islice(merged, offset, wanted)]


# Rule 16: no partner's window is longer (a CHECK constraint on the organization).
LONGEST_WINDOW_MONTHS = 12


def to_renew_q(today=None):
    """Rule 7: what "to renew" means, in one place (on rows annotated by `with_status`).
    The counter, the renewals list, bulk renewal and the forecast all filter with it.
    Rule 15: a subscription marked "not renewing" is left out.

    The bound on `term_end` follows from the status (no window is longer) and says nothing
    new, but PostgreSQL can read it off the (term_end, id) index: the renewals list sorted
    by end date starts there instead of in the far future."""
    today = today or local_today()
    return Q(
        status__in=Status.TO_RENEW,
        not_renewing_reason__isnull=True,
        term_end__lt=window_end(today, LONGEST_WINDOW_MONTHS),
    )


def subscriptions_to_renew(user, *, today=None):
    return subscription_rows(user, today=today).filter(to_renew_q(today))


def renewal_rows(user, *, not_renewing=False, today=None):
    """The rows of *Clients à renouveler* (the page and the API's renewals-due): those to
    renew, or with `not_renewing` the ones rule 15 took out of it, marked as not renewing."""
    if not not_renewing:
        return subscriptions_to_renew(user, today=today)
    return subscription_rows(user, today=today).filter(
        status__in=Status.TO_RENEW, not_renewing_reason__isnull=False
    )


def dashboard_figures(user, *, months=12, today=None):
    """The dashboard's figures for the user's scope (figures.Figures): counts per status,
    companies to renew, the months' renewals and the licenses they need."""
    from ..figures import scope_figures

    return scope_figures(user, today=today, months=months)


def companies_to_renew_count(user, *, today=None):
    """Rule 7: distinct clients with at least one subscription to renew."""
    return dashboard_figures(user, today=today).companies_to_renew


def counts_by_status(user, *, today=None):
    return dashboard_figures(user, today=today).counts


def renewals_due(*, partner=None, window_months=None, today=None):
    """The subscriptions to renew (rule 7) for the ops commands, in every organization or
    in one partner's scope (its clients and its resellers'), with `due_status`.

    `window_months` replaces the renewal window, a partner's own (rule 16) included: a
    started subscription with no queued renewal is then `expiring` when its term ends
    before today + that many months, and `expired` stays `expired`.
    """
    from django.db.models import F

    today = today or local_today()
    rows = (
        Subscription.objects.with_status(today)
        .select_related("client", "client__partner", "client__reseller", "product")
        .order_by("term_end", "pk")
    )
    if partner is not None:
        rows = rows.filter(client_partner=partner)
    if window_months is None:
        return rows.filter(to_renew_q(today)).annotate(due_status=F("status"))
    return rows.filter(
        status__in=Status.RENEWABLE,
        term_end__lt=window_end(today, window_months),
        not_renewing_reason__isnull=True,
    ).annotate(
        due_status=Case(
            When(term_end__lt=today, then=Value(Status.EXPIRED)),
            default=Value(Status.EXPIRING),
            output_field=CharField(),
        )
    )


FORECAST_HORIZON_MONTHS = 12


def due_within_q(today, months=FORECAST_HORIZON_MONTHS):
    """To renew now, or coming up for renewal before today + `months` (not renewed yet)."""
    return to_renew_q(today) | Q(status=Status.ACTIVE, term_end__lt=window_end(today, months))
