"""A partner plans a renewal and switches auto-renew on in a real browser, in French: the
cost follows the figures typed, OK saves, the record and the lists show it (rules 22, 23)."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ending(alpha, tbox, grant, partner_user, make_subscription, today):
    grant(alpha, tbox, 100)
    end = today + datetime.timedelta(days=20)
    return make_subscription(alpha, tbox, start=end - datetime.timedelta(days=364), end=end,
                             users=5, name="Boulangerie Martin")


def test_a_partner_plans_the_renewal_and_switches_auto_renew_on(
    login, live_server, ending, screenshot, axe
):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/{ending.client_id}/")
    page.get_by_test_id("renewal-plan").click()
    # Nothing planned: the current 5 users for one year.
    expect(page.get_by_test_id("plan-cost")).to_have_text("5")
    expect(page.get_by_test_id("balance-after")).to_have_text("95")

    page.fill("input[name=users]", "40")
    page.fill("input[name=years]", "3")
    # The browser follows the figures before anything is sent (French grouping).
    expect(page.get_by_test_id("plan-cost")).to_have_text("120")
    expect(page.get_by_test_id("balance-after")).to_have_text("-20")
    page.fill("input[name=users]", "8")
    page.fill("input[name=years]", "2")
    expect(page.get_by_test_id("plan-cost")).to_have_text("16")
    expect(page.get_by_test_id("balance-after")).to_have_text("84")
    page.check("input[name=auto_renew]")
    screenshot("renewal-plan")
    axe("renewal plan")
    page.get_by_test_id("save-plan").click()

    message = page.locator("[role=status]").first
    expect(message).to_contain_text("sera renouvelé automatiquement pour 8 utilisateurs et 2 ans")
    row = page.locator(f"tr[data-subscription-id='{ending.pk}']")
    expect(row).to_have_attribute("data-auto-renew", "1")
    expect(row.get_by_test_id("auto-renew-badge")).to_contain_text("Renouvellement auto.")
    expect(row.get_by_test_id("auto-renew-note")).to_have_attribute("data-licenses", "16")
    ending.refresh_from_db()
    assert (ending.auto_renew, ending.renewal_users, ending.renewal_years) == (True, 8, 2)

    page.goto(f"{live_server.url}/renewals/")
    expect(page.locator(f"tr[data-subscription-id='{ending.pk}']")).to_have_attribute(
        "data-auto-renew", "1")
    screenshot("renewals-auto-renew")


def test_a_plan_of_six_years_is_refused_at_the_field_in_french(login, live_server, ending):
    page = login("partner")
    page.goto(f"{live_server.url}/subscriptions/{ending.pk}/renewal-plan/")
    page.fill("input[name=users]", "8")
    page.fill("input[name=years]", "6")
    page.get_by_test_id("save-plan").click()
    expect(page.locator("#id_years_error")).to_contain_text("inférieure ou égale à 5")
    assert Subscription.objects.get(pk=ending.pk).renewal_years is None
