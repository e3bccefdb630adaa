"""Publisher staff, who may see more pools than a page holds, read the short ones first on
the dashboard, turn the page and find a pool by its organization's name, in a real
browser; the licenses page does the same with its ledger's filters kept."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

from accounts.models import Organization, OrganizationKind
from subscriptions.models import LicensePool
from subscriptions.selectors import POOLS_PER_PAGE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crowd(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 5)
    due = today + datetime.timedelta(days=20)
    make_subscription(alpha, tbox, start=due - relativedelta(years=1), end=due, users=12)
    partners = Organization.objects.bulk_create(
        [Organization(kind=OrganizationKind.PARTNER, name=f"Partenaire {index:03d}")
         for index in range(POOLS_PER_PAGE + 5)]
        + [Organization(kind=OrganizationKind.PARTNER, name="Zénith Conseil")]
    )
    LicensePool.objects.bulk_create(
        [LicensePool(organization=partner, product=tbox, balance=9) for partner in partners]
    )
    return LicensePool.objects.get(organization=alpha), LicensePool.objects.get(
        organization__name="Zénith Conseil"
    )


def test_staff_page_and_search_the_forecast_and_the_pools(
    english, login, live_server, crowd, staff, screenshot, axe
):
    short, zenith = crowd
    page = login("staff")
    page.goto(f"{live_server.url}/")
    hooks = page.get_by_test_id("shortfall")
    expect(hooks).to_have_count(POOLS_PER_PAGE)
    expect(hooks.first).to_have_attribute("data-pool-id", str(short.pk))
    expect(hooks.first).to_have_text("7")
    expect(page.get_by_test_id("pool-count")).to_contain_text("Short pools first")
    screenshot("dashboard-pool-pages")
    axe("dashboard, pages of pools")

    page.get_by_test_id("pool-page-next").click()
    expect(page.get_by_test_id("pool-pages")).to_have_attribute("data-page", "2")
    expect(page.locator(f"[data-testid=shortfall][data-pool-id='{zenith.pk}']")).to_have_count(1)

    search = page.get_by_label("Organization name")
    search.fill("zénith")
    search.press("Enter")
    expect(hooks).to_have_count(1)
    expect(hooks.first).to_have_attribute("data-pool-id", str(zenith.pk))
    page.get_by_test_id("pool-search-clear").click()
    expect(hooks).to_have_count(POOLS_PER_PAGE)

    page.goto(f"{live_server.url}/licenses/?product=TBOX")
    balances = page.get_by_test_id("pool-balance")
    expect(balances).to_have_count(POOLS_PER_PAGE)
    page.get_by_label("Organization name").fill("zénith")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(balances).to_have_count(1)
    expect(balances.first).to_have_text("9")
    assert "product=TBOX" in page.url and "pool_q=" in page.url
    screenshot("licenses-pool-search")
    axe("licenses, pages of pools")


def test_staff_go_from_the_dashboard_to_the_short_pools_only(
    login, live_server, crowd, staff, screenshot, axe
):
    """In French, the pages' first language: the dashboard's link, the box ticked on the
    licenses page, and unticking it brings every pool back."""
    short, _zenith = crowd
    page = login("staff")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("short-pools-link")).to_be_visible()
    screenshot("dashboard-short-pools-link")
    page.get_by_test_id("short-pools-link").click()
    balances = page.get_by_test_id("pool-balance")
    expect(balances).to_have_count(1)
    expect(balances.first).to_have_attribute("data-pool-id", str(short.pk))
    box = page.get_by_label("Réserves à court seulement")
    expect(box).to_be_checked()
    expect(page.get_by_test_id("pool-count")).to_contain_text(
        "1\u00a0réserve à court de licences dès maintenant."
    )
    screenshot("licenses-short-pools")
    axe("licenses, short pools only")

    box.uncheck()
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(balances).to_have_count(POOLS_PER_PAGE)
    assert "pool_short" not in page.url
    page.get_by_label("Réserves à court seulement").check()
    page.get_by_label("Nom de l’organisation").fill("zénith")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(balances).to_have_count(0)
    expect(page.get_by_test_id("pool-short-empty")).to_be_visible()
    screenshot("licenses-short-pools-none")
