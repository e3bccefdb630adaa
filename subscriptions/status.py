"""The status of a subscription (docs/rules.md, rule 6), in one place: its names and
labels, the SQL expression, the `Q` filters the lists and the counters use (rule 7's "to
renew", rule 16's window, rule 17's "due within"), the current term's expressions, and
the same rule in Python for a row already in hand (`annotate_row`).

Rule 6, the first that applies wins:
- renewed: a renewal term is queued (the latest term is a renewal not started yet);
- not started: the term starts after today;
- expired: the term ended before today;
- expiring: it ends before the first day after the renewal window (rule 16);
- active: otherwise.

It depends on the dates and Django only: models, selectors and services build on it.
"""

from django.db.models import Case, CharField, DateField, IntegerField, Q, Value, When

from .dates import local_today, window_end, window_months


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
    # Rule 19: users may be added to these; an expired one is renewed instead.
    ADDABLE = (NOT_STARTED, ACTIVE, EXPIRING, RENEWED)


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


# Rule 16: no partner's window is longer (a CHECK constraint on the organization).
LONGEST_WINDOW_MONTHS = 12

FORECAST_HORIZON_MONTHS = 12


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


def _rule_6(today, value_of, output_field):
    """Rule 6's CASE, each status written as `value_of(status)`."""
    return Case(
        When(queued_renewal_q(today), then=value_of(Status.RENEWED)),
        When(term_start__gt=today, then=value_of(Status.NOT_STARTED)),
        When(term_end__lt=today, then=value_of(Status.EXPIRED)),
        When(term_end__lt=expiry_threshold_expression(today), then=value_of(Status.EXPIRING)),
        default=value_of(Status.ACTIVE),
        output_field=output_field,
    )


def status_expression(today):
    return _rule_6(today, Value, CharField())


def status_rank_expression(today, order):
    """The status as its position in `order` (a tuple of every status): the same CASE,
    numbers instead of names, so that the database can take the smallest of a group
    without building the status CASE once per compared name."""
    return _rule_6(today, lambda status: Value(order.index(status)), IntegerField())


def status_q(status, today=None):
    """The rows whose status (rule 6) is `status`, as plain conditions on their columns:
    the same rows as `status_expression(today)` equal to it (a test compares them on every
    edge), but PostgreSQL estimates these from its statistics where it guesses 0.5 % for a
    CASE: a page of one status would otherwise scan and sort every row rather than walk
    the name order."""
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


def due_within_q(today, months=FORECAST_HORIZON_MONTHS):
    """To renew now, or coming up for renewal before today + `months` (not renewed yet)."""
    return to_renew_q(today) | Q(status=Status.ACTIVE, term_end__lt=window_end(today, months))


def _current(today, latest, previous, output_field):
    """The current term's value: the previous term's while a renewal is queued."""
    return Case(
        When(queued_renewal_q(today), then=previous),
        default=latest,
        output_field=output_field,
    )


def current_term(today):
    """The current term's expressions (`current_start`, `current_end`, `current_users`,
    `current_years`), to annotate subscriptions with."""
    return {
        "current_start": _current(today, "term_start", "previous_term_start", DateField()),
        "current_end": _current(today, "term_end", "previous_term_end", DateField()),
        "current_users": _current(today, "users", "previous_users", IntegerField()),
        "current_years": _current(today, "years", "previous_years", IntegerField()),
    }


_PARTNER = object()


def annotate_row(subscription, *, today, pool_id=None, partner_months=_PARTNER):
    """Sets on one subscription already in hand what `with_status` annotates (status,
    current term, paying pool), by the same rules in Python: the service layer's locked
    row, without building the SQL CASE of `with_status` in Django's ORM for one row;
    a test holds this twin to the SQL on every status and window.

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
