"""The lists' reads: the subscriptions a user may see with their status (rule 6,
status.py) and current term, the renewals to do (rule 7), one subscription classified,
the keys of a page sorted by end date or searched by name, the counts, and the ops
commands' renewals due.
"""

import heapq
import itertools

from django.db.models import Case, CharField, F, Q, Value, When

from portal.names import folded_contains

from ..dates import local_today, window_end
from ..models import Client, Subscription
from ..status import Status, annotate_row, current_term, to_renew_q
from .figures import scope_figures


def subscription_rows(user, *, today=None):
    """Every subscription the user may see, with status and current term, ready to list."""
    return (
        Subscription.objects.visible_to(user)
        .with_status(today)
        .select_related("client", "client__reseller", "client__partner", "product")
    )


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
    return Subscription.objects.visible_to(user).annotate(**current_term(today))


# Pages of a scope's subscriptions sorted by current end up to this deep are read off two
# indexes (`current_end_keys`); deeper ones let PostgreSQL sort (a rare request, and
# merging tens of thousands of keys in Python would cost more than the sort).
CURRENT_END_KEYS_MAX = 10_000


def current_end_keys(user, *, offset, limit, descending=False, today=None):
    """The primary keys of the subscriptions `user` may see in order of current end date,
    then pk (both descending if asked), rows `offset` to `offset + limit`: what
    `plain_subscription_rows(user).order_by("current_end", "pk")` pages, without reading
    and sorting every row of the scope by the CASE of `current_end`.

    The current end is `term_end`, except for a subscription whose renewal is queued (it
    has a previous term and its latest one starts after today): `previous_term_end`. So
    the rows come from two index-ordered reads, merged: those not queued in `term_end`
    order, and the queued ones in `previous_term_end` order (partial index), the latter
    bounded by the last end date of the former: when `offset + limit` rows end by that day
    (from that day, descending), no row ending after it (before it) is among the first
    `offset + limit`. A partner's scope filters both reads; where it is small, PostgreSQL
    reads its rows by partner and sorts them instead.
    """
    today = today or local_today()
    wanted = offset + limit
    sign = "-" if descending else ""
    rows = Subscription.objects.visible_to(user)
    ended = list(
        rows.filter(Q(previous_term_end__isnull=True) | Q(term_start__lte=today))
        .order_by(f"{sign}term_end", f"{sign}pk")
        .values_list("term_end", "pk")[:wanted]
    )
    queued = rows.filter(previous_term_end__isnull=False, term_start__gt=today)
    if len(ended) == wanted:
        bound = "gte" if descending else "lte"
        queued = queued.filter(**{f"previous_term_end__{bound}": ended[-1][0]})
    queued = list(
        queued.order_by(f"{sign}previous_term_end", f"{sign}pk")
        .values_list("previous_term_end", "pk")[:wanted]
    )
    merged = heapq.merge(ended, queued, reverse=descending)
    return [pk for _end, pk in itertools.islice(merged, offset, wanted)]


def searched_name_keys(user, text, *, offset, limit, descending=False):
    """The primary keys of the subscriptions `user` may see whose client's name contains
    `text` (case and accents ignored), in the lists' default order (client name, product
    name, pk; all descending if asked), rows `offset` to `offset + limit`: what the client
    list searched by name pages, without fetching every match to sort it.

    Those rows belong to the first `offset + limit` clients by name at most, so the
    clients are read first, in name order through the name index (PostgreSQL walks it,
    or for a rare text sorts the few matches), then only their subscriptions. The clients
    sharing the last one's name come too (their subscriptions interleave by product), and
    when clients without a subscription leave the rows short, more clients are read.
    """
    wanted = offset + limit
    sign = "-" if descending else ""
    clients = Client.objects.visible_to(user).filter(folded_contains("name_folded", text))
    rows = Subscription.objects.visible_to(user).order_by(
        f"{sign}client_name", f"{sign}product_name", f"{sign}pk"
    )
    take = wanted
    while True:
        first = list(
            clients.order_by(f"{sign}name", f"{sign}pk").values_list("pk", "name")[:take]
        )
        ids = {pk for pk, _name in first}
        if first:
            ids.update(clients.filter(name=first[-1][1]).values_list("pk", flat=True))
        keys = list(rows.filter(client_id__in=ids).values_list("pk", flat=True)[:wanted])
        if len(keys) == wanted or len(first) < take:
            return keys[offset:]
        take *= 4


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
    companies to renew, the months' renewals and the licenses they need. Not the pools'
    needs: the dashboard pages its pools (forecast_pages.pool_page), and staff's thousands
    of pools weighed more than the rest of its cached figures."""
    return scope_figures(user, today=today, months=months, pools=False)


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

