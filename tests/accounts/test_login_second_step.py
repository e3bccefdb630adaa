"""The login's second step (docs/interface.md "Two-factor login"): `/accounts/login/` keeps
its fields; a user with two-factor login then gives a code at `/accounts/login/code/`;
each code works once; django-axes' lock holds across both steps."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import login_views
from tests.helpers.html import by_testid, field_has_error, text_of
from tests.helpers.two_factor import (
    code_at,
    code_step,
    enrol,
    password_step,
    step_now,
)

pytestmark = pytest.mark.usefixtures("plain_http")

CODE_URL = "/accounts/login/code/"


@pytest.fixture
def enrolled(partner_user):
    """partner_user with two-factor login on (enrolled through the page): its secret and
    recovery codes."""
    client = Client()
    client.force_login(partner_user)
    secret, codes = enrol(client)
    return secret, codes


def logged_in(client):
    return "_auth_user_id" in client.session


def test_the_second_step_has_the_url_the_interface_names():
    assert reverse("login_code") == CODE_URL


def test_a_user_without_two_factor_logs_in_with_the_password_alone(partner_user):
    client = Client()
    answer = password_step(client, "partner")
    assert answer.status_code == 302 and answer["Location"] == reverse("dashboard")
    assert logged_in(client)


def test_the_right_password_leads_to_the_second_step_not_into_the_portal(enrolled):
    client = Client()
    answer = password_step(client, "partner")
    assert answer.status_code == 302 and answer["Location"] == CODE_URL
    assert not logged_in(client)
    page = client.get(CODE_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    # Nothing is reachable between the steps.
    for url in ("/", "/clients/", "/account/security/", "/account/api-tokens/"):
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert blocked["Location"].startswith(reverse("login")), url


def test_a_wrong_password_never_reaches_the_second_step(enrolled):
    client = Client()
    answer = password_step(client, "partner", "wrong")
    assert answer.status_code == 200
    assert client.get(CODE_URL)["Location"] == reverse("login")


def test_a_totp_code_logs_in_and_goes_to_next(enrolled):
    secret, _codes = enrolled
    client = Client()
    password_step(client, "partner", next_url="/licenses/")
    answer = code_step(client, code_at(secret, step_now() + 1))
    assert answer.status_code == 302 and answer["Location"] == "/licenses/"
    assert logged_in(client)
    assert client.get("/licenses/").status_code == 200


def test_the_same_totp_code_is_refused_the_second_time(enrolled):
    secret, _codes = enrolled
    code = code_at(secret, step_now() + 1)
    first = Client()
    password_step(first, "partner")
    assert code_step(first, code).status_code == 302

    second = Client()
    password_step(second, "partner")
    answer = code_step(second, code)
    assert answer.status_code == 200
    assert field_has_error(answer, "code")
    assert "This code is not right" in text_of(answer)
    assert not logged_in(second)


def test_the_enrolment_code_cannot_log_in(partner_user):
    """The code typed to confirm the app was used then: its time step is spent."""
    enrolling = Client()
    enrolling.force_login(partner_user)
    secret = by_testid(enrolling.get(reverse("account_security")), "totp-secret")[0].text
    code = code_at(secret, step_now())
    enrolled = enrolling.post(reverse("account_security"), {"action": "enrol", "code": code})
    assert by_testid(enrolled, "recovery-codes")
    client = Client()
    password_step(client, "partner")
    assert code_step(client, code).status_code == 200
    assert not logged_in(client)


def test_a_recovery_code_logs_in_once(enrolled):
    _secret, codes = enrolled
    client = Client()
    password_step(client, "partner")
    # As people copy it: upper case, with spaces around.
    answer = code_step(client, f"  {codes[3].upper()} ")
    assert answer.status_code == 302 and logged_in(client)
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "9 recovery codes are left" in text_of(page)

    again = Client()
    password_step(again, "partner")
    refused = code_step(again, codes[3])
    assert refused.status_code == 200 and field_has_error(refused, "code")
    assert not logged_in(again)
    # The others still work.
    assert code_step(again, codes[4]).status_code == 302


def test_a_wrong_code_is_refused_at_the_field_in_french(enrolled):
    client = Client()
    password_step(client, "partner", language="fr")
    answer = code_step(client, "000000", language="fr")
    assert answer.status_code == 200 and field_has_error(answer, "code")
    # Raw text: the page’s text with its white space made plain would lose the U+00A0.
    assert "Ce code n’est pas le bon\u00a0:" in answer.content.decode()
    assert not logged_in(client)


def test_the_second_step_waits_a_limited_time(enrolled, settings):
    secret, _codes = enrolled
    client = Client()
    password_step(client, "partner")
    session = client.session
    session[login_views.PENDING]["at"] -= settings.LOGIN_CODE_MAX_AGE + 1
    session.save()
    answer = code_step(client, code_at(secret, step_now() + 1))
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    assert not logged_in(client)


def test_wrong_codes_count_with_wrong_passwords_toward_the_lock(enrolled):
    secret, _codes = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(Client(), "partner", "wrong")
    client = Client()
    assert password_step(client, "partner")["Location"] == CODE_URL
    locked = code_step(client, "000000")
    assert locked.status_code == 429
    assert "Too many failed login attempts" in text_of(locked)
    assert not logged_in(client)
    # Locked at both steps now, whatever the code or the password.
    other = Client()
    assert password_step(other, "partner").status_code == 429
    assert code_step(client, code_at(secret, step_now() + 1)).status_code == 429
    assert not logged_in(client)


def test_wrong_codes_alone_lock_the_account(enrolled):
    secret, _codes = enrolled
    client = Client()
    password_step(client, "partner")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        answer = code_step(client, "000000")
        expected = 429 if attempt == settings.AXES_FAILURE_LIMIT - 1 else 200
        assert answer.status_code == expected, attempt
    again = Client()
    assert password_step(again, "partner").status_code == 429
    assert not logged_in(client) and not logged_in(again)


def test_a_successful_second_step_clears_the_failures(enrolled):
    secret, _codes = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(Client(), "partner", "wrong")
    client = Client()
    password_step(client, "partner")
    assert code_step(client, code_at(secret, step_now() + 1)).status_code == 302
    # The count started again: as many failures as before still leave the account open.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(Client(), "partner", "wrong")
    assert password_step(Client(), "partner")["Location"] == CODE_URL
