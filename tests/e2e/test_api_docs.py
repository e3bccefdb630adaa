"""The API's documentation page in a real browser: Swagger UI from our static files,
accessible (axe-core), in the reader's language, with the way back to the portal."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_are_accessible_and_lead_back_to_the_portal(
    page, live_server, partner_user, screenshot, axe
):
    page.goto(f"{live_server.url}/api/docs/")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    # An operation opened: its parameters, "Try it out" and the answers are checked too.
    page.locator(".swagger-ui .opblock-summary").first.click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    screenshot("api-docs")
    axe("API docs")

    back = page.get_by_role("link", name="Retour au Partner Portal")
    expect(back).to_be_visible()
    back.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
