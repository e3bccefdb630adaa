"""A partner renews a client in a real browser, from the dashboard counter to the list."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from subscriptions.dates import term_end
from subscriptions.models import LicenseMovement, LicensePool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def renewals_to_do(alpha, tbox, grant, partner_user, make_subscription, today):
    grant(alpha, tbox, 100)
    soon = today + datetime.timedelta(days=20)
    subscriptions = [
        make_subscription(
            alpha, tbox, end=soon + datetime.timedelta(days=i), users=4, name=f"Société {i}"
        )
        for i in range(3)
    ]
    make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=30), users=2, name="Active SA"
    )
    return subscriptions


def test_a_partner_renews_a_client_from_the_dashboard(
    login, live_server, renewals_to_do, screenshot, axe
):
    page = login("partner")
    counter = page.get_by_test_id("companies-to-renew")
    expect(counter).to_have_text("3")
    screenshot("dashboard")
    axe("dashboard")

    page.get_by_test_id("companies-to-renew-link").click()
    expect(page).to_have_url(re.compile(r"/renewals/"))
    rows = page.locator("tr[data-subscription-id]")
    expect(rows).to_have_count(3)
    screenshot("renewals")
    axe("renewals")

    target = renewals_to_do[0]
    page.locator(f"tr[data-subscription-id='{target.pk}'] a[data-testid=renew]").click()
    expect(page.get_by_test_id("pool-balance")).to_have_text("100")
    expect(page.get_by_test_id("balance-after")).to_have_text("96")

    page.fill("input[name=years]", "2")
    page.fill("input[name=users]", "3")
    # Updated by the browser as the user types, before anything is sent.
    expect(page.get_by_test_id("balance-after")).to_have_text("94")
    screenshot("renewal-form")
    axe("renewal form")
    page.get_by_role("button", name="OK").click()

    message = page.locator("[role=status]").first
    expect(message).to_contain_text("Société 0")
    expect(message).to_contain_text("TBox")
    # The new term's end, as the user's language writes dates, and the licenses debited.
    new_end = term_end(target.term_end + datetime.timedelta(days=1), 2)
    expect(message).to_contain_text(new_end.strftime("%d/%m/%Y"))
    expect(message).to_contain_text("6")
    expect(page.locator(f"tr[data-subscription-id='{target.pk}']")).to_have_count(0)
    assert LicensePool.objects.get(organization__name="Alpha Distribution").balance == 94
    assert LicenseMovement.objects.filter(subscription=target).count() == 1

    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("companies-to-renew")).to_have_text("2")

    page.goto(f"{live_server.url}/clients/")
    renewed = page.locator(f"tr[data-subscription-id='{target.pk}']")
    expect(renewed).to_have_attribute("data-status", "renewed")
    expect(renewed).to_have_attribute("data-end", target.term_end.isoformat())
    # The green check, and the current end date still displayed.
    check = renewed.locator("[role=img]")
    expect(check).to_have_text("✓")
    expect(check).to_be_visible()
    assert "0, 128" in check.evaluate("e => getComputedStyle(e).color") or _is_green(
        check.evaluate("e => getComputedStyle(e).color")
    )
    expect(renewed).to_contain_text(target.term_end.strftime("%d/%m/%Y"))
    screenshot("client-list")
    axe("client list")


def _is_green(css_color):
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_color)[:3])
    return green > red and green > blue


def test_a_renewal_the_pool_cannot_pay_says_how_many_are_missing(
    english, login, live_server, alpha, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha, tbox, 5)
    subscription = make_subscription(
        alpha,
        tbox,
        start=today - datetime.timedelta(days=355),
        end=today + datetime.timedelta(days=10),
        users=4,
        name="Chère SARL",
    )
    page = login("partner")
    page.goto(f"{live_server.url}/renewals/")
    page.locator(f"tr[data-subscription-id='{subscription.pk}'] a[data-testid=renew]").click()
    page.fill("input[name=years]", "2")
    expect(page.get_by_test_id("balance-after")).to_have_text("-3")
    page.get_by_role("button", name="OK").click()

    error = page.locator(".invalid-feedback, .errorlist, [role=alert]").first
    expect(error).to_contain_text("3 licenses are missing")
    # Refused: the form again, with the same balance, and nothing written.
    expect(page.get_by_test_id("pool-balance")).to_have_text("5")
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 5
    assert not LicenseMovement.objects.filter(subscription=subscription).exists()
    page.goto(f"{live_server.url}/renewals/")
    expect(page.locator(f"tr[data-subscription-id='{subscription.pk}']")).to_have_attribute(
        "data-status", "expiring"
    )
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("companies-to-renew")).to_have_text("1")
