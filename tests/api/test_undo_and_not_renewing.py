"""The API for undoing a renewal (rule 14) and the "not renewing" mark (rule 15): the same
services, scope, roles, idempotency and problem details as renew."""

import datetime
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from subscriptions import services
from subscriptions.models import LicenseMovement, MovementKind, Subscription, Term
from subscriptions.status import Status
from tests.helpers.ledger import balance, ledger_matches
from tests.helpers.markers import racing

PROBLEM = "application/problem+json"


def _renew(client, subscription, **data):
    return client.post(
        f"/api/v1/subscriptions/{subscription.pk}/renew/", data or {"years": 1},
        format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def _cancel(client, subscription, key=None):
    return client.post(
        f"/api/v1/subscriptions/{subscription.pk}/cancel-renewal/",
        format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def _mark(client, subscription, reason="price", comment=""):
    return client.post(
        f"/api/v1/subscriptions/{subscription.pk}/not-renewing/",
        {"reason": reason, "comment": comment}, format="json",
    )


def _clear(client, subscription):
    return client.delete(f"/api/v1/subscriptions/{subscription.pk}/not-renewing/")


def _due_ids(client, query=""):
    return [row["id"] for row in client.get(f"/api/v1/renewals-due/{query}").json()["results"]]


# --- cancel-renewal -------------------------------------------------------------------


def test_it_cancels_the_renewal_refunds_the_pool_and_restores_the_term(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    client = api_for(partner_user)
    assert _renew(client, subscription, years=2).status_code == 201
    assert balance(alpha, tbox) == 92

    response = _cancel(client, subscription)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["licenses_refunded"] == 8
    assert body["balance_after"] == 100
    assert body["subscription"]["status"] == Status.EXPIRING
    assert body["subscription"]["end_date"] == subscription.term_end.isoformat()
    assert body["subscription"]["queued_renewal"] is None
    cancelled = body["cancelled_renewal"]
    assert (cancelled["years"], cancelled["users"], cancelled["licenses"]) == (2, 4, 8)
    assert cancelled["start_date"] == (
        subscription.term_end + datetime.timedelta(days=1)
    ).isoformat()
    assert cancelled["cancelled_by"] == "partner" and cancelled["cancelled_at"]
    assert body["subscription"]["last_cancelled_renewal"] == cancelled
    # The ledger: the debit and its reversal, both on the cancelled term; the pool is back.
    assert balance(alpha, tbox) == 100
    term = Term.objects.get(subscription=subscription, kind="renewal")
    lines = LicenseMovement.objects.filter(term=term).order_by("pk")
    assert [(line.kind, line.quantity, line.balance_after) for line in lines] == [
        (MovementKind.RENEWAL, -8, 92), (MovementKind.REVERSAL, 8, 100),
    ]
    assert ledger_matches(alpha, tbox)
    ledger = client.get("/api/v1/ledger/?kind=reversal").json()["results"]
    assert [(row["quantity"], row["subscription"]) for row in ledger] == [(8, subscription.pk)]
    # The record shows it too, and it can be renewed again.
    shown = client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()
    assert shown["last_cancelled_renewal"]["id"] == term.pk
    assert shown["status"] == Status.EXPIRING
    assert _renew(client, subscription).status_code == 201


def test_the_same_key_replays_the_answer_and_refunds_once(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    client = api_for(partner_user)
    _renew(client, subscription)

    first = _cancel(client, subscription, key="undo-1")
    again = _cancel(client, subscription, key="undo-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == ("false", "true")
    assert LicenseMovement.objects.filter(kind=MovementKind.REVERSAL).count() == 1
    assert balance(alpha, tbox) == 100
    # A new key is a new attempt: never twice (rule 14).
    second = _cancel(client, subscription)
    assert second.status_code == 409
    assert second["Content-Type"].startswith(PROBLEM)
    assert second.json()["type"].endswith("/nothing_to_undo")
    assert second.json()["detail"]
    assert balance(alpha, tbox) == 100 and ledger_matches(alpha, tbox)


def test_it_requires_an_idempotency_key(partner_user, alpha, tbox, grant, expiring, api_for):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    client = api_for(partner_user)
    _renew(client, subscription)
    response = client.post(f"/api/v1/subscriptions/{subscription.pk}/cancel-renewal/")
    assert response.status_code == 400
    assert response.json()["type"].endswith("idempotency_key")
    assert Subscription.objects.with_status().get(pk=subscription.pk).status == Status.RENEWED


def test_it_refuses_once_the_term_has_started_and_seven_days_have_passed(
    partner_user, alpha, tbox, grant, make_subscription, today, api_for
):
    grant(alpha, tbox, 100)
    expired = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=35), users=3,
    )
    client = api_for(partner_user)
    renewed = _renew(client, expired).json()
    assert renewed["start_date"] == today.isoformat()  # restart: the new term runs already
    Term.objects.filter(subscription=expired, kind="renewal").update(
        created_at=timezone.now() - datetime.timedelta(hours=services.UNDO_HOURS + 1)
    )

    response = _cancel(client, expired)

    assert response.status_code == 409
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/too_late")
    assert "7 days" in response.json()["detail"]
    assert balance(alpha, tbox) == 97
    assert Subscription.objects.with_status().get(pk=expired.pk).status == Status.ACTIVE


def test_a_subscription_with_no_renewal_has_nothing_to_undo(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    response = _cancel(api_for(partner_user), expiring(alpha, tbox))
    assert response.status_code == 409
    assert response.json()["type"].endswith("/nothing_to_undo")
    assert balance(alpha, tbox) == 100


def test_a_partner_manager_undoes_its_resellers_renewal_into_the_resellers_pool(
    partner_user, reseller_user, alpha, alpha_reseller, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    subscription = expiring(alpha, tbox, reseller=alpha_reseller, users=5)
    assert _renew(api_for(reseller_user), subscription).status_code == 201

    response = _cancel(api_for(partner_user), subscription)

    assert response.status_code == 200
    assert response.json()["balance_after"] == 50
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (100, 50)
    assert ledger_matches(alpha_reseller, tbox)


# --- not renewing ---------------------------------------------------------------------


def test_mark_and_clear_round_trip(partner_user, alpha, tbox, expiring, api_for):
    subscription = expiring(alpha, tbox)
    other = expiring(alpha, tbox)
    client = api_for(partner_user)
    assert _due_ids(client) == [subscription.pk, other.pk]

    marked = _mark(client, subscription, reason="competitor", comment="Went elsewhere")

    assert marked.status_code == 200, marked.json()
    body = marked.json()
    assert body["id"] == subscription.pk
    assert body["status"] == Status.EXPIRING  # it keeps its status (rule 15)
    mark = body["not_renewing"]
    assert (mark["reason"], mark["comment"], mark["marked_by"]) == (
        "competitor", "Went elsewhere", "partner"
    )
    assert mark["reason_label"] == "Switched to a competitor"
    assert mark["marked_at"]
    assert client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()["not_renewing"] == mark
    # It leaves the renewals due; the filter shows it again, as /renewals/?not_renewing=1.
    assert _due_ids(client) == [other.pk]
    assert _due_ids(client, "?not_renewing=true") == [subscription.pk]
    assert _due_ids(client, "?not_renewing=1") == [subscription.pk]
    assert _due_ids(client, "?not_renewing=false") == [other.pk]
    marked_rows = client.get("/api/v1/subscriptions/?not_renewing=true").json()["results"]
    assert [row["id"] for row in marked_rows] == [subscription.pk]

    cleared = _clear(client, subscription)

    assert cleared.status_code == 200
    assert cleared.json()["not_renewing"] is None
    assert _due_ids(client) == [subscription.pk, other.pk]
    assert _due_ids(client, "?not_renewing=true") == []
    # Clearing again is harmless.
    assert _clear(client, subscription).status_code == 200


def test_the_not_renewing_filter_combines_with_the_others(
    partner_user, alpha, alpha_reseller, tbox, tsend, make_subscription, expiring, today,
    api_for,
):
    tbox_due = expiring(alpha, tbox)
    tsend_due = expiring(alpha, tsend, reseller=alpha_reseller)
    expired = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=35),
    )
    client = api_for(partner_user)
    for subscription in (tbox_due, tsend_due, expired):
        assert _mark(client, subscription).status_code == 200
    assert _due_ids(client) == []
    assert _due_ids(client, "?not_renewing=true&product=TSEND") == [tsend_due.pk]
    assert _due_ids(client, f"?not_renewing=true&reseller={alpha_reseller.pk}") == [
        tsend_due.pk
    ]
    assert _due_ids(client, "?not_renewing=true&status=expired") == [expired.pk]
    assert _due_ids(client, "?not_renewing=true") == [expired.pk, tbox_due.pk, tsend_due.pk]


def test_renewing_through_the_api_clears_the_mark(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox)
    client = api_for(partner_user)
    _mark(client, subscription)
    response = _renew(client, subscription)
    assert response.status_code == 201
    assert response.json()["subscription"]["not_renewing"] is None


def test_only_a_due_subscription_can_be_marked(
    partner_user, alpha, tbox, make_subscription, expiring, api_for
):
    active = make_subscription(alpha, tbox)
    client = api_for(partner_user)
    refused = _mark(client, active)
    assert refused.status_code == 409
    assert refused["Content-Type"].startswith(PROBLEM)
    assert refused.json()["type"].endswith("/not_to_renew")
    bad_reason = _mark(client, expiring(alpha, tbox), reason="whim")
    assert bad_reason.status_code == 400
    assert "reason" in bad_reason.json()["errors"]
    too_long = _mark(client, expiring(alpha, tbox), comment="x" * 501)
    assert too_long.status_code == 400
    assert "comment" in too_long.json()["errors"]
    assert not Subscription.objects.filter(not_renewing_reason__isnull=False).exists()


# --- roles and scope ------------------------------------------------------------------


def test_read_only_users_get_403_and_nothing_changes(
    partner_user, viewer_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    renewed, marked = expiring(alpha, tbox), expiring(alpha, tbox)
    manager = api_for(partner_user)
    _renew(manager, renewed)
    _mark(manager, marked)
    viewer = api_for(viewer_user)

    assert _cancel(viewer, renewed).status_code == 403
    assert _mark(viewer, renewed).status_code == 403
    assert _clear(viewer, marked).status_code == 403
    # 403 before anything else: the same for an id that does not exist.
    assert viewer.delete("/api/v1/subscriptions/999999/not-renewing/").status_code == 403

    assert balance(alpha, tbox) == 95
    statuses = Subscription.objects.with_status()
    assert statuses.get(pk=renewed.pk).status == Status.RENEWED
    assert statuses.get(pk=marked.pk).not_renewing_reason == "price"


def test_out_of_scope_is_404_and_nothing_changes(
    partner_user, other_partner_user, reseller_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    renewed, marked = expiring(alpha, tbox), expiring(alpha, tbox)
    manager = api_for(partner_user)
    _renew(manager, renewed)
    _mark(manager, marked)

    for outsider in (api_for(other_partner_user), api_for(reseller_user)):
        for response in (
            _cancel(outsider, renewed), _mark(outsider, renewed), _clear(outsider, marked)
        ):
            assert response.status_code == 404
            assert response["Content-Type"].startswith(PROBLEM)

    assert balance(alpha, tbox) == 95
    statuses = Subscription.objects.with_status()
    assert statuses.get(pk=renewed.pk).status == Status.RENEWED
    assert statuses.get(pk=marked.pk).not_renewing_reason == "price"


def test_lists_with_marks_and_undone_renewals_take_a_fixed_number_of_queries(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 1000)
    client = api_for(partner_user)

    def add_some():
        undone, marked = expiring(alpha, tbox), expiring(alpha, tbox)
        _renew(client, undone)
        _cancel(client, undone)
        _mark(client, marked)

    add_some()
    counts = []
    for _ in range(2):
        for path in ("/api/v1/subscriptions/", "/api/v1/renewals-due/",
                     "/api/v1/renewals-due/?not_renewing=true"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            counts.append(len(queries))
        for _ in range(5):
            add_some()
    assert counts[:3] == counts[3:]


@racing
def test_racing_undo_requests_refund_once(partner_user, alpha, tbox, grant, expiring):
    from tests.subscriptions.test_concurrency import run_together

    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    services.renew_subscription(actor=partner_user, subscription_id=subscription.pk, years=1)
    _token, key = ApiToken.issue(partner_user)

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = _cancel(client, subscription)  # each with its own key
        return response.status_code, response.json()

    outcomes = run_together(*[call for _ in range(6)])

    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    statuses = sorted(status for _kind, (status, _body) in outcomes)
    assert statuses == [200] + [409] * 5
    refused = [body for _kind, (status, body) in outcomes if status == 409]
    assert all(body["type"].endswith("/nothing_to_undo") for body in refused)
    assert LicenseMovement.objects.filter(kind=MovementKind.REVERSAL).count() == 1
    assert balance(alpha, tbox) == 100 and ledger_matches(alpha, tbox)
