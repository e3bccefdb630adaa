"""The dashboard's and the forecast's figures are cached on PostgreSQL until the data
changes (subscriptions/selectors/figures_cache.py): a page never shows a figure older than a write
that committed before it was asked for, whoever made the write."""

import datetime
import threading

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from subscriptions import services
from subscriptions.models import LicensePool, NotRenewingReason, Subscription
from subscriptions.selectors.figures_cache import data_snapshot
from tests.helpers import web
from tests.helpers.html import by_testid

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the cache keys on PostgreSQL's snapshot"
    ),
]


def _counter(response):
    return int(by_testid(response, "companies-to-renew")[0].text)


def _balance(response, pool):
    hooks = [e for e in by_testid(response, "shortfall") if e.attrs["data-pool-id"] == str(pool.pk)]
    return int(hooks[0].attrs["data-balance"])


def _figure_queries(queries):
    """The statements that compute figures or read the kept ones (selectors/figures.py)."""
    return [
        q["sql"] for q in queries
        if "WITH scoped" in q["sql"] or "subscriptions_figurerow" in q["sql"]
    ]


@pytest.fixture
def due(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    end = today + datetime.timedelta(days=20)
    start = end - relativedelta(years=1) + datetime.timedelta(days=1)
    return [make_subscription(alpha, tbox, start=start, end=end, users=3) for _ in range(3)]


pytestmark = [*postgres_only, pytest.mark.usefixtures("plain_http")]


def test_a_second_look_is_served_from_the_cache(partner_user, due):
    browser = web.browser(partner_user)
    with CaptureQueriesContext(connection) as first:
        assert _counter(browser.get("/")) == 3
    with CaptureQueriesContext(connection) as second:
        assert _counter(browser.get("/")) == 3
    assert _figure_queries(first.captured_queries) != []
    assert _figure_queries(second.captured_queries) == []


def test_a_renewal_shows_at_once_on_the_dashboard_and_the_licenses_page(
    partner_user, alpha, tbox, due
):
    browser = web.browser(partner_user)
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    for url in ("/", "/licenses/"):
        assert _balance(browser.get(url), pool) == 100
    assert _counter(browser.get("/")) == 3

    services.renew_subscription(actor=partner_user, subscription_id=due[0].pk, years=1)

    dashboard = browser.get("/")
    assert _counter(dashboard) == 2
    assert _balance(dashboard, pool) == 97
    assert _balance(browser.get("/licenses/"), pool) == 97


def test_a_mark_that_moves_no_license_shows_at_once(partner_user, due):
    browser = web.browser(partner_user)
    assert _counter(browser.get("/")) == 3
    services.mark_not_renewing(
        actor=partner_user, subscription_id=due[1].pk, reason=NotRenewingReason.PRICE
    )
    assert _counter(browser.get("/")) == 2


def test_a_write_from_another_connection_shows_at_once(partner_user, due):
    """Django admin, a command or psql: any committed write, not only the services."""
    browser = web.browser(partner_user)
    assert _counter(browser.get("/")) == 3

    def mark_them_as_admin_would():
        try:
            Subscription.objects.filter(pk__in=[s.pk for s in due]).update(
                not_renewing_reason=NotRenewingReason.CLOSED
            )
        finally:
            connection.close()

    writer = threading.Thread(target=mark_them_as_admin_would)
    writer.start()
    writer.join(30)
    assert _counter(browser.get("/")) == 0


def test_nothing_is_cached_inside_a_transaction(partner_user, due):
    """A transaction's own uncommitted rows are invisible to other requests."""
    assert data_snapshot() is not None
    with transaction.atomic():
        assert data_snapshot() is None


def test_writes_replace_the_cached_figures_instead_of_piling_them_up(
    partner_user, due, settings, tmp_path
):
    """One entry per figure and scope, whatever the number of writes: a file per write
    filled the cache directory, and culling it stalled a request."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    browser = web.browser(partner_user)
    assert _counter(browser.get("/")) == 3
    entries = sorted(path.name for path in tmp_path.iterdir())
    assert entries
    for expected, subscription in zip((2, 1), due, strict=False):
        services.renew_subscription(actor=partner_user, subscription_id=subscription.pk, years=1)
        assert _counter(browser.get("/")) == expected
        assert _counter(browser.get("/")) == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == entries


def _auto_renewing(response):
    said = by_testid(response, "forecast-auto-renew")
    return [(e.attrs["data-subscriptions"], e.attrs["data-licenses"]) for e in said]


def test_the_automatic_renewals_due_follow_a_plan_at_once(partner_user, due):
    """The forecast's sentence on the renewals made automatically is kept with the other
    figures: a plan switching auto-renew on shows on the next look, then off again."""
    browser = web.browser(partner_user)
    for url in ("/", "/licenses/"):
        assert _auto_renewing(browser.get(url)) == []

    services.set_renewal_plan(
        actor=partner_user, subscription_id=due[0].pk, users=5, years=2, auto_renew=True
    )
    for url in ("/", "/licenses/"):
        assert _auto_renewing(browser.get(url)) == [("1", "10")]
        assert _auto_renewing(browser.get(url)) == [("1", "10")]

    services.set_renewal_plan(
        actor=partner_user, subscription_id=due[0].pk, users=5, years=2, auto_renew=False
    )
    for url in ("/", "/licenses/"):
        assert _auto_renewing(browser.get(url)) == []
