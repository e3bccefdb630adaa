"""The API's add-users (docs/rules.md rule 19) and the undo endpoint covering add-ons
(rule 21): same services, scope, roles, Idempotency-Key and problem details as renew."""

import uuid

import pytest

from subscriptions.dates import local_today, span_cost
from subscriptions.models import Subscription
from subscriptions.models_addon import TermChange
from tests.helpers.ledger import balance, ledger_matches

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _add(client, subscription, users, key=None):
    return client.post(
        f"/api/v1/subscriptions/{subscription.pk}/add-users/", {"users": users},
        format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def test_it_adds_users_and_answers_the_split_and_balance(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    response = _add(api_for(partner_user), subscription, 30)
    assert response.status_code == 201, response.content
    body = response.json()
    cost = span_cost(30, local_today(), subscription.term_end)
    assert body["licenses"] == cost and body["users"] == 30
    assert body["balance_after"] == 100 - cost == balance(alpha, tbox)
    assert [(part["term"], part["licenses"]) for part in body["split"]] == [("current", cost)]
    assert body["subscription"]["users"] == 34
    assert ledger_matches(alpha, tbox)


def test_the_same_key_adds_once_and_replays_the_answer(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    client = api_for(partner_user)
    first = _add(client, subscription, 30, key="add-1")
    again = _add(client, subscription, 30, key="add-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Subscription.objects.get(pk=subscription.pk).users == 34
    assert TermChange.objects.count() == 1


@pytest.mark.parametrize("users", [0, 100_001, "many", None])
def test_bad_users_are_a_400_naming_the_field(
    partner_user, alpha, tbox, grant, expiring, api_for, users
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    response = _add(api_for(partner_user), subscription, users)
    assert response.status_code == 400 and "users" in response.json()["errors"]
    assert balance(alpha, tbox) == 100


def test_past_100_000_in_total_is_a_400_problem(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 10_000_000)
    subscription = expiring(alpha, tbox, users=4)
    response = _add(api_for(partner_user), subscription, 99_999)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert response.json()["field"] == "users"


def test_a_short_pool_is_a_409_with_the_missing_licenses(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 1)
    subscription = expiring(alpha, tbox, users=4)
    response = _add(api_for(partner_user), subscription, 100)
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("/not_enough_licenses")
    assert body["missing"] == span_cost(100, local_today(), subscription.term_end) - 1
    assert balance(alpha, tbox) == 1


def test_an_expired_subscription_is_a_409(
    partner_user, alpha, tbox, grant, make_subscription, today, api_for
):
    grant(alpha, tbox, 100)
    expired = make_subscription(alpha, tbox, start=today.replace(year=today.year - 2),
                                end=today.replace(year=today.year - 1))
    response = _add(api_for(partner_user), expired, 1)
    assert response.status_code == 409 and response.json()["type"].endswith("/expired")


def test_read_only_is_403_and_out_of_scope_404(
    partner_user, viewer_user, other_partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    assert _add(api_for(viewer_user), subscription, 1).status_code == 403
    assert _add(api_for(other_partner_user), subscription, 1).status_code == 404
    assert balance(alpha, tbox) == 100


def test_the_undo_endpoint_undoes_the_add_on_then_nothing_earlier(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 100)
    subscription = expiring(alpha, tbox, users=4)
    client = api_for(partner_user)
    renewed = client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/", {"years": 1},
                          format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert renewed.status_code == 201
    added = _add(client, subscription, 10).json()

    undone = client.post(f"/api/v1/subscriptions/{subscription.pk}/cancel-renewal/",
                         format="json", HTTP_IDEMPOTENCY_KEY="u-1")
    assert undone.status_code == 200, undone.content
    body = undone.json()
    assert body["undone"] == "addon" and body["cancelled_renewal"] is None
    assert body["cancelled_addon"]["users"] == 10
    assert body["licenses_refunded"] == added["licenses"]
    assert body["balance_after"] == 96 == balance(alpha, tbox)
    assert body["subscription"]["users"] == 4

    again = client.post(f"/api/v1/subscriptions/{subscription.pk}/cancel-renewal/",
                        format="json", HTTP_IDEMPOTENCY_KEY="u-2")
    assert again.status_code == 409 and again.json()["type"].endswith("/nothing_to_undo")
    assert balance(alpha, tbox) == 96
