"""Single sign-on in a real browser, in French, against the tests' real OpenID Connect
provider (django-oidc-provider on loopback, tests/sso_provider): the button on the login
page, the provider's login, and back on the portal's dashboard without a second step."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(sso, live_server):
    sso.allow(f"{live_server.url}/accounts/sso/callback/")
    return sso


def _at_provider(page, provider, username):
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", username)
    page.locator("form[data-testid=provider-login] [type=submit]").click()


def test_the_sso_button_signs_in_at_the_provider_and_lands_on_the_dashboard(
    page, live_server, provider, partner_user, screenshot, axe
):
    partner_user.email = "ada.sso@alpha.example"
    partner_user.save(update_fields=["email"])
    # Enrolled in two-factor login: the provider is trusted for the second factor.
    TOTPDevice.objects.create(user=partner_user, name="authenticator", confirmed=True)

    page.goto(f"{live_server.url}/accounts/login/")
    button = page.get_by_test_id("sso-login")
    expect(button).to_have_text("Se connecter avec l’authentification unique")
    screenshot("sso-login")
    axe("login with single sign-on")
    button.click()

    _at_provider(page, provider, "ada")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".dropdown-toggle").filter(has_text="partner")).to_be_visible()
    screenshot("sso-dashboard")


def test_an_unknown_identity_comes_back_to_the_login_page_with_a_message(
    page, live_server, provider, partner_user, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_test_id("sso-login").click()
    _at_provider(page, provider, "stranger")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text(
        "Aucun compte du portail n’a l’adresse e-mail nobody@elsewhere.example."
    )
    screenshot("sso-refused")
