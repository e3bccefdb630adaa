"""Two-factor login in a real browser, in French: enrolment on /account/security/ with a
code computed from the secret the page shows, then a login through the second step."""

import pytest
from playwright.sync_api import expect

from tests.helpers.two_factor import code_at, step_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_then_log_in_with_the_second_step(
    page, live_server, login, partner_user, screenshot, axe
):
    login("partner")
    page.goto(f"{live_server.url}/account/security/")
    expect(page.locator("h1")).to_have_text("Connexion en deux étapes")
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    screenshot("two-factor-enrolment")
    axe("two-factor enrolment")

    # A wrong code first: refused at the field, in French.
    page.fill("input[name=code]", code_at(secret, step_now() - 10))
    page.get_by_role("button", name="Activer la connexion en deux étapes").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Ce code n’est pas le bon\u00a0:")

    page.fill("input[name=code]", code_at(secret, step_now()))
    page.get_by_role("button", name="Activer la connexion en deux étapes").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    expect(page.get_by_test_id("mfa-status")).to_have_attribute("data-status", "on")
    screenshot("two-factor-recovery-codes")
    axe("recovery codes")

    # Log out, then in again: the password, then the app's next code.
    page.locator(".dropdown-toggle").filter(has_text="partner").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.goto(f"{live_server.url}/accounts/login/?next=/licenses/")
    page.fill("input[name=username]", "partner")
    page.fill("input[name=password]", "partner")
    page.locator("form [type=submit]").first.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/code/")
    expect(page.locator("h1")).to_have_text("Code de connexion")
    screenshot("two-factor-login-code")
    axe("login code")
    # Nothing is reachable before the code.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.go_back()

    page.fill("input[name=code]", code_at(secret, step_now() + 1))
    page.locator("form[data-testid=login-code-form] [type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/licenses/")
