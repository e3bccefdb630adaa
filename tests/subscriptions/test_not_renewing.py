"""Rule 15: an expiring or expired subscription can be marked as not renewing."""

import datetime

import pytest
from django.urls import reverse

from subscriptions import selectors, services
from subscriptions.models import Subscription
from subscriptions.services import OperationRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def expiring(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    return make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=300),
        end=today + datetime.timedelta(days=30), users=5,
    )


def test_a_marked_subscription_is_no_longer_to_renew(expiring, partner_user):
    assert selectors.companies_to_renew_count(partner_user) == 1
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="price", comment="Too dear"
    )
    assert selectors.companies_to_renew_count(partner_user) == 0
    assert not selectors.subscriptions_to_renew(partner_user).exists()
    assert not selectors.renewals_due().exists()
    marked = Subscription.objects.with_status().get(pk=expiring.pk)
    assert marked.status == selectors.Status.EXPIRING
    assert marked.not_renewing_by == partner_user and marked.not_renewing_comment == "Too dear"


def test_an_active_subscription_cannot_be_marked(
    alpha, tbox, make_subscription, partner_user
):
    active = make_subscription(alpha, tbox)
    with pytest.raises(OperationRefused):
        services.mark_not_renewing(
            actor=partner_user, subscription_id=active.pk, reason="price", comment=""
        )


def test_an_unknown_reason_is_refused(expiring, partner_user):
    with pytest.raises(OperationRefused):
        services.mark_not_renewing(
            actor=partner_user, subscription_id=expiring.pk, reason="whim", comment=""
        )


def test_the_mark_can_be_removed(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="closed", comment=""
    )
    services.clear_not_renewing(actor=partner_user, subscription_id=expiring.pk)
    assert selectors.companies_to_renew_count(partner_user) == 1


def test_renewing_clears_the_mark(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="other", comment="x"
    )
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None


def test_bulk_renewing_clears_the_mark(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="other", comment="x"
    )
    services.renew_subscriptions(actor=partner_user, subscription_ids=[expiring.pk], years=1)
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None


# --- the screens ----------------------------------------------------------------------


def test_the_form_marks_and_the_rows_carry_the_marker(client, expiring, partner_user):
    client.force_login(partner_user)
    url = reverse("not_renewing", args=[expiring.pk])
    form = client.get(url).content.decode()
    assert 'name="reason"' in form and 'name="comment"' in form
    response = client.post(url, {"reason": "competitor", "comment": "Gone"})
    assert response.status_code == 302

    to_renew = client.get(reverse("renewals")).content.decode()
    assert f'data-subscription-id="{expiring.pk}"' not in to_renew
    marked = client.get(reverse("renewals") + "?not_renewing=1").content.decode()
    assert f'data-subscription-id="{expiring.pk}"' in marked
    assert 'data-not-renewing="1"' in marked
    assert 'data-status="expiring"' in marked
    listing = client.get(reverse("client_list")).content.decode()
    assert 'data-not-renewing="1"' in listing
    record = client.get(reverse("client_detail", args=[expiring.client_id])).content.decode()
    assert 'data-not-renewing="1"' in record
    assert 'data-testid="not-renewing-badge"' in record


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
    assert 'data-testid="refusal"' in response.content.decode()


def test_read_only_users_get_403_and_other_partners_404(
    client, expiring, viewer_user, other_partner_user
):
    url = reverse("not_renewing", args=[expiring.pk])
    client.force_login(viewer_user)
    assert client.post(url, {"reason": "price"}).status_code == 403
    client.force_login(other_partner_user)
    assert client.post(url, {"reason": "price"}).status_code == 404
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None
