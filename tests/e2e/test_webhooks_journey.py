"""Webhooks in a real browser, in French: a partner's manager adds an endpoint from the
menu, copies its secret, sees a renewal's tries in the delivery log and redelivers it."""

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from subscriptions import services
from tests.webhooks.conftest import run_queue
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_an_endpoint_then_read_and_redeliver_its_log(
    page, live_server, login, partner_user, alpha, tbox, grant, make_subscription, today,
    settings, screenshot, axe,
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RETRY_DELAYS = [0]
    receiver = Receiver()
    try:
        _journey(page, live_server, login, partner_user, alpha, tbox, grant,
                 make_subscription, today, receiver, screenshot, axe)
    finally:
        receiver.close()


def _journey(page, live_server, login, partner_user, alpha, tbox, grant, make_subscription,
             today, receiver, screenshot, axe):
    grant(alpha, tbox, 50)
    due = make_subscription(alpha, tbox, end=today, name="Garage Martin")
    login("partner")
    page.locator(".dropdown-toggle").filter(has_text="partner").click()
    page.get_by_test_id("webhooks-link").click()
    expect(page.locator("h1")).to_have_text("Webhooks")

    page.fill("input[name=url]", "ftp://example.com/")
    page.get_by_label("subscription.renewed").check()
    page.get_by_role("button", name="Ajouter la destination").click()
    expect(page.locator("#id_url_error")).to_contain_text("http://")

    page.fill("input[name=url]", receiver.url)
    page.get_by_label("subscription.renewed").check()
    page.get_by_role("button", name="Ajouter la destination").click()
    secret = page.get_by_test_id("webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    screenshot("webhooks-secret")
    axe("webhooks, the new secret")

    receiver.script = ["500"]
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1)
    run_queue()
    page.reload()
    rows = page.get_by_test_id("delivery")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-status", "200")
    expect(rows.last).to_have_attribute("data-status", "500")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    screenshot("webhooks-log")
    axe("webhooks, the delivery log")

    rows.first.get_by_role("button", name="Rediffuser").click()
    run_queue()
    page.reload()
    expect(page.get_by_test_id("delivery")).to_have_count(3)
    last = receiver.requests[-1]
    assert Webhook(secret).verify(last["body"], last["headers"])["data"]["client"] == (
        "Garage Martin"
    )
