"""The client list sorted by end date reads its pages off two indexes
(selectors.current_end_keys) instead of sorting every subscription of the scope by the CASE
of its current end: the same rows, in the same order, page after page, for staff, a
partner and a reseller, on both databases."""

import datetime
import random

import pytest
from django.test import Client as HttpClient

from subscriptions import selectors
from subscriptions.dates import local_today
from subscriptions.models import Subscription
from tests.helpers.html import row_ids

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def mixed_terms(alpha, beta, alpha_reseller, tbox, tsend, make_subscription):
    """Sixty subscriptions of two partners: expired, active, starting later, renewed long
    ago (a previous term, now past), renewals queued (their current end is the previous
    term's), and many sharing an end date, so that ties are broken by pk."""
    today = local_today()
    rng = random.Random(7)
    for _ in range(60):
        days = rng.choice((-800, -400, -365, -340, -300, -200, -30, 0, 9))
        start = today + datetime.timedelta(days=days)
        make_subscription(
            rng.choice((alpha, beta)),
            rng.choice((tbox, tsend)),
            start=start,
            years=rng.choice((1, 2)),
            reseller=alpha_reseller if rng.random() < 0.2 else None,
            renewal_years=rng.choice((None, None, 1, 2)),
        )
    statuses = set(Subscription.objects.with_status(today).values_list("status", flat=True))
    assert statuses == set(selectors.Status.ALL)


def by_current_end(user):
    """What PostgreSQL or SQLite sorting every row by its current end gives."""
    return list(
        selectors.plain_subscription_rows(user)
        .order_by("current_end", "pk")
        .values_list("pk", flat=True)
    )


def by_current_end_descending(user):
    return list(
        selectors.plain_subscription_rows(user)
        .order_by("-current_end", "-pk")
        .values_list("pk", flat=True)
    )


@pytest.fixture(params=["staff", "partner_user", "reseller_user"])
def reader(request):
    return request.getfixturevalue(request.param)


def test_the_keys_of_each_page_are_those_of_the_full_sort(mixed_terms, staff, reader):
    assert len(by_current_end(staff)) == 60
    expected = by_current_end(reader)
    assert 0 < len(expected) <= 60
    for limit in (1, 7, 25):
        for offset in range(0, 66, limit):
            assert selectors.current_end_keys(reader, offset=offset, limit=limit) == (
                expected[offset:offset + limit]
            ), (offset, limit)


def test_the_keys_of_each_page_are_those_of_the_full_sort_descending(mixed_terms, reader):
    expected = by_current_end_descending(reader)
    for limit in (1, 7, 25):
        for offset in range(0, 66, limit):
            assert selectors.current_end_keys(
                reader, offset=offset, limit=limit, descending=True
            ) == expected[offset:offset + limit], (offset, limit)


def test_a_partner_s_keys_are_its_own(mixed_terms, partner_user, staff):
    """Beta's subscriptions, interleaved with Alpha's by end date, stay out of Alpha's
    pages."""
    everyone = set(selectors.current_end_keys(staff, offset=0, limit=100))
    own = set(selectors.current_end_keys(partner_user, offset=0, limit=100))
    assert own == set(by_current_end(partner_user))
    assert own < everyone


def test_a_renewal_queued_is_listed_by_the_end_of_its_current_term(
    alpha, tbox, make_subscription, staff
):
    today = local_today()
    # Ends in ten days, renewed for a year already: its current end is in ten days, not
    # in a year, so it comes before one ending in a month.
    queued = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=355), renewal_years=1
    )
    later = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=335))
    assert selectors.current_end_keys(staff, offset=0, limit=2) == [queued.pk, later.pk]
    assert by_current_end(staff) == [queued.pk, later.pk]


@pytest.mark.parametrize("sort", ["end", "-end"])
def test_pages_sorted_by_end_date_follow_one_another(mixed_terms, reader, sort):
    client = HttpClient()
    client.force_login(reader)
    expected = by_current_end(reader) if sort == "end" else by_current_end_descending(reader)
    shown = []
    for page in range(1, -(-len(expected) // 10) + 1):
        response = client.get(f"/clients/?sort={sort}&per_page=10&page={page}")
        assert response.status_code == 200
        shown += row_ids(response)
    assert shown == expected


def test_a_queued_renewal_ending_the_same_day_as_the_page_s_last_row_is_not_missed(
    alpha, tbox, make_subscription, staff
):
    today = local_today()
    queued = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=355), renewal_years=1
    )
    same_day = queued.previous_term_end
    plain = make_subscription(alpha, tbox, start=same_day - datetime.timedelta(days=364),
                              end=same_day)
    # Same end date: the older one (smaller pk) first, though the page's bound comes from
    # the other.
    assert selectors.current_end_keys(staff, offset=0, limit=1) == [queued.pk]
    assert selectors.current_end_keys(staff, offset=1, limit=1) == [plain.pk]
    assert by_current_end(staff) == [queued.pk, plain.pk]
