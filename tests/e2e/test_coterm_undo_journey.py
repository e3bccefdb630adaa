"""A partner undoes a co-terming in a real browser, in French (docs/rules.md rule 21):
the record offers it on each subscription extended, the undo page shows the subscriptions
taken back and each pool's refund, and OK puts everything back."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions import services
from subscriptions.models import LicensePool, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def cotermed(alpha, tbox, tsend, grant, make_subscription, partner_user, today):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY,
                             users=4, name="Famille SA")
    sending = make_subscription(alpha, tsend, start=today - 300 * DAY, end=today + 50 * DAY,
                                users=30, client=soon.client)
    later = make_subscription(alpha, tbox, start=today - 200 * DAY, end=today + 100 * DAY,
                              users=3, client=soon.client)
    done = services.coterm_subscriptions(
        actor=partner_user, client_id=soon.client_id, end=later.term_end,
        subscription_ids=[soon.pk, sending.pk, later.pk],
    )
    return soon, sending, done


def test_a_partner_undoes_a_co_terming_whole(login, live_server, cotermed, screenshot, axe):
    soon, sending, done = cotermed
    page = login("partner")
    page.goto(f"{live_server.url}/clients/{soon.client_id}/")
    undo = page.locator(f"tr[data-subscription-id='{sending.pk}'] [data-testid=cancel-renewal]")
    expect(undo).to_have_text("Annuler l’alignement des échéances")
    undo.click()

    expect(page.locator("h1")).to_contain_text("Annuler l’alignement des échéances")
    expect(page.get_by_test_id("undo-what")).to_have_attribute("data-subscriptions", "2")
    expect(page.get_by_test_id("undo-what")).to_contain_text(
        "2 abonnements retrouvent leurs échéances précédentes"
    )
    expect(page.get_by_test_id("undo-subscription")).to_have_count(2)
    expect(page.get_by_test_id("undo-refund")).to_have_count(2)
    screenshot("coterm-undo-preview")
    axe("co-terming undo page")

    page.get_by_test_id("confirm-cancel-renewal").click()

    expect(page.locator("[role=status]").first).to_contain_text(
        "L’alignement des échéances du client Famille SA a été annulé"
    )
    for subscription in (soon, sending):
        expect(page.locator(f"tr[data-subscription-id='{subscription.pk}']").first
               ).to_have_attribute("data-end", subscription.term_end.isoformat())
        assert Subscription.objects.get(pk=subscription.pk).term_end == subscription.term_end
    assert sorted(LicensePool.objects.values_list("balance", flat=True)) == [100, 100]
    assert done.licenses > 0
