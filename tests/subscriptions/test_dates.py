"""Rule 18 of docs/rules.md: what a span of days costs."""

import datetime

import pytest

from subscriptions.dates import span_cost

D = datetime.date


@pytest.mark.parametrize(
    ("users", "first", "last", "cost"),
    [
        # A whole year is one license per user, 365 days or 366.
        (10, D(2026, 3, 1), D(2027, 2, 28), 10),
        (10, D(2027, 3, 1), D(2028, 2, 29), 10),
        (10, D(2024, 1, 1), D(2024, 12, 31), 10),
        # One day is paid once for all the users, rounded up.
        (1, D(2026, 6, 1), D(2026, 6, 1), 1),
        (10, D(2026, 6, 1), D(2026, 6, 1), 1),
        (365, D(2026, 6, 1), D(2026, 6, 1), 1),
        (366, D(2026, 6, 1), D(2026, 6, 1), 2),
        # Half a year: 10 users × 183 days / 365 = 5.01…, so 6.
        (10, D(2026, 7, 1), D(2026, 12, 30), 6),
        # A span crossing the new year counts its days, not calendar years.
        (3, D(2026, 12, 1), D(2027, 1, 31), 1),
        (100, D(2026, 12, 1), D(2027, 1, 31), 17),
        # One year and one day: the year, then one day for all.
        (5, D(2026, 1, 15), D(2027, 1, 15), 6),
        # Two years and a month, from 29 February.
        (2, D(2024, 2, 29), D(2026, 3, 31), 4 + 1),
        (100, D(2024, 2, 29), D(2026, 3, 31), 200 + 9),
    ],
)
def test_span_cost(users, first, last, cost):
    assert span_cost(users, first, last) == cost


def test_span_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        span_cost(1, D(2026, 6, 2), D(2026, 6, 1))
