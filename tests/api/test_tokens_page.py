"""The user's own API tokens in the portal: created and shown once, revoked."""

import pytest
from django.test import Client as HttpClient
from rest_framework.test import APIClient

from api.models import ApiToken
from tests.helpers import web
from tests.helpers.html import by_testid

pytestmark = pytest.mark.usefixtures("plain_http")


def _key(response):
    shown = by_testid(response, "new-api-key")
    return shown[0].text or None if shown else None


def _api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_user_creates_a_token_shown_once_that_works(partner_user):
    browser = web.browser(partner_user)
    assert browser.get("/account/api-tokens/").status_code == 200
    created = browser.post("/account/api-tokens/", {"name": "ERP"})
    key = _key(created)
    assert created.status_code == 200 and key
    assert _api(key).get("/api/v1/subscriptions/").status_code == 200
    # Never again: the list shows a prefix only.
    listing = browser.get("/account/api-tokens/").content.decode()
    assert key not in listing
    assert key[:8] in listing


def test_a_user_revokes_a_token_and_it_stops_working(partner_user):
    browser = web.browser(partner_user)
    key = _key(browser.post("/account/api-tokens/", {"name": "ERP"}))
    token = ApiToken.objects.get(user=partner_user)
    response = browser.post(f"/account/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert _api(key).get("/api/v1/subscriptions/").status_code == 401


def test_nobody_revokes_another_users_token(partner_user, other_partner_user):
    token, key = ApiToken.issue(partner_user)
    response = web.browser(other_partner_user).post(f"/account/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert _api(key).get("/api/v1/subscriptions/").status_code == 200


def test_a_read_only_user_may_have_a_token_that_only_reads(viewer_user):
    key = _key(web.browser(viewer_user).post("/account/api-tokens/", {"name": "BI"}))
    assert _api(key).get("/api/v1/pools/").status_code == 200


def test_the_user_menu_links_to_the_tokens_page(partner_user):
    html = web.browser(partner_user).get("/").content.decode()
    assert 'href="/account/api-tokens/"' in html


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = HttpClient().get("/account/api-tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
