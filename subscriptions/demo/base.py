"""What the demo's two halves share: the day it is seeded and its report."""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ..dates import local_today, window_end


@dataclass
class SeedReport:
    lines: list = field(default_factory=list)
    users_created: list = field(default_factory=list)
    users_skipped: bool = False

    def say(self, line):
        self.lines.append(line)


def client_since(day: datetime.date) -> datetime.datetime:
    """The moment a demo client is shown as created ("Client since" on its record): the
    morning of the day its first contract was written, not the day the demo was seeded."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def start_for_end(end: datetime.date, years: int) -> datetime.date:
    """The start of a term of `years` whole years ending on `end` (inverse of term_end)."""
    return end + datetime.timedelta(days=1) - relativedelta(years=years)


@dataclass(frozen=True)
class Calendar:
    """Today and the renewal window the statuses are computed against."""

    today: datetime.date
    window_first_day_after: datetime.date

    @classmethod
    def now(cls):
        today = local_today()
        return cls(today=today, window_first_day_after=window_end(today))

    @property
    def window_days(self):
        return (self.window_first_day_after - self.today).days

    def day(self, offset):
        return self.today + datetime.timedelta(days=offset)

    def expiring_end(self, fraction):
        """An end date inside the window, two days away from both of its edges so that a
        29 February clamp (one day) cannot push it out."""
        span = self.window_days - 4
        return self.day(2 + round(fraction * span))

    def active_years_and_end(self, years, days_after_window):
        """A started term ending after the window: more years when the window is long."""
        end = self.window_first_day_after + datetime.timedelta(days=2 + days_after_window)
        while start_for_end(end, years) > self.day(-2):
            years += 1
        return years, end
