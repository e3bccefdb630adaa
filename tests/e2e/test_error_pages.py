"""The error pages in the portal's look, as people meet them in the browser."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_unknown_address_shows_the_portals_404_page(
    english, login, live_server, partner_user, axe
):
    page = login("partner")
    response = page.goto(f"{live_server.url}/clients/999999/")

    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    # The portal's own page: its menu, and a way back.
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    axe("404 page")
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_test_id("companies-to-renew")).to_be_visible()


def test_a_page_past_the_end_of_a_list_is_a_404_page(english, login, live_server, partner_user):
    page = login("partner")
    response = page.goto(f"{live_server.url}/clients/?page=99")

    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")


def test_the_500_page_stands_alone_and_keeps_the_portals_look(page, live_server, settings):
    # Rendered with no context at all, as Django does when something broke.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "portal/css/portal.css" in html

    # Shown from the live server's origin so its stylesheets load.
    page.goto(f"{live_server.url}/healthz")
    page.set_content(html.replace('href="/static/', f'href="{live_server.url}/static/'))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("p.display-3")).to_have_text("500")
    navbar = page.locator("nav.portal-navbar")
    assert navbar.evaluate("e => getComputedStyle(e).backgroundImage").startswith("linear-gradient")
