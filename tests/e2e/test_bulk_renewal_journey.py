"""A partner renews a selection in a real browser, after seeing the shortfall forecast."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from subscriptions.models import LicenseMovement, LicensePool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due_rows(alpha, tbox, grant, make_subscription, today, partner_user):
    grant(alpha, tbox, 20)
    soon = today + datetime.timedelta(days=20)
    return [
        make_subscription(alpha, tbox, end=soon + datetime.timedelta(days=i), users=4 + i,
                          name=f"Société {i}")
        for i in range(4)
    ]


def test_a_partner_sees_the_shortfall_and_renews_a_selection(
    login, live_server, due_rows, screenshot, axe
):
    page = login("partner")
    pool = LicensePool.objects.get(organization__name="Alpha Distribution")
    # 4 + 5 + 6 + 7 = 22 needed, 20 remaining.
    shortfall = page.locator(f"[data-testid=shortfall][data-pool-id='{pool.pk}']")
    expect(shortfall).to_have_text("2")
    expect(shortfall).to_have_attribute("data-needed", "22")

    page.goto(f"{live_server.url}/renewals/")
    for subscription in due_rows[:3]:
        page.locator(f"input[name=subscriptions][value='{subscription.pk}']").check()
    screenshot("bulk-selection")
    axe("renewals with boxes")
    page.get_by_test_id("bulk-renew").click()

    debit = page.locator(f"[data-testid=bulk-debit][data-pool-id='{pool.pk}']")
    expect(debit).to_have_text("15")
    expect(page.locator(f"[data-testid=bulk-balance-after][data-pool-id='{pool.pk}']")).to_have_text(
        "5"
    )
    screenshot("bulk-preview")
    axe("bulk preview")
    page.locator("[data-testid=bulk-confirm-form] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/renewals/$"))
    expect(page.locator("[role=status]").first).to_contain_text("3")
    expect(page.locator("tr[data-subscription-id]")).to_have_count(1)
    pool.refresh_from_db()
    assert pool.balance == 5
    assert LicenseMovement.objects.filter(kind="renewal").count() == 3


def test_ticking_the_header_box_selects_the_whole_page(login, live_server, due_rows):
    page = login("partner")
    page.goto(f"{live_server.url}/renewals/")
    page.locator("th.bulk-select input[type=checkbox]").check()
    expect(page.locator("input[name=subscriptions]:checked")).to_have_count(4)
