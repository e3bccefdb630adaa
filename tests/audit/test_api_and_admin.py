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
