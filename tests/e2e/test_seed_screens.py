"""The seed's screens in a real browser: the client list by company and its switch, the
renewal form's new end date and the new-client form's pool figures, live."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions.dates import term_end
from subscriptions.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def garcia(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today, partner_user):
    """Alpha: Garcia with an expired TBox and an active TSend, a client not started yet,
    one expiring; pools Alpha TBox 100, Alpha Revente TBox 40, Alpha TSend 30."""
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 40)
    grant(alpha, tsend, 30)
    expired = make_subscription(
        alpha,
        tbox,
        start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=10),
        name="Auto-École Garcia",
    )
    make_subscription(
        alpha, tsend, start=today - datetime.timedelta(days=30), users=3, client=expired.client
    )
    make_subscription(alpha, tbox, start=today + datetime.timedelta(days=12), name="Bâtiment Futur")
    expiring = make_subscription(
        alpha, tbox, end=today + datetime.timedelta(days=20), users=4, name="Cabinet Martin"
    )
    return expired.client, expiring


def test_the_client_list_switches_to_one_row_per_company(
    login, live_server, garcia, screenshot, axe
):
    client, _expiring = garcia
    page = login("partner")
    page.goto(f"{live_server.url}/clients/")
    expect(page.locator("tr[data-subscription-id]")).to_have_count(4)
    page.get_by_test_id("by-company").click()
    expect(page.get_by_test_id("by-company")).to_have_attribute("aria-current", "page")
    rows = page.locator("tr[data-client-id]")
    expect(rows).to_have_count(3)
    row = page.locator(f"tr[data-client-id='{client.pk}']")
    expect(row).to_have_attribute("data-status", "expired")
    expect(row.locator("[data-product]")).to_have_count(2)
    # Each product in its own colour: the expired TBox red, the active TSend not.
    tbox = row.locator("[data-product=TBOX]")
    tsend = row.locator("[data-product=TSEND]")
    assert tbox.evaluate("e => getComputedStyle(e).backgroundColor") != tsend.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    # Not started is blue: more blue than green or red in its row's background.
    future = page.locator("tr[data-status=not_started] td").first
    red, green, blue = [
        int(part)
        for part in future.evaluate("e => getComputedStyle(e).backgroundColor")
        .split("(")[1]
        .split(")")[0]
        .split(",")[:3]
    ]
    assert blue > green > red
    screenshot("client-list-by-company")
    axe("client list by company")
    # Filtering stays in company mode.
    page.select_option("select[name=status]", "expiring")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("tr[data-client-id]")).to_have_count(1)
    expect(page.get_by_test_id("by-company")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("by-subscription").click()
    expect(page.locator("tr[data-subscription-id]")).to_have_count(1)


def test_the_renewal_form_follows_the_years_with_the_new_end_date(
    login, live_server, garcia, screenshot, axe
):
    _client, expiring = garcia
    page = login("partner")
    page.goto(f"{live_server.url}/subscriptions/{expiring.pk}/renew/")
    new_start = expiring.term_end + datetime.timedelta(days=1)
    end = page.get_by_test_id("new-end")
    expect(end).to_have_attribute("datetime", term_end(new_start, 1).isoformat())
    expect(page.get_by_test_id("balance-after")).to_have_text("96")
    page.fill("input[name=years]", "3")
    expect(end).to_have_attribute("datetime", term_end(new_start, 3).isoformat())
    expect(end).to_have_text(term_end(new_start, 3).strftime("%d/%m/%Y"))
    expect(page.get_by_test_id("balance-after")).to_have_text("88")
    screenshot("renewal-form-new-term")
    axe("renewal form")


def test_the_new_client_form_shows_the_paying_pool_live(
    login, live_server, garcia, alpha_reseller, screenshot, axe
):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/new/")
    before = page.get_by_test_id("pool-balance")
    after = page.get_by_test_id("balance-after")
    expect(before).to_have_text("100")
    expect(after).to_have_text("99")
    page.fill("input[name=users]", "7")
    expect(after).to_have_text("93")
    page.fill("input[name=years]", "2")
    expect(after).to_have_text("86")
    page.select_option("select[name=reseller]", str(alpha_reseller.pk))
    expect(before).to_have_text("40")
    expect(after).to_have_text("26")
    page.select_option("select[name=product]", "TSEND")
    page.select_option("select[name=reseller]", "")
    expect(before).to_have_text("30")
    expect(after).to_have_text("16")
    page.fill("input[name=users]", "20")
    expect(after).to_have_text("-10")
    screenshot("new-client-pool")
    axe("new client form")
    assert not Client.objects.filter(name="").exists()
