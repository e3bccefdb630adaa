"""/account/security/ (docs/interface.md "Two-factor login"): enrolment with a code from a
real TOTP computation, recovery codes shown once, new codes, turning it off."""

import base64

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import Organization
from tests.helpers.html import by_testid, field_has_error, text_of
from tests.helpers.two_factor import (
    code_at,
    device_of,
    enrol,
    recovery_codes,
    secret_of,
    step_now,
)

URL = "/account/security/"

pytestmark = pytest.mark.usefixtures("plain_http")


def test_it_is_the_url_the_interface_names():
    assert reverse("account_security") == URL


def test_the_account_menu_links_to_it(browse, partner_user):
    page = browse(partner_user).get("/")
    link = by_testid(page, "account-security-link")
    assert link and link[0].attrs["href"] == URL


def test_enrolment_shows_a_base32_secret_and_a_qr_code_of_the_otpauth_uri(
    browse, partner_user
):
    page = browse(partner_user).get(URL)
    secret = by_testid(page, "totp-secret")[0].text
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    qr = by_testid(page, "totp-qr")[0]
    assert qr.attrs["src"].startswith("data:image/svg+xml;base64,") and qr.attrs["alt"]
    assert by_testid(page, "mfa-status")[0].attrs["data-status"] == "off"


def test_a_reload_shows_the_same_secret_the_app_already_scanned(client, partner_user):
    client.force_login(partner_user)
    first = by_testid(client.get(URL), "totp-secret")[0].text
    assert by_testid(client.get(URL), "totp-secret")[0].text == first


def test_the_qr_code_holds_the_issuer_and_the_username(client, partner_user):
    client.force_login(partner_user)
    page = client.get(URL)
    svg = base64.b64decode(by_testid(page, "totp-qr")[0].attrs["src"].split(",", 1)[1])
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<script" not in svg
    secret = client.session["portal_totp_secret"]
    uri = mfa.provisioning(partner_user, secret)["uri"]
    assert uri.startswith("otpauth://totp/Partner%20Portal%3Apartner?")
    assert "issuer=Partner%20Portal" in uri
    assert f"secret={by_testid(page, 'totp-secret')[0].text}" in uri


def test_a_right_code_turns_it_on_and_shows_the_recovery_codes_once(client, partner_user):
    client.force_login(partner_user)
    _secret, codes = enrol(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 8 for code in codes)
    assert device_of(partner_user).confirmed
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert by_testid(page, "mfa-status")[0].attrs["data-status"] == "on"
    assert recovery_codes(page) == []
    assert by_testid(page, "totp-secret") == []
    assert not any(code in page.content.decode() for code in codes)


def test_a_wrong_code_is_refused_at_the_field_in_french_and_nothing_is_kept(
    client, partner_user
):
    client.force_login(partner_user)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
    secret = by_testid(page, "totp-secret")[0].text
    wrong = code_at(secret, step_now() - 5)
    answer = client.post(URL, {"action": "enrol", "code": wrong}, HTTP_ACCEPT_LANGUAGE="fr")

    assert answer.status_code == 200
    assert field_has_error(answer, "code")
    # Raw text: the page’s text with its white space made plain would lose the U+00A0.
    assert "Ce code n’est pas le bon\u00a0:" in answer.content.decode()
    assert not TOTPDevice.objects.filter(user=partner_user).exists()
    # The page still shows the same secret: the app need not scan it again.
    assert by_testid(answer, "totp-secret")[0].text == secret


@pytest.mark.parametrize("code", ["", "abc", "1" * 500, "12345\x00", "<script>"])
def test_hostile_codes_are_refused_without_a_500(client, partner_user, code):
    client.force_login(partner_user)
    client.get(URL)
    answer = client.post(URL, {"action": "enrol", "code": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    assert field_has_error(answer, "code")
    assert not TOTPDevice.objects.filter(user=partner_user).exists()


def test_read_only_members_can_enrol_too(client, viewer_user):
    client.force_login(viewer_user)
    _secret, codes = enrol(client)
    assert len(codes) == 10
    assert device_of(viewer_user).confirmed


def test_new_recovery_codes_replace_the_old_ones(client, partner_user):
    client.force_login(partner_user)
    _secret, old = enrol(client)
    answer = client.post(URL, {"action": "recovery_codes"}, HTTP_ACCEPT_LANGUAGE="en")
    new = recovery_codes(answer)
    assert len(new) == 10 and not set(new) & set(old)
    assert mfa.verify(partner_user, old[0]) is None
    assert mfa.verify(partner_user, new[0]) is not None


def test_turning_it_off_asks_for_a_current_code(client, partner_user):
    client.force_login(partner_user)
    secret, _codes = enrol(client)
    refused = client.post(URL, {"action": "turn_off", "code": "000000"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert field_has_error(refused, "code")
    assert TOTPDevice.objects.filter(user=partner_user).exists()

    answer = client.post(
        URL, {"action": "turn_off", "code": code_at(secret, step_now() + 1)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=partner_user).exists()
    page = client.get(URL)
    assert by_testid(page, "mfa-status")[0].attrs["data-status"] == "off"


def test_turning_it_off_is_refused_when_the_organization_requires_it(
    client, partner_user, alpha
):
    client.force_login(partner_user)
    secret, _codes = enrol(client)
    Organization.objects.filter(pk=alpha.pk).update(require_mfa=True)
    answer = client.post(
        URL, {"action": "turn_off", "code": code_at(secret, step_now() + 1)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200
    assert "cannot be turned off" in text_of(answer)
    assert device_of(partner_user) is not None


def test_the_secret_is_the_devices_own(client, partner_user):
    client.force_login(partner_user)
    secret, _codes = enrol(client)
    assert secret_of(device_of(partner_user)) == secret
