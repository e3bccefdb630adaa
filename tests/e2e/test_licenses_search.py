"""Publisher staff find a reseller beyond the capped menu of the licenses page by typing
its name, and give it licenses; the ledger's organization menu searches the same way."""

import pytest
from playwright.sync_api import expect

from accounts.models import Organization, OrganizationKind
from subscriptions.models import LicensePool
from subscriptions.organization_menus import CHOICES_MAX

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crowd(alpha, tbox, grant):
    grant(alpha, tbox, 100)
    Organization.objects.bulk_create(
        [
            Organization(kind=OrganizationKind.RESELLER, name=f"Revente {i:04d}", parent=alpha)
            for i in range(CHOICES_MAX + 20)
        ]
    )
    return Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="Zénith Revente", parent=alpha
    )


def test_staff_search_the_reseller_menu_and_allocate_to_what_they_found(
    english, login, live_server, crowd, staff, screenshot, axe
):
    page = login("staff")
    refused = []
    page.on("console", lambda message: message.type == "error" and refused.append(message.text))
    page.goto(f"{live_server.url}/licenses/")
    form = page.locator("form.allocation-form")
    menu = form.locator("select[name=reseller]")
    expect(menu.locator("option")).to_have_count(1 + CHOICES_MAX)
    search = form.get_by_label("Search the “Reseller” menu by name")
    expect(search).to_be_visible()

    search.fill("zénith")
    expect(menu.locator("option")).to_have_count(2)
    expect(menu.locator("option").nth(1)).to_have_text("Zénith Revente (Alpha Distribution)")
    screenshot("licenses-reseller-search")
    axe("licenses, reseller search")

    menu.select_option(str(crowd.pk))
    form.get_by_label("Product", exact=True).select_option("TBOX")
    form.get_by_label("Number of licenses").fill("5")
    # Enter in the search box does not send the allocation form.
    search.press("Enter")
    expect(menu).to_have_value(str(crowd.pk))
    form.get_by_role("button", name="Move the licenses").click()
    expect(page.locator("[role=status]").first).to_contain_text(
        "5 TBox licenses given to Zénith Revente"
    )
    pool = LicensePool.objects.get(organization=crowd)
    expect(page.locator(f"[data-testid=pool-balance][data-pool-id='{pool.pk}']")).to_have_text("5")

    # The ledger's organization menu: found, chosen, filtered on; the search is not sent.
    filters = page.locator("form.filter-form")
    filters.get_by_label("Search the “Organization” menu by name").fill("zénith")
    organization = filters.locator("select[name=organization]")
    expect(organization.locator("option")).to_have_count(2)
    organization.select_option(str(crowd.pk))
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-movement-id]")).to_have_count(1)
    assert f"organization={crowd.pk}" in page.url and "q=" not in page.url
    assert refused == []
