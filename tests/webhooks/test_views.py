"""`/account/webhooks/` through its hooks (docs/interface.md "Webhooks"): the secret shown
once, the delivery log, *Redeliver*, field errors in the user's language, the
loopback/private refusal, and who may do what."""

import pytest
from django.urls import reverse

from subscriptions import services
from tests.helpers.html import by_testid, field_has_error
from tests.webhooks.conftest import run_queue
from webhooks.models import Endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]
URL = "/account/webhooks/"
EVENTS = ["subscription.renewed", "pool.low"]


def test_it_is_the_url_the_interface_names():
    assert reverse("webhooks") == URL


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(
    browse, partner_user, alpha, webhook_settings, receiver
):
    client = browse(partner_user)
    response = client.post(URL, {"url": receiver.url, "events": EVENTS}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    [secret] = by_testid(response, "webhook-secret")
    endpoint = Endpoint.objects.get()
    assert secret.text.strip() == endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.organization == alpha
    assert (endpoint.url, endpoint.events) == (receiver.url, sorted(EVENTS))
    again = client.get(URL)
    assert by_testid(again, "webhook-secret") == []
    assert endpoint.secret not in again.content.decode()


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url", "javascript:alert(1)"])
def test_a_url_that_is_not_http_is_refused_at_the_field_in_french(browse, partner_user, url):
    response = browse(partner_user, "fr").post(URL, {"url": url, "events": EVENTS})

    assert response.status_code == 200
    assert field_has_error(response, "url")
    assert "http://" in str(response.context["form"].errors["url"])
    assert "Enter" not in response.content.decode()
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/hook",
    "https://192.168.0.10/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
    "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
])
def test_loopback_and_private_addresses_are_refused_in_production(
    browse, partner_user, settings, url
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = browse(partner_user, "fr").post(URL, {"url": url, "events": EVENTS})

    assert field_has_error(response, "url")
    assert "privé" in str(response.context["form"].errors["url"])
    assert not Endpoint.objects.exists()


def test_no_event_chosen_is_an_error_at_the_field(browse, partner_user, webhook_settings):
    response = browse(partner_user).post(URL, {"url": "http://127.0.0.1/hook"})
    assert field_has_error(response, "events")
    assert not Endpoint.objects.exists()


def test_the_delivery_log_shows_each_try_and_redelivers(
    browse, partner_user, endpoint_for, receiver, make_subscription, grant, alpha, tbox, today
):
    endpoint = endpoint_for(alpha)
    grant(alpha, tbox, 50)
    due = make_subscription(alpha, tbox, end=today)
    receiver.script = ["500"]
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1)
    run_queue()

    client = browse(partner_user)
    rows = by_testid(client.get(URL), "delivery")
    assert [(r.attrs["data-event"], r.attrs["data-status"], r.attrs["data-attempt"])
            for r in rows] == [("subscription.renewed", "200", "2"),
                               ("subscription.renewed", "500", "1")]
    delivery_id = rows[0].attrs["data-delivery-id"]
    page = client.get(URL).content.decode()
    assert "Redeliver" in page

    client.post(reverse("webhook_redeliver", args=[delivery_id]))
    run_queue()
    rows = by_testid(client.get(URL), "delivery")
    assert [r.attrs["data-attempt"] for r in rows] == ["3", "2", "1"]
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert endpoint.deliveries.get().state == "delivered"
    assert "Rediffuser" in browse(partner_user, "fr").get(URL).content.decode()


def test_a_timeout_shows_as_error(browse, partner_user, endpoint_for, receiver,
                                  make_subscription, grant, alpha, tbox, today):
    endpoint_for(alpha)
    grant(alpha, tbox, 50)
    due = make_subscription(alpha, tbox, end=today)
    receiver.script = ["hang"]
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1)
    run_queue()
    statuses = [r.attrs["data-status"] for r in by_testid(browse(partner_user).get(URL),
                                                          "delivery")]
    assert statuses == ["200", "error"]


def test_read_only_members_get_403_everywhere(browse, viewer_user, endpoint_for, alpha):
    endpoint = endpoint_for(alpha)
    client = browse(viewer_user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"url": "https://example.com/", "events": EVENTS}).status_code == 403
    assert client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook_enable", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.count() == 1


def test_another_organizations_endpoint_is_404(
    browse, other_partner_user, reseller_user, endpoint_for, alpha
):
    endpoint = endpoint_for(alpha)
    for user in (other_partner_user, reseller_user):
        client = browse(user)
        assert endpoint.url not in client.get(URL).content.decode()
        assert client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 404
        assert client.post(reverse("webhook_enable", args=[endpoint.pk])).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_another_organizations_delivery_cannot_be_redelivered(
    browse, other_partner_user, partner_user, endpoint_for, receiver, make_subscription,
    grant, alpha, tbox, today,
):
    endpoint = endpoint_for(alpha)
    grant(alpha, tbox, 50)
    due = make_subscription(alpha, tbox, end=today)
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1)
    run_queue()
    delivery = endpoint.deliveries.get()
    response = browse(other_partner_user).post(reverse("webhook_redeliver", args=[delivery.pk]))
    assert response.status_code == 404
    assert run_queue() == 0


def test_a_manager_removes_and_re_enables_its_endpoint(browse, partner_user, endpoint_for,
                                                       alpha):
    endpoint = endpoint_for(alpha)
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    client = browse(partner_user)
    [card] = by_testid(client.get(URL), "webhook-endpoint")
    assert card.attrs["data-status"] == "disabled"
    assert by_testid(client.get(URL), "webhook-disabled-notice")
    client.post(reverse("webhook_enable", args=[endpoint.pk]))
    [card] = by_testid(client.get(URL), "webhook-endpoint")
    assert card.attrs["data-status"] == "enabled"
    client.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert not Endpoint.objects.exists()


def test_a_reseller_manager_has_its_own_endpoints(browse, reseller_user, alpha_reseller,
                                                  webhook_settings, receiver):
    browse(reseller_user).post(URL, {"url": receiver.url, "events": EVENTS})
    assert Endpoint.objects.get().organization == alpha_reseller


def test_each_change_is_audited_without_the_secret(browse, partner_user, alpha,
                                                  webhook_settings, receiver):
    from audit.models import AuditEntry

    client = browse(partner_user)
    client.post(URL, {"url": receiver.url, "events": EVENTS})
    endpoint = Endpoint.objects.get()
    client.post(reverse("webhook_delete", args=[endpoint.pk]))
    rows = AuditEntry.objects.filter(action="webhook_changed").order_by("pk")
    assert [(row.before, row.after) for row in rows] == [
        (None, {"url": receiver.url, "events": sorted(EVENTS), "enabled": True}),
        ({"url": receiver.url, "events": sorted(EVENTS), "enabled": True}, None),
    ]
    assert all(row.actor == partner_user and row.organization_id == alpha.pk for row in rows)
    assert endpoint.secret not in str([(row.before, row.after, row.object_label) for row in rows])
