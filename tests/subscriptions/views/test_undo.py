"""The screens that take back a decision: cancelling the last renewal (rule 14) and marking
a subscription as not renewing (rule 15), both of docs/rules.md."""

import pytest
from django.urls import reverse

from subscriptions import services
from subscriptions.models import Subscription
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.html import by_testid, having, row_ids
from tests.helpers.ledger import balance, status_of

pytestmark = pytest.mark.django_db


# --- cancelling a renewal ---------------------------------------------------------------


def test_the_client_record_offers_the_button_and_strikes_the_cancelled_term(
    client, expiring, partner_user
):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    client.force_login(partner_user)
    page = client.get(reverse("client_detail", args=[expiring.client_id]))
    assert by_testid(page, "cancel-renewal")

    url = reverse("cancel_renewal", args=[expiring.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert by_testid(confirm, "confirm-cancel-renewal")
    response = client.post(url, {"token": issue_token(partner_user)})
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[expiring.client_id])

    page = client.get(reverse("client_detail", args=[expiring.client_id]))
    assert having(page, "data-cancelled", "1")
    assert by_testid(page, "term-cancelled")
    assert not by_testid(page, "cancel-renewal")


def test_a_second_post_is_refused_with_a_message(client, expiring, partner_user, alpha, tbox):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    client.force_login(partner_user)
    url = reverse("cancel_renewal", args=[expiring.pk])
    client.post(url, {"token": issue_token(partner_user)})
    again = client.post(url, {"token": issue_token(partner_user)})
    assert again.status_code == 200
    assert by_testid(again, "refusal")
    assert balance(alpha, tbox) == 100


def test_read_only_users_cannot_cancel_and_other_partners_get_404(
    client, expiring, partner_user, viewer_user, other_partner_user
):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    url = reverse("cancel_renewal", args=[expiring.pk])
    client.force_login(viewer_user)
    assert client.post(url, {"token": issue_token(viewer_user)}).status_code == 403
    client.force_login(other_partner_user)
    assert client.post(url, {"token": issue_token(other_partner_user)}).status_code == 404
    assert status_of(expiring) == Status.RENEWED


# --- not renewing ------------------------------------------------------------------------


def test_the_form_marks_and_the_rows_carry_the_marker(client, expiring, partner_user):
    client.force_login(partner_user)
    url = reverse("not_renewing", args=[expiring.pk])
    form = client.get(url)
    assert having(form, "name", "reason") and having(form, "name", "comment")
    response = client.post(url, {"reason": "competitor", "comment": "Gone"})
    assert response.status_code == 302

    to_renew = client.get(reverse("renewals"))
    assert expiring.pk not in row_ids(to_renew)
    marked = client.get(reverse("renewals") + "?not_renewing=1")
    assert expiring.pk in row_ids(marked)
    assert having(marked, "data-not-renewing", "1")
    assert having(marked, "data-status", "expiring")
    listing = client.get(reverse("client_list"))
    assert having(listing, "data-not-renewing", "1")
    record = client.get(reverse("client_detail", args=[expiring.client_id]))
    assert having(record, "data-not-renewing", "1")
    assert by_testid(record, "not-renewing-badge")


def test_the_form_removes_the_mark(client, expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="price", comment=""
    )
    client.force_login(partner_user)
    response = client.post(reverse("not_renewing", args=[expiring.pk]), {"clear": "1"})
    assert response.status_code == 302
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None


def test_a_missing_reason_rerenders_the_form(client, expiring, partner_user):
    client.force_login(partner_user)
    response = client.post(reverse("not_renewing", args=[expiring.pk]), {"reason": ""})
    assert response.status_code == 200
    assert by_testid(response, "refusal")


def test_read_only_users_cannot_mark_and_other_partners_get_404(
    client, expiring, viewer_user, other_partner_user
):
    url = reverse("not_renewing", args=[expiring.pk])
    client.force_login(viewer_user)
    assert client.post(url, {"reason": "price"}).status_code == 403
    client.force_login(other_partner_user)
    assert client.post(url, {"reason": "price"}).status_code == 404
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None
