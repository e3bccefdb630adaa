"""A partner renews in a real browser, then reads the renewal in the audit log from the
user menu, filters it and finds its login with the browser's address (rule 24)."""

import datetime

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ending(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    end = today + datetime.timedelta(days=20)
    return make_subscription(alpha, tbox, start=end - datetime.timedelta(days=364), end=end,
                             users=5, name="Boulangerie Martin")


def test_a_partner_reads_its_renewal_and_login_in_the_audit_log(
    login, live_server, ending, partner_user, screenshot, axe
):
    page = login("partner")
    page.goto(f"{live_server.url}/subscriptions/{ending.pk}/renew/")
    page.fill("input[name=years]", "2")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()

    page.locator(".navbar .dropdown-toggle").last.click()
    page.get_by_test_id("audit-log-link").click()
    expect(page.locator("h1")).to_have_text("Journal d’audit")
    renewal = page.locator("tr[data-testid=audit-row][data-action=renewal]")
    expect(renewal).to_have_count(1)
    expect(renewal).to_contain_text("Boulangerie Martin — TBox")
    expect(renewal).to_contain_text("Renouvellement")
    expect(renewal).to_contain_text("100 → 90")
    expect(page.locator("tr[data-testid=audit-row][data-action=login]")).to_contain_text(
        "127.0.0.1"
    )
    screenshot("audit-log")
    axe("audit log")

    page.select_option("select[name=action]", "login")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("tr[data-testid=audit-row][data-action=renewal]")).to_have_count(0)
    expect(page.locator("tr[data-testid=audit-row][data-action=login]")).to_have_count(1)
