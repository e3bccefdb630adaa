"""The shortfall forecast on the dashboard and the Licenses page (rule 17)."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from tests.helpers import web
from tests.helpers.html import by_testid

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def shortfall_case(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today):
    grant(alpha, tbox, 10)
    grant(alpha, tsend, 100)
    grant(alpha_reseller, tbox, 5)
    end = today + datetime.timedelta(days=30)
    start = end - relativedelta(years=1) + datetime.timedelta(days=1)
    for users in (20, 30):
        make_subscription(alpha, tbox, start=start, end=end, users=users)
    make_subscription(alpha, tsend, start=start, end=end, users=4)
    make_subscription(alpha, tbox, reseller=alpha_reseller, start=start, end=end, users=2)


@pytest.mark.parametrize("url", ["/", "/licenses/"])
def test_each_visible_pool_shows_what_it_needs_and_what_is_missing(
    url, partner_user, alpha, alpha_reseller, tbox, tsend, shortfall_case
):
    response = web.browser(partner_user).get(url)
    hooks = {
        (e.attrs["data-pool-id"], e.attrs["data-product"]): (
            e.attrs["data-needed"], e.attrs["data-balance"], e.text
        )
        for e in by_testid(response, "shortfall")
    }
    pools = {
        (str(alpha.pools.get(product=tbox).pk), "TBOX"): ("50", "10", "40"),
        (str(alpha.pools.get(product=tsend).pk), "TSEND"): ("4", "100", "0"),
        (str(alpha_reseller.pools.get(product=tbox).pk), "TBOX"): ("2", "5", "0"),
    }
    assert hooks == pools


def test_the_dashboard_says_how_many_licenses_are_missing_for_how_many_companies(
    partner_user, shortfall_case
):
    response = web.browser(partner_user).get("/")
    messages = [e.text for e in by_testid(response, "shortfall-message")]
    assert messages == [
        "40 licenses of TBox are missing to renew the 2 companies of the next 3 months."
    ]
    assert "/renewals/?product=TBOX" in response.content.decode()


def test_a_reseller_sees_only_its_own_pool(reseller_user, alpha_reseller, shortfall_case):
    hooks = by_testid(web.browser(reseller_user).get("/"), "shortfall")
    assert [e.attrs["data-pool-id"] for e in hooks] == [str(alpha_reseller.pools.get().pk)]


def test_the_dashboard_takes_the_same_queries_whatever_the_rows(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grant(alpha, tbox, 10)
    browser = web.browser(partner_user)
    end = today + datetime.timedelta(days=30)
    make_subscription(alpha, tbox, start=end - relativedelta(years=1), end=end)
    browser.get("/")
    # Each look follows a write: on PostgreSQL the kept figures of the organization it
    # changed are recomputed, whatever the rows, and no cache answers.
    make_subscription(alpha, tbox, start=end - relativedelta(years=1), end=end)
    with CaptureQueriesContext(connection) as few:
        browser.get("/")
    for _ in range(15):
        make_subscription(alpha, tbox, start=end - relativedelta(years=1), end=end)
    with CaptureQueriesContext(connection) as many:
        response = browser.get("/")
    assert len(many) == len(few)
    assert by_testid(response, "companies-to-renew")[0].text.strip() == "17"
