"""Rule 24: logins and failed logins are recorded with the address and the browser they
came from; a failed login of a member shows in the member's organization's log."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from audit.models import Action, AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]
ADDRESS = "203.0.113.9"
BROWSER = "Mozilla/5.0 (audit test)"


def log_in(username, password):
    client = HttpClient(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=BROWSER)
    answer = client.post(reverse("login"), {"username": username, "password": password})
    return client, answer


def test_a_login_is_recorded_with_its_address_and_browser(alpha, partner_user):
    _client, answer = log_in("partner", "partner")
    assert answer.status_code == 302

    [row] = AuditEntry.objects.filter(action=Action.LOGIN)
    assert (row.actor, row.organization_id) == (partner_user, alpha.pk)
    assert (row.ip_address, row.user_agent, row.source) == (ADDRESS, BROWSER, "web")


def test_a_failed_login_is_recorded_and_its_organizations_managers_read_it(
    alpha, partner_user, viewer_user, browse
):
    _client, answer = log_in("viewer", "wrong password")
    assert answer.status_code == 200

    [row] = AuditEntry.objects.filter(action=Action.LOGIN_FAILED)
    assert (row.actor, row.actor_name, row.organization_id) == (None, "viewer", alpha.pk)
    assert (row.ip_address, row.user_agent) == (ADDRESS, BROWSER)
    assert "wrong password" not in str(row.after)
    page = browse(partner_user).get("/account/audit/?action=login_failed")
    assert ADDRESS in page.content.decode()


def test_a_failed_login_of_an_unknown_name_is_staffs_alone(partner_user, browse, staff):
    log_in("nobody", "nothing")

    [row] = AuditEntry.objects.filter(action=Action.LOGIN_FAILED)
    assert row.organization_id is None
    assert "nobody" not in browse(partner_user).get("/account/audit/").content.decode()
    assert "nobody" in browse(staff).get("/account/audit/").content.decode()
