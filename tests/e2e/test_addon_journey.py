"""A partner adds users to a client's subscription in a real browser, in French: the cost
follows the users typed, OK adds them, the record shows the change, and the undo takes it
back (docs/rules.md rules 18, 19 and 21)."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions.dates import span_cost
from subscriptions.models import LicensePool, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def renewed_client(alpha, tbox, grant, partner_user, make_subscription, today):
    """Active until in 100 days with 4 users, and renewed for 2 years after it."""
    from subscriptions import services

    grant(alpha, tbox, 3000)
    sub = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=265),
        end=today + datetime.timedelta(days=99), users=4, name="Atelier Dupré",
    )
    services.renew_subscription(actor=partner_user, subscription_id=sub.pk, years=2)
    return sub


def test_a_partner_adds_users_and_sees_the_cost_live_in_french(
    login, live_server, renewed_client, today, screenshot, axe
):
    sub = renewed_client
    page = login("partner")
    page.goto(f"{live_server.url}/clients/{sub.client_id}/")
    page.get_by_test_id("add-users").click()
    expect(page.locator("h1")).to_contain_text("Ajouter des utilisateurs")

    current = span_cost(1, today, sub.term_end)
    expect(page.get_by_test_id("addon-cost")).to_have_text(str(current + 2))
    expect(page.get_by_test_id("pool-balance")).to_have_text("2\u202f992")

    page.fill("input[name=users]", "150")
    # Computed by the page as the user types: 100 days for 150 users, then 150 × 2 years.
    cost = span_cost(150, today, sub.term_end) + 300
    expect(page.get_by_test_id("addon-cost")).to_have_text(f"{cost:,}".replace(",", "\u202f"))
    parts = page.get_by_test_id("addon-part-cost")
    expect(parts.nth(0)).to_have_text(str(span_cost(150, today, sub.term_end)))
    expect(parts.nth(1)).to_have_text("300")
    after = 2992 - cost
    expect(page.get_by_test_id("balance-after")).to_have_text(
        f"{after:,}".replace(",", "\u202f")
    )
    screenshot("add-users-form")
    axe("add-users form")

    page.get_by_role("button", name="OK").click()
    message = page.locator("[role=status]").first
    expect(message).to_contain_text("Utilisateurs ajoutés")
    expect(message).to_contain_text("Atelier Dupré")
    changes = page.get_by_test_id("term-change")
    expect(changes).to_have_count(2)
    row = page.locator(f"tr[data-subscription-id='{sub.pk}']")
    expect(row).to_have_attribute("data-users", "154")
    assert LicensePool.objects.get(organization__name="Alpha Distribution").balance == after
    screenshot("client-record-after-add-on")

    undo = page.get_by_test_id("cancel-renewal")
    expect(undo).to_have_text("Annuler l’ajout d’utilisateurs")
    undo.click()
    page.get_by_test_id("confirm-cancel-renewal").click()
    expect(page.locator("[role=status]").first).to_contain_text("licences remboursées")
    expect(page.locator(f"tr[data-subscription-id='{sub.pk}']")).to_have_attribute(
        "data-users", "4"
    )
    assert Subscription.objects.get(pk=sub.pk).users == 4
    assert LicensePool.objects.get(organization__name="Alpha Distribution").balance == 2992
