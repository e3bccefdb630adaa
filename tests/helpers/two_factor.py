"""Codes of a real authenticator app, computed as the app does (RFC 6238 over RFC 4226,
django_otp.oath), and the two steps of a login as a browser sends them."""

import base64
import time

from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers.html import by_testid, elements


def step_now(step=30):
    return int(time.time() // step)


def code_at(secret_base32, t):
    """The 6-digit code an app holding `secret_base32` shows during time step `t`."""
    return f"{hotp(base64.b32decode(secret_base32), t, 6):06d}"


def secret_of(device):
    return base64.b32encode(device.bin_key).decode("ascii")


def device_of(user):
    return TOTPDevice.objects.get(user=user, confirmed=True)


def enrol(client, language="en"):
    """Enrols the client's user through /account/security/, as a person does: reads the
    secret on the page, types the app's current code. Returns (secret, recovery codes)."""
    page = client.get(reverse("account_security"), HTTP_ACCEPT_LANGUAGE=language)
    secret = by_testid(page, "totp-secret")[0].text
    answer = client.post(
        reverse("account_security"),
        {"action": "enrol", "code": code_at(secret, step_now())},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 200
    codes = recovery_codes(answer)
    assert codes, "no recovery codes after a right code"
    return secret, codes


def recovery_codes(page):
    """The codes inside data-testid="recovery-codes", one per element; [] without it."""
    if not by_testid(page, "recovery-codes"):
        return []
    inside = elements(
        page,
        lambda tag, attrs: tag == "li",
        within=lambda tag, attrs: attrs.get("data-testid") == "recovery-codes",
    )
    return [element.text for element in inside]


def password_step(client, username, password=None, next_url=None, language="en"):
    data = {"username": username, "password": password or username}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, HTTP_ACCEPT_LANGUAGE=language)


def code_step(client, code, language="en"):
    return client.post(reverse("login_code"), {"code": code}, HTTP_ACCEPT_LANGUAGE=language)
