"""The date rules of docs/rules.md (rule 3), in one place."""

import datetime
import math

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone


def local_today() -> datetime.date:
    """Rule 3: "today" is the local date in TIME_ZONE, not the server's UTC date.

    Read in the default time zone, not the active one: a time zone activated for display
    (a user's own) must not move a subscription's status or a renewal's start date.
    """
    return timezone.localdate(timezone=timezone.get_default_timezone())


def term_end(start: datetime.date, years: int) -> datetime.date:
    """The last covered day of a term of whole years.

    relativedelta keeps month and day and clamps 29 February to the 28th in a common year,
    which is the rule; the term then ends the day before.
    """
    return start + relativedelta(years=years) - datetime.timedelta(days=1)


def whole_years_covered(start: datetime.date, end: datetime.date) -> int:
    """The whole years a term from start to end covers, rounded up (imports, docs/rules.md
    rule 3): a term of 1 year and 1 day counts 2."""
    years = 1
    while term_end(start, years) < end:
        years += 1
    return years


def span_cost(users: int, first: datetime.date, last: datetime.date) -> int:
    """Licenses a span of days from first to last (both covered) costs, docs/rules.md rule 18.

    Whole years are counted from the span's first day as rule 3 counts them; the days left
    over are paid pro rata and rounded up, once for all the users, so that a whole year
    costs one license per user whether it has 365 or 366 days.
    """
    if last < first:
        raise ValueError("A span ends on or after its first day.")
    years = 0
    while term_end(first, years + 1) <= last:
        years += 1
    rest_starts = first + relativedelta(years=years)
    rest_days = (last - rest_starts).days + 1
    return users * years + math.ceil(users * rest_days / 365)


def window_months() -> int:
    return settings.RENEWAL_WINDOW_MONTHS


def window_end(today: datetime.date, months: int | None = None) -> datetime.date:
    """First day after the renewal window: a term ending before it is `expiring`."""
    return today + relativedelta(months=months or window_months())
