"""Rule 24 through the API (its token's user, the caller's address, source `api`) and in
the admin (staff read every row, and nobody changes one)."""

import datetime
import uuid

import pytest
from rest_framework.test import APIClient

from api import services as api_services
from audit.models import Action, AuditEntry
from audit.services import record
from subscriptions.dates import local_today
from tests.helpers.html import elements

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def test_an_api_renewal_records_the_tokens_user_and_the_callers_address(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    end = local_today() + datetime.timedelta(days=15)
    subscription = make_subscription(alpha, tbox, start=end - datetime.timedelta(days=364),
                                     end=end, users=4)
    _token, key = api_services.token_create(user=partner_user, name="CRM")
    client = APIClient(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="crm-sync/1.0")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    answer = client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/", {"years": 1},
                         format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    assert answer.status_code == 201, answer.content
    [row] = AuditEntry.objects.filter(action=Action.RENEWAL)
    assert (row.actor, row.source) == (partner_user, "api")
    assert (row.ip_address, row.user_agent) == ("198.51.100.7", "crm-sync/1.0")
    assert (row.before["balance"], row.after["balance"]) == (100, 96)


def test_staff_read_the_log_in_the_admin_and_cannot_change_it(browse, staff, alpha):
    row = record(Action.SETTINGS_CHANGED, organization=alpha, label="admin-row")
    client = browse(staff)

    assert "admin-row" in client.get("/admin/audit/auditentry/").content.decode()
    assert client.get(f"/admin/audit/auditentry/{row.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{row.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=row.pk).exists()


def _form_data(page):
    """What a browser would send for the admin's change form as it stands."""
    data = {}
    for field in elements(page, lambda tag, attrs: tag in ("input", "textarea", "select")
                          and attrs.get("name")):
        name, kind = field.attrs["name"], field.attrs.get("type", "")
        if kind in ("submit", "button") or name == "_save":
            continue
        if kind == "checkbox":
            if "checked" in field.attrs:
                data[name] = field.attrs.get("value", "on")
        elif field.tag == "select":
            chosen = elements(
                page, lambda tag, attrs: tag == "option" and "selected" in attrs,
                within=lambda tag, attrs, name=name: tag == "select" and attrs.get("name") == name,
            )
            data[name] = chosen[0].attrs.get("value", "") if chosen else ""
        elif field.tag == "textarea":
            data[name] = field.text
        else:
            data[name] = field.attrs.get("value", "")
    return data


def test_staff_changing_a_partner_in_the_admin_is_recorded(admin_user, alpha):
    from django.test import Client as HttpClient
    from django.urls import reverse

    client = HttpClient(REMOTE_ADDR="192.0.2.44")
    client.force_login(admin_user)
    url = reverse("admin:accounts_partner_change", args=[alpha.pk])
    data = _form_data(client.get(url))
    data["require_mfa"] = "on"

    answer = client.post(url, data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    [row] = AuditEntry.objects.filter(action=Action.SETTINGS_CHANGED)
    assert (row.actor, row.organization_id, row.ip_address) == (admin_user, alpha.pk,
                                                                 "192.0.2.44")
    assert (row.before, row.after) == ({"require_mfa": False}, {"require_mfa": True})
