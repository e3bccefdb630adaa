"""A bulk renewal's answer names objects by id as every other answer does, and its
refusal names each subscription refused with the request field and a code
(docs/api.md, *Renew a selection*)."""

import pytest
from django.test import Client

from subscriptions.models import LicensePool, Term
from tests.helpers.ledger import balance

BULK = "/api/v1/subscriptions/bulk-renew/"


def _bulk(client, ids, key, years=1):
    return client.post(BULK, {"subscriptions": ids, "years": years}, format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_the_answer_names_the_pool_and_its_organization_by_id(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 20)
    selection = [expiring(alpha, tbox, users=2) for _ in range(2)]
    ids = [row.pk for row in selection]
    body = _bulk(api_for(partner_user), ids, "names").json()
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    assert body["subscriptions"] == ids
    assert [line["subscription"] for line in body["renewals"]] == ids
    assert body["pools"] == [{
        "pool": pool.pk, "pool_id": pool.pk, "organization": alpha.pk,
        "organization_name": "Alpha Distribution", "product": "TBOX", "balance": 20,
        "debit": 4, "balance_after": 16,
    }]
    # The first spellings stay, for the clients built on them.
    assert body["subscription_ids"] == ids
    assert [line["subscription_id"] for line in body["renewals"]] == ids


def test_a_refused_selection_names_each_subscription_refused_and_changes_nothing(
    partner_user, alpha, tbox, grant, expiring, make_subscription, api_for, today
):
    grant(alpha, tbox, 50)
    due = expiring(alpha, tbox)
    renewed = expiring(alpha, tbox, renewal_years=1)
    not_started = make_subscription(alpha, tbox, start=today.replace(year=today.year + 1))
    terms = Term.objects.count()
    answer = _bulk(api_for(partner_user), [due.pk, renewed.pk, not_started.pk], "refused")
    assert answer.status_code == 409
    body = answer.json()
    assert body["field"] == "subscriptions"
    assert [(item["subscription"], item["field"], item["code"]) for item in body["items"]] == [
        (renewed.pk, "subscriptions.1", "already_renewed"),
        (not_started.pk, "subscriptions.2", "not_started"),
    ]
    assert body["items"][0]["detail"].endswith(
        "This subscription already has a renewal that has not started yet."
    )
    assert (Term.objects.count(), balance(alpha, tbox)) == (terms, 50)


def test_ids_outside_the_scope_are_each_named_in_the_404(
    partner_user, alpha, beta, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 50)
    mine, theirs = expiring(alpha, tbox), expiring(beta, tbox)
    answer = _bulk(api_for(partner_user), [mine.pk, theirs.pk, 10**9], "scope")
    assert answer.status_code == 404
    assert [(item["subscription"], item["field"], item["code"])
            for item in answer.json()["items"]] == [
        (theirs.pk, "subscriptions.1", "not_found"), (10**9, "subscriptions.2", "not_found"),
    ]
    assert balance(alpha, tbox) == 50


def test_a_short_pool_names_the_subscriptions_it_cannot_pay(
    partner_user, alpha, beta, tbox, tsend, grant, expiring, api_for
):
    grant(alpha, tbox, 50)
    grant(alpha, tsend, 1)
    paid, unpaid = expiring(alpha, tbox, users=2), expiring(alpha, tsend, users=3)
    answer = _bulk(api_for(partner_user), [unpaid.pk, paid.pk], "short")
    assert answer.status_code == 409
    body = answer.json()
    pool = LicensePool.objects.get(organization=alpha, product=tsend)
    assert body["missing"] == {str(pool.pk): 2}
    assert [(item["subscription"], item["field"], item["code"]) for item in body["items"]] == [
        (unpaid.pk, "subscriptions.0", "not_enough_licenses"),
    ]
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (50, 1)


def test_a_replayed_refusal_names_the_same_items(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 50)
    renewed = expiring(alpha, tbox, renewal_years=1)
    client = api_for(partner_user)
    first, again = _bulk(client, [renewed.pk], "same"), _bulk(client, [renewed.pk], "same")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and first.json()["items"]


@pytest.mark.parametrize("component,deprecated", [
    ("BulkRenewalResult", "subscription_ids"), ("BulkLine", "subscription_id"),
    ("BulkPool", "pool_id"),
])
def test_the_schema_models_the_answer_and_the_refusal(db, component, deprecated):
    schemas = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schemas[component]["properties"][deprecated]["deprecated"] is True
    assert schemas["BulkPool"]["properties"]["organization"]["type"] == "integer"
    assert schemas["CotermPool"]["properties"]["organization"]["type"] == "integer"
    item = schemas["Problem"]["properties"]["items"]["items"]["$ref"]
    assert item == "#/components/schemas/ProblemItem"
    assert set(schemas["ProblemItem"]["required"]) == {"subscription", "field", "code", "detail"}
