"""What search engines and page-speed audits read in every page's head: a description
in the reader's language, and scripts that never hold up the page's first paint (each one
`defer` or `async`; JSON data blocks are not scripts that run)."""

import datetime

import pytest
from django.test import Client

from tests.helpers.html import elements
from tests.helpers.urls import every_address

FRENCH_DESCRIPTION = (
    "Partner Portal\u00a0: les abonnements annuels de vos clients, leurs renouvellements"
    " et vos réserves de licences."
)


@pytest.fixture
def populated(partner_user, alpha, alpha_reseller, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 20)
    end = today + datetime.timedelta(days=20)
    make_subscription(alpha, tbox, start=end - datetime.timedelta(days=364), end=end)
    make_subscription(alpha, tbox, reseller=alpha_reseller)


def _head_problems(response):
    problems = []
    descriptions = elements(response, lambda tag, attrs: tag == "meta"
                            and attrs.get("name") == "description")
    if len(descriptions) != 1 or len(descriptions[0].attrs.get("content", "").split()) < 5:
        problems.append(f"meta description: {[d.attrs for d in descriptions]}")
    for script in elements(response, lambda tag, attrs: tag == "script"):
        if script.attrs.get("type") == "application/json":
            continue
        if "defer" not in script.attrs and "async" not in script.attrs:
            problems.append(f"script without defer: {script.attrs}")
    return problems


def _html_pages(client):
    """Every address (admin and JSON API aside) that answers this client with a whole page
    (the fragments htmx swaps into a page have no head)."""
    for address in every_address(1):
        if address.startswith(("/admin/", "/api/v1/")) or "logout" in address:
            continue
        response = client.get(address)
        if response.status_code == 200 and b"<html" in response.content:
            yield address, response


@pytest.mark.parametrize("signed_in", [True, False])
def test_every_page_has_a_description_and_deferred_scripts(populated, partner_user, plain_http,
                                                           signed_in):
    client = Client(headers={"accept-language": "fr"})
    if signed_in:
        client.force_login(partner_user)
    checked, problems = [], []
    for address, response in _html_pages(client):
        checked.append(address)
        problems.extend(f"{address}: {problem}" for problem in _head_problems(response))
    assert problems == []
    expected = {"/", "/clients/", "/renewals/", "/licenses/", "/api/docs/"} if signed_in \
        else {"/accounts/login/", "/accounts/password_reset/"}
    assert expected <= set(checked)


def test_the_description_speaks_the_readers_language(populated, partner_user, plain_http):
    french = Client(headers={"accept-language": "fr"})
    french.force_login(partner_user)
    page = french.get("/clients/")
    [meta] = elements(page, lambda tag, attrs: tag == "meta" and attrs.get("name") == "description")
    assert meta.attrs["content"] == FRENCH_DESCRIPTION

    english = Client(headers={"accept-language": "en"})
    [login] = elements(english.get("/accounts/login/"),
                       lambda tag, attrs: tag == "meta" and attrs.get("name") == "description")
    assert login.attrs["content"].startswith("Log in to Partner Portal")


def test_the_server_error_page_has_a_description_too():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert elements(page, lambda tag, attrs: tag == "meta" and attrs.get("name") == "description")
