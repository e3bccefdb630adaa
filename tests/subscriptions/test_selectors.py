"""Rule 3 (dates) and rule 6 (statuses), at every boundary.

"Today" is always passed explicitly, so each test pins the exact day it speaks about.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from subscriptions import selectors, services
from subscriptions.dates import local_today, term_end, whole_years_covered, window_end
from subscriptions.models import Subscription
from subscriptions.selectors import (
    companies_to_renew_count,
    counts_by_status,
    subscription_rows,
    subscriptions_to_renew,
)
from subscriptions.selectors.plans import auto_renew_due
from subscriptions.status import Status

TODAY = datetime.date(2025, 6, 15)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def default_window(settings):
    settings.RENEWAL_WINDOW_MONTHS = 3
    settings.RENEWAL_AFTER_EXPIRY = "restart"


def row(subscription, today=TODAY):
    return Subscription.objects.with_status(today).get(pk=subscription.pk)


def status_of(subscription, today=TODAY):
    return row(subscription, today).status


def ending(make_subscription, partner, product, end, **kwargs):
    """A one-year-ish subscription started well before TODAY and ending on `end`."""
    return make_subscription(
        partner, product, start=datetime.date(2024, 1, 1), end=end, **kwargs
    )


# --- rule 3: dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (datetime.date(2025, 1, 1), 1, datetime.date(2025, 12, 31)),
        (datetime.date(2025, 6, 15), 1, datetime.date(2026, 6, 14)),
        (datetime.date(2025, 6, 15), 2, datetime.date(2027, 6, 14)),
        (datetime.date(2025, 6, 15), 5, datetime.date(2030, 6, 14)),
        (datetime.date(2025, 3, 1), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2023, 3, 1), 1, datetime.date(2024, 2, 29)),
    ],
)
def test_it_ends_a_term_the_day_before_the_same_date_years_later(start, years, end):
    assert term_end(start, years) == end


def test_it_clamps_a_29_february_start_to_28_february_then_steps_back_one_day():
    assert term_end(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 27)
    assert term_end(datetime.date(2024, 2, 29), 2) == datetime.date(2026, 2, 27)
    # Four years later is a leap year again: 29 February exists, so nothing is clamped.
    assert term_end(datetime.date(2024, 2, 29), 4) == datetime.date(2028, 2, 28)


def test_it_makes_consecutive_terms_meet_without_gap_or_overlap():
    start = datetime.date(2024, 2, 29)
    starts = []
    for _ in range(3):
        end = term_end(start, 1)
        assert end > start
        start = end + DAY
        starts.append(start)
    # The day lost in 2025 is lost once: renewals then stay on 28 February.
    assert starts == [
        datetime.date(2025, 2, 28),
        datetime.date(2026, 2, 28),
        datetime.date(2027, 2, 28),
    ]


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), 1),
        (datetime.date(2024, 1, 1), datetime.date(2025, 1, 1), 2),
        (datetime.date(2024, 1, 1), datetime.date(2024, 1, 1), 1),
        (datetime.date(2024, 1, 1), datetime.date(2026, 12, 31), 3),
        (datetime.date(2024, 1, 1), datetime.date(2027, 1, 1), 4),
        (datetime.date(2024, 2, 29), datetime.date(2025, 2, 27), 1),
        (datetime.date(2024, 2, 29), datetime.date(2025, 2, 28), 2),
    ],
)
def test_it_counts_the_whole_years_a_term_covers_rounded_up(start, end, years):
    assert whole_years_covered(start, end) == years


def test_it_takes_today_in_the_local_time_zone(settings):
    assert local_today() == timezone.localdate()
    settings.TIME_ZONE = "Europe/Paris"
    assert local_today() == timezone.now().astimezone(ZoneInfo("Europe/Paris")).date()


def test_it_takes_today_from_the_time_zone_setting_not_from_utc(settings):
    # UTC+14 and UTC-11 are 25 hours apart: at any instant their dates differ, so the
    # two answers cannot both be the UTC date.
    settings.TIME_ZONE = "Pacific/Kiritimati"
    east = local_today()
    assert east == timezone.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    west = local_today()
    assert west == timezone.now().astimezone(ZoneInfo("Pacific/Pago_Pago")).date()
    assert east > west


def test_it_keeps_today_in_time_zone_whatever_zone_is_activated_for_display(settings):
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    west = timezone.now().astimezone(ZoneInfo("Pacific/Pago_Pago")).date()
    with timezone.override(ZoneInfo("Pacific/Kiritimati")):
        assert timezone.localdate() != west
        assert local_today() == west


def test_it_reads_today_from_the_time_zone_setting_for_statuses(
    settings, alpha, tbox, make_subscription
):
    settings.TIME_ZONE = "Pacific/Kiritimati"
    east = local_today()
    sub = make_subscription(alpha, tbox, start=datetime.date(2020, 1, 1), end=east)
    # An end date equal to the local today is the last covered day: still expiring.
    assert Subscription.objects.with_status().get(pk=sub.pk).status == Status.EXPIRING


def test_it_ends_the_window_the_same_day_months_later():
    assert window_end(TODAY, 3) == datetime.date(2025, 9, 15)
    assert window_end(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)


# --- rule 6: statuses at every boundary ------------------------------------------------


def test_it_says_expiring_when_the_end_date_is_today(alpha, tbox, make_subscription):
    assert status_of(ending(make_subscription, alpha, tbox, TODAY)) == Status.EXPIRING


def test_it_says_expired_the_day_after_the_end_date(alpha, tbox, make_subscription):
    assert status_of(ending(make_subscription, alpha, tbox, TODAY - DAY)) == Status.EXPIRED


def test_it_says_expiring_on_the_last_day_inside_the_window(alpha, tbox, make_subscription):
    last_day = datetime.date(2025, 9, 14)
    assert status_of(ending(make_subscription, alpha, tbox, last_day)) == Status.EXPIRING
    earlier = ending(make_subscription, alpha, tbox, last_day - DAY)
    assert status_of(earlier) == Status.EXPIRING


def test_it_says_active_when_the_end_date_is_exactly_the_window_away(
    alpha, tbox, make_subscription
):
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2025, 9, 15))) == (
        Status.ACTIVE
    )
    later = ending(make_subscription, alpha, tbox, datetime.date(2025, 9, 16))
    assert status_of(later) == Status.ACTIVE


def test_it_says_active_or_expiring_when_the_term_starts_today(alpha, tbox, make_subscription):
    one_year = make_subscription(alpha, tbox, start=TODAY, years=1)
    assert status_of(one_year) == Status.ACTIVE
    short = make_subscription(alpha, tbox, start=TODAY, end=TODAY + DAY)
    assert status_of(short) == Status.EXPIRING


def test_it_says_not_started_when_the_term_starts_tomorrow(alpha, tbox, make_subscription):
    sub = make_subscription(alpha, tbox, start=TODAY + DAY, years=1)
    assert status_of(sub) == Status.NOT_STARTED
    assert status_of(sub, today=TODAY + DAY) == Status.ACTIVE


def test_it_says_not_started_even_when_the_future_term_ends_inside_the_window(
    alpha, tbox, make_subscription
):
    sub = make_subscription(alpha, tbox, start=TODAY + DAY, end=TODAY + 10 * DAY)
    assert status_of(sub) == Status.NOT_STARTED


def test_it_walks_a_subscription_through_every_status_over_time(alpha, tbox, make_subscription):
    sub = make_subscription(alpha, tbox, start=datetime.date(2025, 1, 1), years=1)
    assert sub.term_end == datetime.date(2025, 12, 31)
    assert status_of(sub, datetime.date(2024, 12, 31)) == Status.NOT_STARTED
    assert status_of(sub, datetime.date(2025, 1, 1)) == Status.ACTIVE
    assert status_of(sub, datetime.date(2025, 9, 30)) == Status.ACTIVE
    assert status_of(sub, datetime.date(2025, 10, 1)) == Status.EXPIRING
    assert status_of(sub, datetime.date(2025, 12, 31)) == Status.EXPIRING
    assert status_of(sub, datetime.date(2026, 1, 1)) == Status.EXPIRED


def test_it_says_renewed_while_a_renewal_is_queued_and_shows_the_current_term(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    sub = ending(make_subscription, alpha, tbox, datetime.date(2025, 6, 30), users=5)
    services.renew_subscription(
        actor=partner_user, subscription_id=sub.pk, years=2, users=9, today=TODAY
    )

    queued = row(sub)
    assert queued.status == Status.RENEWED
    assert queued.current_start == datetime.date(2024, 1, 1)
    assert queued.current_end == datetime.date(2025, 6, 30)
    assert queued.current_users == 5
    assert queued.current_years == 1
    # The last day of the old term: still renewed, not expiring.
    assert status_of(sub, datetime.date(2025, 6, 30)) == Status.RENEWED


def test_it_makes_the_queued_renewal_current_the_day_it_starts(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    sub = ending(make_subscription, alpha, tbox, datetime.date(2025, 6, 30), users=5)
    services.renew_subscription(
        actor=partner_user, subscription_id=sub.pk, years=1, users=9, today=TODAY
    )

    started = row(sub, datetime.date(2025, 7, 1))
    assert started.status == Status.ACTIVE
    assert started.current_start == datetime.date(2025, 7, 1)
    assert started.current_end == datetime.date(2026, 6, 30)
    assert started.current_users == 9
    assert status_of(sub, datetime.date(2026, 4, 1)) == Status.EXPIRING
    assert status_of(sub, datetime.date(2026, 7, 1)) == Status.EXPIRED


def test_it_says_renewed_before_anything_else(alpha, tbox, make_subscription):
    # A queued renewal of a term that ends today: renewed wins over expiring.
    sub = ending(make_subscription, alpha, tbox, TODAY, renewal_years=1)
    assert status_of(sub) == Status.RENEWED
    assert row(sub).current_end == TODAY


def test_it_follows_the_partner_window_for_the_partner_and_its_resellers(
    alpha, alpha_reseller, beta, tbox, make_subscription
):
    end = datetime.date(2025, 11, 1)
    own = ending(make_subscription, alpha, tbox, end)
    resold = ending(make_subscription, alpha, tbox, end, reseller=alpha_reseller)
    other = ending(make_subscription, beta, tbox, end)
    assert {status_of(s) for s in (own, resold, other)} == {Status.ACTIVE}

    alpha.renewal_window_months = 6
    alpha.save()

    assert status_of(own) == Status.EXPIRING
    assert status_of(resold) == Status.EXPIRING
    assert status_of(other) == Status.ACTIVE
    # Six months from 15 June is 15 December: that end is outside the window.
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2025, 12, 15))) == (
        Status.ACTIVE
    )
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2025, 12, 14))) == (
        Status.EXPIRING
    )


def test_it_lets_a_partner_window_shorter_than_the_setting_win(
    settings, alpha, beta, tbox, make_subscription
):
    settings.RENEWAL_WINDOW_MONTHS = 6
    alpha.renewal_window_months = 3
    alpha.save()
    end = datetime.date(2025, 10, 1)
    assert status_of(ending(make_subscription, alpha, tbox, end)) == Status.ACTIVE
    assert status_of(ending(make_subscription, beta, tbox, end)) == Status.EXPIRING


def test_it_follows_the_renewal_window_setting(settings, alpha, tbox, make_subscription):
    sub = ending(make_subscription, alpha, tbox, datetime.date(2025, 8, 1))
    assert status_of(sub) == Status.EXPIRING
    settings.RENEWAL_WINDOW_MONTHS = 1
    assert status_of(sub) == Status.ACTIVE
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 14))) == (
        Status.EXPIRING
    )
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 15))) == (
        Status.ACTIVE
    )
    settings.RENEWAL_WINDOW_MONTHS = 12
    assert status_of(ending(make_subscription, alpha, tbox, datetime.date(2026, 6, 14))) == (
        Status.EXPIRING
    )


# --- rows, to renew, counts ------------------------------------------------------------


@pytest.fixture
def every_status(alpha, alpha_reseller, tbox, tsend, make_subscription):
    """One subscription of alpha per status, plus a second subscription for one client."""
    subs = {
        Status.NOT_STARTED: make_subscription(alpha, tbox, start=TODAY + DAY),
        Status.ACTIVE: ending(make_subscription, alpha, tbox, datetime.date(2026, 1, 1)),
        Status.EXPIRING: ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 1)),
        Status.EXPIRED: ending(
            make_subscription, alpha, tbox, datetime.date(2025, 5, 1), reseller=alpha_reseller
        ),
        Status.RENEWED: ending(make_subscription, alpha, tbox, TODAY, renewal_years=1),
    }
    expiring_client = subs[Status.EXPIRING].client
    subs["second"] = ending(
        make_subscription, alpha, tsend, datetime.date(2025, 5, 1), client=expiring_client
    )
    return subs


def test_it_lists_each_subscription_in_its_own_status(partner_user, every_status):
    statuses = {r.pk: r.status for r in subscription_rows(partner_user, today=TODAY)}
    for status in Status.ALL:
        assert statuses[every_status[status].pk] == status
    assert statuses[every_status["second"].pk] == Status.EXPIRED


def test_it_lists_expiring_and_expired_subscriptions_to_renew(partner_user, every_status):
    to_renew = {r.pk for r in subscriptions_to_renew(partner_user, today=TODAY)}
    assert to_renew == {
        every_status[Status.EXPIRING].pk,
        every_status[Status.EXPIRED].pk,
        every_status["second"].pk,
    }


def test_it_counts_companies_not_subscriptions_to_renew(
    partner_user, reseller_user, other_partner_user, every_status
):
    assert companies_to_renew_count(partner_user, today=TODAY) == 2
    assert companies_to_renew_count(reseller_user, today=TODAY) == 1
    assert companies_to_renew_count(other_partner_user, today=TODAY) == 0


def test_it_counts_subscriptions_by_status(partner_user, every_status):
    assert counts_by_status(partner_user, today=TODAY) == {
        Status.RENEWED: 1,
        Status.NOT_STARTED: 1,
        Status.EXPIRED: 2,
        Status.EXPIRING: 1,
        Status.ACTIVE: 1,
    }


def test_it_charts_months_ahead_and_counts_overdue_licenses_in_the_first_month(
    alpha, alpha_reseller, tbox, tsend, partner_user, every_status
):
    figures = selectors.dashboard_figures(partner_user, today=TODAY)
    first = datetime.date(2025, 6, 1)
    months = dict(figures.months)
    assert list(months)[0] == first and len(months) == 12
    # The chart: what ends in each month and is not renewed yet; the two that expired in
    # May are overdue, not June's.
    assert months[first] == 0
    assert months[datetime.date(2025, 7, 1)] == 1
    assert months[datetime.date(2026, 1, 1)] == 1
    assert sum(months.values()) == 2
    # Rule 17: overdue renewals are due now, in the first month (alpha's TSend and its
    # reseller's TBox); no pool holds a license, so every month that needs one is short.
    licenses = dict(zip(months, figures.licenses_by_month, strict=True))
    assert licenses[first] == (10, True)
    assert licenses[datetime.date(2025, 7, 1)] == (5, True)
    assert licenses[datetime.date(2026, 1, 1)] == (5, True)
    assert sum(needed for needed, _short in licenses.values()) == 20


def test_a_month_is_short_when_one_pool_can_no_longer_pay_whatever_the_others_hold(
    alpha, alpha_reseller, tbox, tsend, grant, partner_user, make_subscription
):
    july, august, september = (
        datetime.date(2025, 7, 1), datetime.date(2025, 8, 1), datetime.date(2025, 9, 1)
    )
    grant(alpha, tbox, 4)  # 2 in July, then 3 in August: short from August
    ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 10), users=2)
    ending(make_subscription, alpha, tbox, datetime.date(2025, 8, 10), users=3)
    grant(alpha_reseller, tbox, 100)  # plenty: its surplus pays nobody else's renewals
    ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 20), users=50,
           reseller=alpha_reseller)
    ending(make_subscription, alpha, tsend, datetime.date(2025, 9, 5), users=1)  # no pool
    figures = selectors.dashboard_figures(partner_user, today=TODAY)
    licenses = dict(zip(dict(figures.months), figures.licenses_by_month, strict=True))
    assert [licenses[month] for month in (july, august, september)] == [
        (52, False), (3, True), (1, True)
    ]


def test_it_names_the_paying_pool_of_each_row(
    alpha, alpha_reseller, tbox, tsend, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 10)
    grant(alpha_reseller, tbox, 10)
    own = ending(make_subscription, alpha, tbox, datetime.date(2025, 7, 1))
    resold = ending(
        make_subscription, alpha, tbox, datetime.date(2025, 7, 1), reseller=alpha_reseller
    )
    no_pool = ending(make_subscription, alpha, tsend, datetime.date(2025, 7, 1))
    alpha_pool = services.pool_balance(alpha, tbox)[0]
    reseller_pool = services.pool_balance(alpha_reseller, tbox)[0]
    pools = {r.pk: r.pool_id for r in subscription_rows(partner_user, today=TODAY)}
    assert pools == {own.pk: alpha_pool, resold.pk: reseller_pool, no_pool.pk: None}


@pytest.mark.parametrize("default_months", [3, 12])
def test_the_python_twin_of_the_status_agrees_with_the_sql_on_every_row(
    settings, alpha, beta, tbox, make_subscription, default_months
):
    """selectors.annotate_row (the service layer's locked row) and with_status (every
    list) must classify alike: every status, every window, the edges of each."""
    settings.RENEWAL_WINDOW_MONTHS = default_months
    today = datetime.date(2026, 3, 31)
    beta.renewal_window_months = 1
    beta.save()
    day = datetime.timedelta(days=1)
    window_edges = [window_end(today, months) for months in (1, 3, 12)]
    ends = [today - day, today, today + day] + [
        edge + shift for edge in window_edges for shift in (-day, 0 * day, day)
    ]
    for partner in (alpha, beta):
        for end in ends:
            make_subscription(partner, tbox, start=min(end, today) - 300 * day, end=end)
        make_subscription(partner, tbox, start=today + day, end=today + 400 * day)
        # Queued renewals: the previous term ends in the window, or before today.
        for end in (today + 10 * day, today - 3 * day, today):
            make_subscription(
                partner, tbox, start=end - 364 * day, end=end, renewal_years=1
            )
    expected = {
        row.pk: (row.status, row.current_start, row.current_end, row.current_users,
                 row.current_years)
        for row in Subscription.objects.with_status(today)
    }
    seen = {}
    for row in Subscription.objects.select_related("client__partner"):
        selectors.annotate_row(row, today=today)
        seen[row.pk] = (row.status, row.current_start, row.current_end, row.current_users,
                        row.current_years)
    assert seen == expected
    assert {status for status, *_ in expected.values()} == set(selectors.Status.ALL)
    # The lists' status filter (selectors.status_q) picks the same rows as the CASE.
    for status in selectors.Status.ALL:
        picked = Subscription.objects.filter(selectors.status_q(status, today))
        assert set(picked.values_list("pk", flat=True)) == {
            pk for pk, (row_status, *_rest) in expected.items() if row_status == status
        }, status


def test_auto_renew_due_counts_the_auto_renewing_subscriptions_to_renew_now(
    staff, partner_user, alpha, beta, tbox, make_subscription
):
    """Rule 7's "to renew" (expiring or expired, not marked as not renewing) among the
    subscriptions that renew by themselves (rule 23), each partner's window its own
    (rule 16), with the licenses their renewals take (rule 22's plan first)."""
    beta.renewal_window_months = 6
    beta.save(update_fields=["renewal_window_months"])

    def auto(partner, *, end, users=5, **extra):
        subscription = make_subscription(
            partner, tbox, start=end - datetime.timedelta(days=364), end=end, users=users,
            **extra,
        )
        Subscription.objects.filter(pk=subscription.pk).update(auto_renew=True)
        return subscription

    auto(alpha, end=TODAY + 30 * DAY, users=2)  # expiring
    auto(alpha, end=TODAY - DAY, users=3)  # expired
    planned = auto(alpha, end=TODAY, users=4)  # expiring, with a plan
    Subscription.objects.filter(pk=planned.pk).update(renewal_users=6, renewal_years=2)
    auto(alpha, end=TODAY + 120 * DAY)  # active under alpha's 3 months
    auto(beta, end=TODAY + 120 * DAY, users=7)  # expiring under beta's 6 months
    auto(alpha, end=TODAY + 10 * DAY, renewal_years=1)  # renewed: a term queued
    marked = auto(alpha, end=TODAY + 10 * DAY)
    Subscription.objects.filter(pk=marked.pk).update(not_renewing_reason="price")
    make_subscription(alpha, tbox, start=TODAY - 300 * DAY, end=TODAY + 10 * DAY)  # manual

    everything = auto_renew_due(staff, today=TODAY)
    assert everything == {"subscriptions": 4, "licenses": 2 + 3 + 6 * 2 + 7}
    assert auto_renew_due(partner_user, today=TODAY) == {
        "subscriptions": 3, "licenses": 2 + 3 + 6 * 2,
    }
