"""Every main page on the demo data (`seed_demo`), as a partner sees it: at desktop and
phone width, with no serious accessibility violation. The README's pictures are taken on
the same data by `python -m scripts.screenshots`, not by this test."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from subscriptions.models import Subscription
from subscriptions.selectors import subscription_rows
from subscriptions.status import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", force=True, seed=1, verbosity=0)


def test_the_main_pages_on_the_demo_data(demo, login, live_server, screenshot, axe):
    page = login("partner")
    expect(page.get_by_test_id("companies-to-renew")).to_be_visible()
    screenshot("demo-dashboard")
    axe("dashboard")

    page.goto(f"{live_server.url}/clients/")
    rows = page.locator("tr[data-subscription-id]")
    expect(rows.first).to_be_visible()
    statuses = set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)"))
    assert {"expiring", "expired", "renewed"} <= statuses
    screenshot("demo-client-list")
    axe("client list")

    page.get_by_test_id("by-company").click()
    companies = page.locator("tr[data-client-id]")
    expect(companies.first).to_be_visible()
    ids = companies.evaluate_all("rows => rows.map(r => r.dataset.clientId)")
    assert len(ids) == len(set(ids))
    screenshot("demo-client-list-by-company")
    axe("client list by company")

    page.goto(f"{live_server.url}/renewals/")
    expect(page.locator("a[data-testid=renew]").first).to_be_visible()
    screenshot("demo-renewals")
    axe("renewals")

    page.locator("a[data-testid=renew]").first.click()
    expect(page.get_by_test_id("balance-after")).to_be_visible()
    page.fill("input[name=years]", "2")
    screenshot("demo-renewal-form")
    axe("renewal form")

    from django.contrib.auth import get_user_model

    partner = get_user_model().objects.get(username="partner")
    renewed = subscription_rows(partner).filter(status=Status.RENEWED).first()
    assert isinstance(renewed, Subscription)
    page.goto(f"{live_server.url}/clients/{renewed.client_id}/")
    expect(page.locator("[data-term-id]").first).to_be_visible()
    screenshot("demo-client-detail")
    axe("client record")

    page.goto(f"{live_server.url}/licenses/")
    expect(page.get_by_test_id("pool-balance").first).to_be_visible()
    screenshot("demo-licenses")
    axe("licenses")

    page.goto(f"{live_server.url}/clients/new/")
    screenshot("demo-new-client")
    axe("new client")
