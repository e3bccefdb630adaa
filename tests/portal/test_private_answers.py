"""Pages and API answers for a signed-in user are kept by no cache (the login page is
never cached already, by Django); static files and the API docs may be."""

import pytest
from django.test import Client

from api.models import ApiToken


def _directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.mark.parametrize("address", ["/", "/clients/", "/renewals/", "/licenses/",
                                     "/account/api-tokens/"])
def test_a_signed_in_page_is_private_and_not_stored(browse, partner_user, plain_http, address):
    response = browse(partner_user).get(address)
    assert response.status_code == 200
    assert {"private", "no-store"} <= _directives(response)


def test_an_api_answer_is_private_and_not_stored(client, partner_user, plain_http):
    _token, key = ApiToken.issue(partner_user, "cache")
    answer = client.get("/api/v1/subscriptions/", HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 200
    assert {"private", "no-store"} <= _directives(answer)
    refusal = client.get("/api/v1/subscriptions/")
    assert refusal.status_code == 401
    assert {"private", "no-store"} <= _directives(refusal)


def test_static_files_and_the_api_docs_are_left_to_caches(
    client, partner_user, plain_http, settings
):
    # WhiteNoise serves the collected files; the tests have the sources.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(partner_user)
    static = client.get("/static/api/swagger-page.css")
    assert static.status_code == 200
    assert "private" not in _directives(static)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "private" not in _directives(Client().get("/api/docs/"))
