"""The partner API: scope, roles, the service layer, idempotency, problem details."""

import datetime
import re
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.models import ApiToken
from subscriptions.models import LicenseMovement, LicensePool, Term
from subscriptions.status import Status
from tests.helpers.ledger import balance
from tests.helpers.markers import postgres_only

PROBLEM = "application/problem+json"


def _renew(client, subscription, key=None, **data):
    return client.post(
        f"/api/v1/subscriptions/{subscription.pk}/renew/",
        data or {"years": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/subscriptions/", "/api/v1/clients/", "/api/v1/pools/", "/api/v1/ledger/",
     "/api/v1/renewals-due/"],
)
def test_it_answers_401_with_a_problem_to_anonymous_calls(db, path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_it_refuses_a_revoked_or_unknown_token(partner_user, api_for):
    client = api_for(partner_user)
    assert client.get("/api/v1/clients/").status_code == 200
    ApiToken.objects.get(user=partner_user).revoke()
    assert client.get("/api/v1/clients/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert client.get("/api/v1/clients/").status_code == 401


def test_it_stores_only_a_hash_of_the_key(partner_user):
    token, key = ApiToken.issue(partner_user)
    assert key not in (token.key_hash, token.prefix)
    assert token.prefix == key[:8]


def test_the_command_prints_a_working_key_alone_on_its_last_line(partner_user, capsys):
    call_command("create_api_token", "partner")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/subscriptions/").status_code == 200


# --- reads in scope -------------------------------------------------------------------


def test_it_lists_the_subscriptions_of_the_scope_with_status_and_current_term(
    partner_user, other_partner_user, alpha, beta, tbox, make_subscription, expiring, api_for
):
    mine = expiring(alpha, tbox, users=7)
    renewed = make_subscription(alpha, tbox, renewal_years=2)
    theirs = make_subscription(beta, tbox)

    body = api_for(partner_user).get("/api/v1/subscriptions/").json()

    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {mine.pk, renewed.pk}
    assert "next" in body
    assert rows[mine.pk]["status"] == Status.EXPIRING
    assert rows[mine.pk]["users"] == 7
    assert rows[mine.pk]["end_date"] == mine.term_end.isoformat()
    assert rows[mine.pk]["product"] == "TBOX"
    assert rows[mine.pk]["client"] == mine.client_id
    # A queued renewal does not change the current term's figures.
    assert rows[renewed.pk]["status"] == Status.RENEWED
    assert rows[renewed.pk]["end_date"] == renewed.previous_term_end.isoformat()
    assert rows[renewed.pk]["queued_renewal"]["years"] == 2
    assert api_for(partner_user).get(f"/api/v1/subscriptions/{theirs.pk}/").status_code == 404
    assert api_for(other_partner_user).get(f"/api/v1/subscriptions/{mine.pk}/").status_code == 404


def test_it_paginates_with_next(partner_user, alpha, tbox, make_subscription, api_for):
    for _ in range(3):
        make_subscription(alpha, tbox)
    client = api_for(partner_user)
    first = client.get("/api/v1/subscriptions/?per_page=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_renewals_due_filter_like_the_list(
    reseller_user, partner_user, alpha, alpha_reseller, tbox, tsend, make_subscription,
    expiring, api_for,
):
    due_tbox = expiring(alpha, tbox)
    due_tsend = expiring(alpha, tsend, reseller=alpha_reseller)
    make_subscription(alpha, tbox)  # active: not due
    client = api_for(partner_user)
    ids = [row["id"] for row in client.get("/api/v1/renewals-due/").json()["results"]]
    assert sorted(ids) == sorted([due_tbox.pk, due_tsend.pk])
    filtered = client.get("/api/v1/renewals-due/?product=TSEND").json()["results"]
    assert [row["id"] for row in filtered] == [due_tsend.pk]
    by_reseller = client.get(f"/api/v1/renewals-due/?reseller={alpha_reseller.pk}").json()
    assert [row["id"] for row in by_reseller["results"]] == [due_tsend.pk]
    assert client.get("/api/v1/renewals-due/?status=active").status_code == 400
    mine = api_for(reseller_user).get("/api/v1/renewals-due/").json()["results"]
    assert [row["id"] for row in mine] == [due_tsend.pk]


def test_pools_carry_the_balance_and_the_forecast(
    partner_user, other_partner_user, alpha, beta, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 10)
    grant(beta, tbox, 10)
    expiring(alpha, tbox, users=25)
    rows = api_for(partner_user).get("/api/v1/pools/").json()["results"]
    assert len(rows) == 1
    assert rows[0]["balance"] == 10
    assert rows[0]["forecast"]["needed"] == 25
    assert rows[0]["forecast"]["missing"] == 15
    assert rows[0]["forecast"]["runs_dry"]


def test_the_ledger_is_scoped_filtered_and_cursor_paginated(
    partner_user, reseller_user, alpha, alpha_reseller, beta, tbox, tsend, grant, api_for
):
    grant(alpha, tbox, 10)
    grant(alpha, tsend, 10)
    grant(alpha_reseller, tbox, 5)
    grant(beta, tbox, 10)
    client = api_for(partner_user)
    body = client.get("/api/v1/ledger/?per_page=2").json()
    assert len(body["results"]) == 2 and "cursor=" in body["next"]
    seen = [row["id"] for row in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]
    assert sorted(seen) == sorted(
        LicenseMovement.objects.filter(pool__organization__in=[alpha, alpha_reseller])
        .values_list("pk", flat=True)
    )
    tsend_rows = client.get("/api/v1/ledger/?product=TSEND").json()["results"]
    assert {row["product"] for row in tsend_rows} == {"TSEND"}
    reseller_rows = api_for(reseller_user).get("/api/v1/ledger/").json()["results"]
    assert {row["organization"] for row in reseller_rows} == {alpha_reseller.pk}


def test_clients_are_scoped(partner_user, alpha, beta, tbox, make_subscription, api_for):
    mine = make_subscription(alpha, tbox, name="Mine SA").client
    theirs = make_subscription(beta, tbox, name="Theirs SA").client
    client = api_for(partner_user)
    assert [row["id"] for row in client.get("/api/v1/clients/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/clients/{theirs.pk}/").status_code == 404
    assert client.get("/api/v1/clients/?q=mine").json()["results"][0]["name"] == "Mine SA"


def test_the_client_search_ignores_case_and_accents(
    partner_user, alpha, tbox, make_subscription, api_for
):
    make_subscription(alpha, tbox, name="Auto-École Garcia")
    make_subscription(alpha, tbox, name="Boulangerie Lefèvre")
    client = api_for(partner_user)
    for query, name in (("ecole", "Auto-École Garcia"), ("ÉCOLE", "Auto-École Garcia"),
                        ("lefevre", "Boulangerie Lefèvre")):
        found = client.get("/api/v1/clients/", {"q": query}).json()["results"]
        assert [row["name"] for row in found] == [name]


def test_a_list_takes_a_fixed_number_of_queries(
    partner_user, alpha, tbox, make_subscription, api_for
):
    client = api_for(partner_user)
    make_subscription(alpha, tbox)
    client.get("/api/v1/subscriptions/")  # records the token's first use
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/subscriptions/")
    for _ in range(20):
        make_subscription(alpha, tbox)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/subscriptions/")
    assert len(many) == len(few)


# --- renew ----------------------------------------------------------------------------


def test_it_renews_through_the_service_and_answers_201(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    response = _renew(api_for(partner_user), subscription, years=2, users=5)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["licenses"] == 10
    assert body["balance_after"] == 90
    assert body["subscription"]["status"] == Status.RENEWED
    assert body["start_date"] == (subscription.term_end + datetime.timedelta(days=1)).isoformat()
    assert balance(alpha, tbox) == 90


def test_the_same_idempotency_key_gets_the_same_answer_and_one_debit(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    client = api_for(partner_user)
    first = _renew(client, subscription, key="key-1")
    again = _renew(client, subscription, key="key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert balance(alpha, tbox) == 96
    assert Term.objects.filter(subscription=subscription, kind="renewal").count() == 1
    # The same key for another request is refused rather than replayed.
    other = _renew(client, subscription, key="key-1", years=3)
    assert other.status_code == 422
    assert other["Content-Type"].startswith(PROBLEM)


def test_it_requires_an_idempotency_key(partner_user, alpha, tbox, grant, expiring, api_for):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    response = api_for(partner_user).post(
        f"/api/v1/subscriptions/{subscription.pk}/renew/", {"years": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("idempotency_key")
    assert balance(alpha, tbox) == 100


def test_a_refusal_is_a_409_problem_with_the_missing_count(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 3)
    subscription = expiring(alpha, tbox, users=5)
    response = _renew(api_for(partner_user), subscription)
    assert response.status_code == 409
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 409
    assert body["missing"] == 2
    assert body["detail"]
    assert balance(alpha, tbox) == 3


def test_bad_input_is_a_400_problem_naming_the_field(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    response = _renew(api_for(partner_user), subscription, years=9)
    assert response.status_code == 400
    assert "years" in response.json()["errors"]
    assert balance(alpha, tbox) == 100


def test_read_only_users_cannot_write(viewer_user, alpha, tbox, grant, expiring, api_for):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    client = api_for(viewer_user)
    assert client.get("/api/v1/subscriptions/").status_code == 200
    assert _renew(client, subscription).status_code == 403
    bulk = client.post(
        "/api/v1/subscriptions/bulk-renew/", {"subscriptions": [subscription.pk]},
        format="json", HTTP_IDEMPOTENCY_KEY="k",
    )
    assert bulk.status_code == 403
    assert balance(alpha, tbox) == 100


def test_renewing_out_of_scope_is_404(
    other_partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    assert _renew(api_for(other_partner_user), subscription).status_code == 404
    assert balance(alpha, tbox) == 100


# --- bulk renew -----------------------------------------------------------------------


def test_it_renews_a_selection_once_per_key(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    selection = [expiring(alpha, tbox, users=3) for _ in range(4)]
    client = api_for(partner_user)
    payload = {"subscriptions": [s.pk for s in selection], "years": 2}
    first = client.post("/api/v1/subscriptions/bulk-renew/", payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="bulk-1")
    again = client.post("/api/v1/subscriptions/bulk-renew/", payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert first.status_code == 201, first.json()
    assert again.json() == first.json()
    assert first.json()["licenses"] == 24
    assert balance(alpha, tbox) == 76


def test_a_bulk_renewal_with_an_id_out_of_scope_is_404_and_changes_nothing(
    partner_user, alpha, beta, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    grant(beta, tbox, 100)
    mine, theirs = expiring(alpha, tbox), expiring(beta, tbox)
    response = api_for(partner_user).post(
        "/api/v1/subscriptions/bulk-renew/", {"subscriptions": [mine.pk, theirs.pk]},
        format="json", HTTP_IDEMPOTENCY_KEY="b",
    )
    assert response.status_code == 404
    assert (balance(alpha, tbox), balance(beta, tbox)) == (100, 100)


def test_a_short_bulk_renewal_is_a_409_listing_each_short_pool(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 5)
    selection = [expiring(alpha, tbox, users=3) for _ in range(3)]
    response = api_for(partner_user).post(
        "/api/v1/subscriptions/bulk-renew/", {"subscriptions": [s.pk for s in selection]},
        format="json", HTTP_IDEMPOTENCY_KEY="c",
    )
    assert response.status_code == 409
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    assert response.json()["missing"] == {str(pool.pk): 4}
    assert response.json()["detail"] == (
        "Nothing was renewed: the licenses remaining do not cover the selection. "
        "4 licenses of TBox are missing in the pool of Alpha Distribution "
        "(5 remaining, 9 needed)."
    )
    assert balance(alpha, tbox) == 5


# --- rate limit, schema, docs ---------------------------------------------------------


def test_it_limits_the_rate_per_token(partner_user, api_for, settings):
    settings.API_RATE = "3/min"
    client, other = api_for(partner_user), api_for(partner_user)
    statuses = [client.get("/api/v1/clients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/clients/")["Content-Type"].startswith(PROBLEM)
    assert other.get("/api/v1/clients/").status_code == 200


def test_the_schema_is_openapi_3_json(db, client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/subscriptions/{id}/renew/" in schema["paths"]


def test_the_docs_load_swagger_ui_from_our_static_files(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "<style" not in html
    assert all(
        src.startswith("/")
        for src in re.findall(r'(?:src|href)="([^"]+)"', html)
    )


def test_a_nul_character_in_a_search_is_a_400_not_a_500(partner_user, api_for):
    client = api_for(partner_user)
    assert client.get("/api/v1/clients/?q=a%00b").status_code == 400
    assert client.get("/api/v1/subscriptions/?q=a%00b").status_code == 400


@postgres_only("concurrent transactions on one unique key need PostgreSQL", transaction=True)
def test_racing_requests_with_one_idempotency_key_debit_once(
    partner_user, alpha, tbox, grant, expiring
):
    from tests.subscriptions.test_concurrency import run_together

    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    _token, key = ApiToken.issue(partner_user)

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.post(
            f"/api/v1/subscriptions/{subscription.pk}/renew/", {"years": 1}, format="json",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        return response.status_code, response.json()

    outcomes = run_together(*[call for _ in range(6)])
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    answers = [value for _kind, value in outcomes]
    assert {status for status, _body in answers} == {201}
    assert all(body == answers[0][1] for _status, body in answers)
    assert balance(alpha, tbox) == 96
    assert Term.objects.filter(subscription=subscription, kind="renewal").count() == 1


def test_a_key_sent_as_a_bearer_token_works_like_token(partner_user, alpha, tbox,
                                                       make_subscription):
    subscription = make_subscription(alpha, tbox)
    _token, key = ApiToken.issue(partner_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert [row["id"] for row in client.get("/api/v1/subscriptions/").json()["results"]] == [
        subscription.pk
    ]
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert client.get("/api/v1/subscriptions/").status_code == 401


def test_the_schema_declares_http_bearer_a_generated_client_uses_as_is(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": 'A key from API tokens: "Authorization: Bearer <key>" '
        '("Token <key>" is accepted too).',
    }


def test_a_key_whose_request_was_invalid_stores_nothing_and_serves_the_corrected_one(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    subscription = expiring(alpha, tbox, users=2)
    grant(alpha, tbox, 10)
    client, key = api_for(partner_user), str(uuid.uuid4())
    assert _renew(client, subscription, key, years=9).status_code == 400
    corrected = _renew(client, subscription, key, years=1)
    assert corrected.status_code == 201
    assert corrected["Idempotent-Replayed"] == "false"
    assert balance(alpha, tbox) == 8


def test_a_refusal_is_stored_with_its_key_and_answered_again(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    subscription = expiring(alpha, tbox, users=5)
    grant(alpha, tbox, 3)
    client, key = api_for(partner_user), str(uuid.uuid4())
    assert _renew(client, subscription, key).status_code == 409
    grant(alpha, tbox, 10)
    again = _renew(client, subscription, key)
    assert again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert balance(alpha, tbox) == 13
    assert _renew(client, subscription).status_code == 201
