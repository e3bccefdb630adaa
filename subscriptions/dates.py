"""The date rules of docs/rules.md (rule 3), in one place."""

import datetime

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


def window_months() -> int:
    return settings.RENEWAL_WINDOW_MONTHS


def window_end(today: datetime.date, months: int | None = None) -> datetime.date:
    """First day after the renewal window: a term ending before it is `expiring`."""
    return today + relativedelta(months=months or window_months())
