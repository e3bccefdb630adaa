"""An organization's `require_mfa` (docs/interface.md "Two-factor login"), and staff's
reset of a member's second factor in the admin."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization
from api.models import ApiToken
from tests.helpers.html import by_testid, text_of
from tests.helpers.two_factor import code_at, code_step, enrol, password_step, step_now

pytestmark = pytest.mark.usefixtures("plain_http")

SECURITY = "/account/security/"


@pytest.fixture
def required(alpha):
    Organization.objects.filter(pk=alpha.pk).update(require_mfa=True)
    alpha.refresh_from_db()
    return alpha


def test_a_manager_turns_it_on_with_the_checkbox(client, partner_user, alpha):
    client.force_login(partner_user)
    page = client.get("/account/organization/")
    assert 'name="require_mfa"' in page.content.decode()
    answer = client.post(
        "/account/organization/",
        {"renewal_window_months": "", "reminder_days": "", "require_mfa": "on"},
    )
    assert answer.status_code == 302
    alpha.refresh_from_db()
    assert alpha.require_mfa


def test_read_only_members_cannot_change_it(client, viewer_user, alpha):
    client.force_login(viewer_user)
    answer = client.post("/account/organization/", {"require_mfa": "on"})
    assert answer.status_code == 403
    alpha.refresh_from_db()
    assert not alpha.require_mfa


def test_a_member_without_two_factor_is_sent_to_the_security_page(required, viewer_user):
    client = Client()
    answer = password_step(client, "viewer")
    assert answer.status_code == 302
    for url in ("/", "/clients/", "/licenses/", "/account/api-tokens/",
                "/account/reminders/", "/account/organization/"):
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert blocked["Location"] == SECURITY, url
    assert client.post("/account/api-tokens/", {"name": "x"})["Location"] == SECURITY
    assert not ApiToken.objects.filter(user=viewer_user).exists()
    page = client.get(SECURITY, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert by_testid(page, "mfa-required")
    # What the page needs is served (or missing), never sent elsewhere.
    assert client.get("/static/portal/css/portal.css").status_code != 302
    # Logging out still works.
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_once_enrolled_the_member_reaches_the_portal(required, viewer_user):
    client = Client()
    password_step(client, "viewer")
    enrol(client)
    assert client.get("/").status_code == 200
    assert client.get("/clients/").status_code == 200


def test_the_next_login_asks_for_the_code(required, viewer_user):
    first = Client()
    password_step(first, "viewer")
    secret, _codes = enrol(first)
    client = Client()
    assert password_step(client, "viewer")["Location"] == "/accounts/login/code/"
    code_step(client, code_at(secret, step_now() + 1))
    assert client.get("/").status_code == 200


def test_a_session_that_never_passed_the_second_step_logs_in_again(required, viewer_user):
    TOTPDevice.objects.create(user=viewer_user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(viewer_user)
    answer = client.get("/clients/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_other_organizations_are_not_concerned(required, other_partner_user, reseller_user):
    for username in ("partner2", "reseller"):
        client = Client()
        password_step(client, username)
        assert client.get("/").status_code == 200, username


def test_api_tokens_are_not_affected(required, viewer_user):
    _token, key = ApiToken.issue(viewer_user, "script")
    answer = Client().get(
        "/api/v1/subscriptions/", HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 200


# --- the admin -------------------------------------------------------------------------


def test_staff_see_who_has_two_factor_and_reset_it(partner_user, admin_user):
    enrolling = Client()
    enrolling.force_login(partner_user)
    enrol(enrolling)
    admin = Client(headers={"accept-language": "en"})
    admin.force_login(admin_user)
    listing = admin.get("/admin/auth/user/")
    assert listing.status_code == 200
    assert "two-factor login" in text_of(listing).lower()

    answer = admin.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [partner_user.pk]},
    )
    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=partner_user).exists()
    # The password alone logs in again.
    client = Client()
    answer = password_step(client, "partner")
    assert answer["Location"] == reverse("dashboard")
    assert client.get("/").status_code == 200


def test_the_admins_own_login_form_does_not_skip_the_second_step(staff):
    enrolling = Client()
    enrolling.force_login(staff)
    enrol(enrolling)
    client = Client()
    answer = client.post(
        "/admin/login/?next=/admin/", {"username": "staff", "password": "staff"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200
    assert "two-factor login" in text_of(answer)
    assert "_auth_user_id" not in client.session
