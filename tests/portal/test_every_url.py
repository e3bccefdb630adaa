"""Whatever the method, no address of the project answers 5xx: every URL pattern (the
admin's and the API's included, /api/docs/ and /api/schema/ too), reversed with sample
ids, gets GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS with no body from an anonymous
visitor, a partner manager and a read-only user (a web scanner found `OPTIONS /api/docs/`
answering 500)."""

import datetime

import pytest
from django.test import Client

from api.models import ApiToken
from tests.helpers.urls import every_address

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


@pytest.fixture
def populated(partner_user, viewer_user, alpha, alpha_reseller, tbox, grant,
              make_subscription, today):
    grant(alpha, tbox, 20)
    end = today + datetime.timedelta(days=20)
    make_subscription(alpha, tbox, start=end - datetime.timedelta(days=364), end=end)
    make_subscription(alpha, tbox, reseller=alpha_reseller)


def test_the_walk_reaches_the_screens_the_api_and_the_admin(populated):
    addresses = every_address(1)
    assert len(addresses) > 60
    for expected in ("/api/docs/", "/api/v1/subscriptions/1/renew/", "/renewals/bulk/",
                     "/admin/", "/accounts/login/", "/api/schema/"):
        assert expected in addresses


@pytest.mark.parametrize("who", [None, "partner_user", "viewer_user"])
def test_no_method_on_any_address_answers_5xx(populated, request, plain_http, who):
    client = Client(raise_request_exception=False, headers={"accept-language": "en"})
    api = Client(raise_request_exception=False, headers={"accept-language": "en"})
    if who is not None:
        user = request.getfixturevalue(who)
        client.force_login(user)
        _token, key = ApiToken.issue(user, "every-url")
        api = Client(raise_request_exception=False,
                     headers={"accept-language": "en", "authorization": f"Token {key}"})
    errors = []
    for address in every_address(1):
        caller = api if address.startswith("/api/v1/") else client
        for method in METHODS:
            response = getattr(caller, method)(address)
            if response.status_code >= 500:
                errors.append(f"{method.upper()} {address}: {response.status_code}")
            # A POST to a logout address ends the session: the rest of the walk must
            # still be made as this user.
            if who is not None and "_auth_user_id" not in client.session:
                client.force_login(user)
    assert errors == []


def test_options_on_the_api_docs_names_the_allowed_methods(db):
    response = Client().options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]
