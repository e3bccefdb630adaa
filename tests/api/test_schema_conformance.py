"""Schemathesis against the live schema, as `schemathesis run --checks all` would run it:
every operation, its examples, the coverage phase's edge values and generated inputs, valid
and invalid, through the WSGI application, as a partner and as a read-only user. Every
check holds: no 500, every answer documented and matching the schema (content type and
headers included), invalid input refused, valid input accepted. Runs in `make test`."""

import datetime
import re

import pytest
import schemathesis
from dateutil.relativedelta import relativedelta
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import Override

from api.models import ApiToken
from subscriptions.models import Subscription, Term
from subscriptions.status import Status

EXAMPLES_PER_OPERATION = 15
# Every check schemathesis has (`--checks all`).
ALL_CHECKS = CHECKS.get_all()
# Valid input may be refused by the state of things, not by its form: 409 (a business
# rule) and 422 (an Idempotency-Key already used for another request; the generated keys
# repeat). Schemathesis expects the first and not the second; both are documented.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the connection after each request; the test's transaction
    lives on it, so keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def populated(
    keep_connection, partner_user, alpha, alpha_reseller, tbox, tsend, grant,
    make_subscription, today, settings,
):
    settings.API_RATE = "100000/min"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    grant(alpha, tbox, 50)
    grant(alpha_reseller, tsend, 20)
    end = today + datetime.timedelta(days=20)
    start = end - relativedelta(years=1) + datetime.timedelta(days=1)
    for index in range(4):
        make_subscription(alpha, tbox, start=start, end=end, users=3 + index)
    make_subscription(alpha, tsend, reseller=alpha_reseller, start=start, end=end)
    make_subscription(alpha, tbox, renewal_years=1)
    _token, key = ApiToken.issue(partner_user, "schemathesis")
    return key


def _live_schema():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=ACCEPTED
    )
    return schema


@pytest.mark.parametrize("who", ["partner_user", "viewer_user"])
def test_every_operation_passes_every_check_of_schemathesis(populated, request, who):
    _token, key = ApiToken.issue(request.getfixturevalue(who), "schemathesis")
    schema = _live_schema()
    headers = {"Authorization": f"Token {key}", "Accept-Language": "en"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    seen = set()
    sent = set()  # (the method actually sent, the status): schemathesis tries others too
    failures = []

    def check_operation(operation):
        def check(case):
            response = case.call(headers=headers)
            seen.add((operation.label, response.status_code))
            sent.add((response.request.method, response.status_code))
            try:
                case.validate_response(response, checks=ALL_CHECKS, headers=headers)
            except FailureGroup as failure:
                failures.append(f"{operation.label}: {failure}")

        create_test(
            operation=operation,
            test_func=check,
            config=HypothesisTestConfig(
                project=schema.config,
                # The examples, the coverage phase's edge values, then fuzzing; each in
                # the positive and the negative generation mode.
                modes=list(HypothesisTestMode),
                # The token is the caller's, never a generated header.
                override=Override(headers=headers),
                settings=settings(
                    max_examples=EXAMPLES_PER_OPERATION,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                ),
            ),
        )()

    for operation in operations:
        check_operation(operation)

    assert failures == []
    # Every operation was called; the generated calls reached the data, not only the
    # error paths; the read-only user's writes were refused.
    assert {label for label, _status in seen} == {operation.label for operation in operations}
    assert ("GET /api/v1/subscriptions/", 200) in seen
    assert ("GET /api/v1/pools/", 200) in seen
    assert {status for _label, status in seen} >= {200, 400, 404}
    if who == "viewer_user":
        assert ("POST /api/v1/subscriptions/bulk-renew/", 403) in seen
        assert not any(method in ("POST", "DELETE") and status < 300
                       for method, status in sent)


def test_the_answers_of_undo_and_the_not_renewing_mark_match_the_schema(populated, alpha):
    """Generated inputs rarely name a subscription that can be undone or marked: walk
    each write's success and refusal once, on real rows, and check every answer."""
    schema = _live_schema()
    headers = {"Authorization": f"Token {populated}", "Accept-Language": "en"}
    due = list(
        Subscription.objects.with_status()
        .filter(client__partner=alpha, status=Status.EXPIRING, client__reseller=None)
        .order_by("pk")
    )
    renewed = Subscription.objects.with_status().get(status=Status.RENEWED)
    statuses = []

    def call(path, method, subscription=None, *, key=None, body=None, query=None):
        operation = schema[path][method]
        case = operation.Case(
            path_parameters={"id": subscription.pk} if subscription else None,
            headers={**headers, **({"Idempotency-Key": key} if key else {})},
            query=query,
            **({"body": body} if body is not None else {}),
        )
        response = case.call()
        case.validate_response(response, checks=ALL_CHECKS)
        statuses.append((method, path, response.status_code))
        return response

    renew = "/api/v1/subscriptions/{id}/renew/"
    cancel = "/api/v1/subscriptions/{id}/cancel-renewal/"
    mark = "/api/v1/subscriptions/{id}/not-renewing/"
    call(renew, "POST", due[0], key="r-1", body={"years": 1})
    call(cancel, "POST", due[0], key="c-1")
    call(cancel, "POST", due[0], key="c-1")  # the replay
    call(cancel, "POST", due[0], key="c-2")  # nothing left to undo
    call(cancel, "POST", renewed, key="c-3")  # a renewal with no ledger line
    call(mark, "POST", due[1], body={"reason": "other", "comment": "Folded"})
    call(mark, "POST", renewed, body={"reason": "price"})  # not due
    call("/api/v1/subscriptions/{id}/", "GET", due[1])
    call("/api/v1/renewals-due/", "GET", query={"not_renewing": True})
    call(mark, "DELETE", due[1])

    assert [status for _method, _path, status in statuses] == [
        201, 200, 200, 409, 200, 200, 409, 200, 200, 200
    ]


def test_an_invalid_item_of_a_bulk_renewal_is_a_400_naming_it(populated, alpha):
    client = Client(HTTP_AUTHORIZATION=f"Token {populated}", HTTP_ACCEPT_LANGUAGE="en")
    before = Subscription.objects.count(), Term.objects.count()
    for items in ([0], ["AAA"], [None], [1, {}]):
        response = client.post(
            "/api/v1/subscriptions/bulk-renew/", {"subscriptions": items, "years": 1},
            content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"bulk-{items}",
        )
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        position = len(items) - 1
        assert list(response.json()["errors"]) == [f"subscriptions.{position}"]
        assert response.json()["detail"].startswith(f"subscriptions.{position}: ")
    assert (Subscription.objects.count(), Term.objects.count()) == before


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/api/v1/subscriptions/x.y/", "/api/v2/"])
def test_an_api_address_that_matches_no_route_answers_problem_details(populated, path):
    client = Client(HTTP_AUTHORIZATION=f"Token {populated}", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Not found."


def test_a_page_that_matches_no_route_is_still_the_portals_page(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query",
    ["per_page=null", "per_page=0", "per_page=", "end_to=", "end_from=", "not_renewing=278",
     "reseller=abc"],
)
def test_a_malformed_filter_is_a_400_naming_it(populated, query):
    client = Client(HTTP_AUTHORIZATION=f"Token {populated}", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(f"/api/v1/subscriptions/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_an_organization_outside_the_scope_is_a_404(populated, beta_reseller):
    client = Client(HTTP_AUTHORIZATION=f"Token {populated}", HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(f"/api/v1/subscriptions/?reseller={beta_reseller.pk}").status_code == 404
    assert client.get("/api/v1/ledger/?organization=0").status_code == 404
    assert client.get(f"/api/v1/ledger/?organization={beta_reseller.pk}").status_code == 404


def test_the_schema_says_what_the_server_accepts(populated):
    schema = Client().get("/api/schema/?format=json").json()
    parameters = {
        parameter["name"]: parameter["schema"]
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
    }
    assert parameters["per_page"]["minimum"] == 1
    assert parameters["reseller"]["minimum"] == 1
    assert parameters["organization"]["minimum"] == 1
    assert parameters["Idempotency-Key"]["minLength"] == 1


def test_the_schema_declares_the_headers_answers_carry(populated):
    schema = Client().get("/api/schema/?format=json").json()
    renew = schema["paths"]["/api/v1/subscriptions/{id}/renew/"]["post"]["responses"]
    listing = schema["paths"]["/api/v1/clients/"]["get"]["responses"]
    for responses in (renew, listing):
        for response in responses.values():
            assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
                response["headers"]
            )
        assert "Retry-After" in responses["429"]["headers"]
    assert "Idempotent-Replayed" in renew["201"]["headers"]
    assert "Idempotent-Replayed" not in listing["200"]["headers"]


def test_the_docs_speak_of_the_product_and_lead_back_to_the_portal(db):
    schema = Client().get("/api/schema/?format=json")
    assert "[Back to Partner Portal](/)" in schema.json()["info"]["description"]
    assert not re.search(r"\brules? \d+", schema.content.decode(), re.IGNORECASE)
    page = Client(headers={"accept-language": "en"}).get("/api/docs/")
    assert b'<html lang="en">' in page.content
    assert b'href="/">Back to Partner Portal</a>' in page.content


def test_the_schema_is_the_same_whatever_the_callers_language(db):
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/schema/?format=json")
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/api/schema/?format=json")
    assert english.content == french.content
    page = english.json()["paths"]["/api/v1/renewals-due/"]["get"]["parameters"]
    assert "A page number within the paginated result set." in [
        parameter.get("description") for parameter in page
    ]
    asked = Client().get("/api/schema/?format=json&lang=fr").json()
    page = asked["paths"]["/api/v1/renewals-due/"]["get"]["parameters"]
    assert "Un numéro de page de l'ensemble des résultats." in [
        parameter.get("description") for parameter in page
    ]


def test_the_schema_reads_cleanly_in_a_client_generator(db):
    schema = Client().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert not [name for name in components if name.endswith("RequestRequest")]
    assert {"RenewalRequest", "BulkRenewalRequest"} <= set(components)
    assert "maximum" not in components["Movement"]["properties"]["quantity"]
    statuses = {
        address: parameter["schema"].get("enum")
        for address, path in schema["paths"].items()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "status"
    }
    assert statuses["/api/v1/renewals-due/"] == ["expiring", "expired"]
    assert set(statuses["/api/v1/subscriptions/"]) == {
        "not_started", "active", "expiring", "expired", "renewed"
    }
    for address, path in schema["paths"].items():
        for method, operation in path.items():
            for code, response in operation["responses"].items():
                if code.startswith("2") and address.startswith("/api/v1/"):
                    assert list(response["content"]) == ["application/json"], (address, method)


def test_the_sync_filters_and_cursor_pages_are_declared_for_generators(db):
    schema = Client().get("/api/schema/?format=json").json()

    def parameters(address):
        return {parameter["name"]: parameter["schema"]
                for parameter in schema["paths"][address]["get"]["parameters"]}

    for address in ("/api/v1/clients/", "/api/v1/subscriptions/", "/api/v1/renewals-due/",
                    "/api/v1/pools/", "/api/v1/ledger/"):
        assert parameters(address)["updated_since"] == {"type": "string", "format": "date-time"}
    assert parameters("/api/v1/subscriptions/")["client"] == {"type": "integer", "minimum": 1}
    components = schema["components"]["schemas"]
    # A cursor page has no count and no page number; the renewals due keep both, under a
    # name of their own (one name for two shapes would give a generator the wrong one).
    for address, page in (("/api/v1/clients/", "PaginatedClientList"),
                          ("/api/v1/subscriptions/", "PaginatedSubscriptionList"),
                          ("/api/v1/ledger/", "PaginatedMovementList")):
        assert {"cursor", "per_page"} <= set(parameters(address)) and "page" not in parameters(
            address
        )
        assert "count" not in components[page]["properties"]
        assert components[page]["properties"]["next"]["example"].endswith("cD00ODY%3D")
    assert "page" in parameters("/api/v1/renewals-due/")
    assert "count" in components["PaginatedRenewalsDueList"]["required"]
    listed = schema["paths"]["/api/v1/renewals-due/"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaginatedRenewalsDueList"
    )
    for name in ("Client", "Subscription", "Pool", "Movement"):
        assert components[name]["properties"]["updated_at"]["format"] == "date-time"
        assert "updated_at" in components[name]["required"]
