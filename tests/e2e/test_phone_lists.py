"""The lists on a phone (390 px wide): each row is a card with its status colour, its
figures and its action button, nothing scrolls sideways; at desktop width they are still
tables. The dashboard's chart fits the screen (docs/interface.md, "phone")."""

import datetime

import pytest
from playwright.sync_api import expect

from subscriptions import services

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def lists(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today, partner_user):
    """Alpha with rows of every status, long names included, two pools and a renewal
    (a ledger line about a client)."""
    grant(alpha, tbox, 2981)
    grant(alpha, tsend, 30)
    year_ago = today - 340 * DAY
    expiring = make_subscription(
        alpha, tbox, start=year_ago, end=today + 20 * DAY, users=4,
        name="Établissements Lefèvre et Fils, Menuiserie Générale du Haut-Languedoc",
    )
    make_subscription(
        alpha, tsend, start=year_ago - 60 * DAY, end=today - 5 * DAY, users=3, name="Rouge SA"
    )
    make_subscription(alpha, tbox, start=today + 30 * DAY, users=2, name="Bleu SA")
    make_subscription(
        alpha, tbox, start=year_ago, end=today + 25 * DAY, users=6, name="Vert SA",
        renewal_years=1,
    )
    make_subscription(alpha, tsend, users=5, name="Calme SA", reseller=alpha_reseller)
    renewed = make_subscription(
        alpha, tbox, start=year_ago, end=today + 10 * DAY, users=2, name="Auto-École Garcia"
    )
    services.renew_subscription(actor=partner_user, subscription_id=renewed.pk, years=1)
    return {"expiring": expiring, "renewed": renewed}


def _page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def _assert_cards(page, rows_selector, name):
    """At phone width: no sideways scrolling, each row a card within the screen, each
    row's buttons inside it; back at desktop width, a table row again."""
    page.set_viewport_size(PHONE)
    rows = page.locator(rows_selector)
    assert rows.count() > 0, name
    assert _page_width(page) <= PHONE["width"], f"{name}: the page scrolls sideways"
    for index in range(rows.count()):
        row = rows.nth(index)
        assert row.evaluate("e => getComputedStyle(e).display") == "block", name
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        for button in row.locator("a.btn, button").all():
            expect(button).to_be_visible()
            button_box = button.bounding_box()
            assert 0 <= button_box["x"], name
            assert button_box["x"] + button_box["width"] <= PHONE["width"], name
    page.set_viewport_size(DESKTOP)
    assert rows.first.evaluate("e => getComputedStyle(e).display") == "table-row", name
    page.set_viewport_size(PHONE)


def _status_edge(row):
    return row.evaluate("e => getComputedStyle(e).borderLeftColor")


def test_the_client_lists_are_cards_on_a_phone(login, live_server, lists, screenshot):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/")
    _assert_cards(page, "tr[data-subscription-id]", "client list")
    # The status colour is the card's left edge: orange, red and blue are three colours.
    edges = {
        status: _status_edge(page.locator(f"tr[data-status={status}]").first)
        for status in ("expiring", "expired", "not_started")
    }
    assert len(set(edges.values())) == 3, edges
    # The client's name is the card's title: its first line, over the whole width.
    row = page.locator(f"tr[data-subscription-id='{lists['expiring'].pk}']")
    title = row.locator("td.cell-title")
    expect(title).to_contain_text("Établissements Lefèvre")
    assert title.bounding_box()["y"] <= min(
        cell.bounding_box()["y"] for cell in row.locator("td").all()
    )
    # Each figure says what it is.
    expect(row.locator("td[data-label='Utilisateurs']")).to_have_text("4")
    screenshot("phone-client-list")

    page.goto(f"{live_server.url}/clients/?by=company")
    _assert_cards(page, "tr[data-client-id]", "client list by company")
    screenshot("phone-client-list-by-company")


def test_the_renewals_are_cards_with_their_box_and_button(login, live_server, lists, screenshot):
    page = login("partner")
    page.goto(f"{live_server.url}/renewals/")
    _assert_cards(page, "tr[data-subscription-id]", "renewals")
    row = page.locator(f"tr[data-subscription-id='{lists['expiring'].pk}']")
    expect(row.get_by_test_id("renew")).to_be_visible()
    box = row.locator("input[name=subscriptions]")
    expect(box).to_be_visible()
    box_area = box.bounding_box()
    assert box_area["x"] + box_area["width"] <= PHONE["width"]
    # The boxes still work on a phone: ticking one counts it.
    box.check()
    expect(page.locator("[data-bulk-count]")).to_have_text("1")
    screenshot("phone-renewals")


def test_the_ledger_and_the_forecast_are_cards(login, live_server, lists, screenshot):
    page = login("partner")
    page.goto(f"{live_server.url}/licenses/")
    _assert_cards(page, "tr[data-movement-id]", "ledger")
    _assert_cards(page, "tr:has([data-testid=shortfall])", "shortfall forecast")
    screenshot("phone-licenses")

    page.goto(f"{live_server.url}/clients/{lists['renewed'].client_id}/")
    _assert_cards(page, "tr[data-subscription-id]", "client record")
    _assert_cards(page, "tr[data-movement-id]", "client record movements")
    screenshot("phone-client-record")


def test_the_dashboard_fits_a_phone(login, live_server, lists, screenshot):
    page = login("partner")
    page.goto(f"{live_server.url}/")
    _assert_cards(page, "tr:has([data-testid=shortfall])", "dashboard forecast")
    chart = page.get_by_test_id("renewal-chart")
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    scroller = page.locator(".chart-scroll")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth")
    # Twelve months, each label readable (at least 9 px once the drawing is scaled).
    labels = chart.locator(".chart-label")
    expect(labels).to_have_count(12)
    assert min(label.bounding_box()["height"] for label in labels.all()) >= 9
    screenshot("phone-dashboard")
