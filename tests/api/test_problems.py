"""Every error under /api/ is a problem details document (api/problems.py), with a title
that says what went wrong in words, and the slash at the end of an address is optional."""

import uuid

import pytest
from rest_framework.test import APIClient

from subscriptions.models import Term
from tests.helpers.ledger import balance

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


def test_a_method_an_endpoint_does_not_take_is_a_405_problem_with_a_plain_title(
    partner_user, api_for
):
    body = _problem(api_for(partner_user).delete("/api/v1/clients/"), 405)
    assert body["type"].endswith("/method_not_allowed")
    assert body["title"] == "This method is not allowed here."
    assert "DELETE" in body["detail"]
    assert "{" not in body["title"] + body["detail"]


def test_a_body_of_a_type_the_api_does_not_read_is_a_415_problem(
    partner_user, alpha, tbox, expiring, api_for
):
    subscription = expiring(alpha, tbox)
    response = api_for(partner_user).post(
        f"/api/v1/subscriptions/{subscription.pk}/renew/", "years=1",
        content_type="text/plain", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    body = _problem(response, 415)
    assert body["type"].endswith("/unsupported_media_type")
    assert body["title"] == "This media type is not supported."
    assert "text/plain" in body["detail"]
    assert "{" not in body["title"] + body["detail"]


def test_titles_follow_the_callers_language(partner_user, api_for):
    client = api_for(partner_user)
    body = _problem(client.delete("/api/v1/clients/", HTTP_ACCEPT_LANGUAGE="fr"), 405)
    assert body["title"] == "Cette méthode n’est pas autorisée ici."
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="fr")
    body = _problem(anonymous.get("/api/v1/clients/"), 401)
    assert body["title"] == "Les informations d’authentification n’ont pas été fournies."


def test_an_unknown_address_is_a_404_problem_with_or_without_the_slash(
    partner_user, api_for
):
    client = api_for(partner_user)
    for path in ("/api/v1/nothing/", "/api/v1/nothing"):
        body = _problem(client.get(path), 404)
        assert body["type"].endswith("/not_found")


def test_an_address_without_its_final_slash_is_the_same_endpoint(
    partner_user, alpha, tbox, make_subscription, api_for
):
    subscription = make_subscription(alpha, tbox)
    client = api_for(partner_user)
    response = client.get("/api/v1/subscriptions")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [subscription.pk]
    assert client.get(f"/api/v1/subscriptions/{subscription.pk}").json()["id"] == (
        subscription.pk
    )


def test_a_post_without_the_final_slash_is_not_turned_into_a_get(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    subscription = expiring(alpha, tbox, users=3)
    grant(alpha, tbox, 10)
    response = api_for(partner_user).post(
        f"/api/v1/subscriptions/{subscription.pk}/renew",
        {"years": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201
    assert balance(alpha, tbox) == 7
    assert Term.objects.filter(subscription=subscription).count() == 2


@pytest.mark.parametrize("path", ["/api/v1/renewals-due/?page=999", "/api/v1/clients/999999/"])
def test_a_page_or_object_that_is_not_there_is_a_404_problem(partner_user, api_for, path):
    _problem(api_for(partner_user).get(path), 404)
