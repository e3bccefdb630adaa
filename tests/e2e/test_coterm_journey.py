"""A partner aligns a client's end dates in a real browser, in French: the simulator
follows the date chosen and the subscriptions ticked, and OK writes what it showed."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions.dates import span_cost
from subscriptions.models import LicenseMovement, LicensePool, MovementKind
from subscriptions.selectors.coterm import month_end

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def family(alpha, tbox, tsend, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY,
                             users=4, name="Famille SA")
    later = make_subscription(alpha, tsend, start=today - 200 * DAY, end=today + 100 * DAY,
                              users=3, client=soon.client)
    lapsed = make_subscription(alpha, tsend, start=today - 400 * DAY, end=today - 10 * DAY,
                               users=2, client=soon.client)
    return soon, later, lapsed


def test_a_partner_aligns_the_end_dates_of_a_client(
    login, live_server, family, partner_user, screenshot, axe, alpha, tbox, tsend, today
):
    soon, later, lapsed = family
    page = login("partner")
    page.goto(f"{live_server.url}/clients/{soon.client_id}/")
    page.get_by_test_id("coterm").click()
    expect(page.locator("h1")).to_contain_text("Aligner les échéances de Famille SA")
    line = page.locator(f"[data-testid=coterm-line][data-subscription-id='{soon.pk}']")
    expect(line).to_have_attribute("data-new-end", later.term_end.isoformat())
    expect(page.locator(
        f"[data-testid=coterm-line][data-subscription-id='{later.pk}']"
    )).to_have_attribute("data-left-out", "ends_on_or_after")
    expect(page.get_by_text("Il se termine déjà à cette date ou après.")).to_be_visible()

    # A month end after every current end: the page refreshes itself.
    end = month_end(today + 130 * DAY)
    page.select_option("select[name=end]", end.isoformat())
    expect(line).to_have_attribute("data-new-end", end.isoformat())
    later_line = page.locator(f"[data-testid=coterm-line][data-subscription-id='{later.pk}']")
    expect(later_line).to_have_attribute("data-new-end", end.isoformat())

    # Unticking the expired one leaves it out, and the TSend debit follows.
    page.locator(f"#coterm-choose-{lapsed.pk}").uncheck()
    lapsed_line = page.locator(f"[data-testid=coterm-line][data-subscription-id='{lapsed.pk}']")
    expect(lapsed_line).to_have_attribute("data-left-out", "not_chosen")
    tsend_pool = LicensePool.objects.get(organization=alpha, product=tsend)
    tsend_cost = span_cost(3, later.term_end + DAY, end)
    expect(page.locator(
        f"[data-testid=coterm-debit][data-pool-id='{tsend_pool.pk}']"
    )).to_have_text(str(tsend_cost))
    screenshot("coterm")
    axe("coterm simulator")

    page.get_by_test_id("coterm-confirm").click()

    expect(page.locator("[role=status]").first).to_contain_text("2 abonnements alignés sur le")
    assert page.url.endswith(f"/clients/{soon.client_id}/")
    tbox_cost = span_cost(4, soon.term_end + DAY, end)
    assert LicensePool.objects.get(pk=tsend_pool.pk).balance == 100 - tsend_cost
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 100 - tbox_cost
    assert LicenseMovement.objects.filter(kind=MovementKind.COTERM).count() == 2
    expect(page.locator(f"tr[data-subscription-id='{soon.pk}']")).to_have_attribute(
        "data-status", "renewed"
    )
