"""Keeping a copy in step through the API (docs/api.md, *Keeping a copy in step*):
`updated_at` on every object, moved by every write, web and API alike; the
`updated_since` and `client` filters; cursor pages that neither skip nor repeat a row
written while a client pages through them."""

import datetime
import uuid

import pytest
from django.utils import timezone

from subscriptions.models import Client, LicensePool, Subscription
from subscriptions.services.idempotency import issue_token
from tests.helpers.web import browser

LISTS = ["/api/v1/clients/", "/api/v1/subscriptions/", "/api/v1/renewals-due/",
         "/api/v1/pools/", "/api/v1/ledger/"]


def _since(moment):
    return {"updated_since": moment.isoformat()}


def _all_pages(client, path, **params):
    """The ids of every row of a list, following `next`, and the pages' sizes."""
    answer = client.get(path, params).json()
    ids, sizes = [], []
    while True:
        ids += [row["id"] for row in answer["results"]]
        sizes.append(len(answer["results"]))
        if not answer["next"]:
            return ids, sizes
        answer = client.get(answer["next"]).json()


def _renew(client, subscription, **data):
    return client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/", data or {"years": 1},
                       format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


# --- updated_at -----------------------------------------------------------------------


def test_every_object_the_api_lists_carries_its_updated_at(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 10)
    subscription = expiring(alpha, tbox)
    client = api_for(partner_user)
    for path in LISTS:
        rows = client.get(path).json()["results"]
        assert rows, path
        for row in rows:
            assert datetime.datetime.fromisoformat(row["updated_at"]), path
    line = client.get("/api/v1/ledger/").json()["results"][0]
    assert line["updated_at"] == line["created_at"]  # a ledger line never changes
    assert client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()["updated_at"]


def test_a_renewal_through_the_api_moves_the_subscriptions_and_the_pools_updated_at(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 10)
    renewed, untouched = expiring(alpha, tbox, users=2), expiring(alpha, tbox, users=2)
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    before = {row.pk: row.updated_at for row in Subscription.objects.all()}
    pool_before = pool.updated_at
    client = api_for(partner_user)

    answer = _renew(client, renewed)

    assert answer.status_code == 201, answer.json()
    renewed.refresh_from_db()
    untouched.refresh_from_db()
    pool.refresh_from_db()
    assert renewed.updated_at > before[renewed.pk]
    assert untouched.updated_at == before[untouched.pk]
    assert pool.updated_at > pool_before
    # The answer tells the time the row now holds, as a later read does.
    shown = answer.json()["subscription"]["updated_at"]
    assert shown == client.get(f"/api/v1/subscriptions/{renewed.pk}/").json()["updated_at"]
    assert datetime.datetime.fromisoformat(shown) == renewed.updated_at
    since = max(before.values()) + datetime.timedelta(microseconds=1)
    changed = client.get("/api/v1/subscriptions/", _since(since))
    assert [row["id"] for row in changed.json()["results"]] == [renewed.pk]
    pools = client.get("/api/v1/pools/", _since(pool_before + datetime.timedelta(microseconds=1)))
    assert [row["id"] for row in pools.json()["results"]] == [pool.pk]


def test_a_renewal_on_the_web_page_moves_updated_at_too(
    partner_user, alpha, tbox, grant, expiring
):
    grant(alpha, tbox, 10)
    subscription = expiring(alpha, tbox, users=2)
    before = subscription.updated_at
    response = browser(partner_user).post(
        f"/subscriptions/{subscription.pk}/renew/",
        {"years": 1, "users": 2, "token": issue_token(partner_user)},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.term_end > subscription.previous_term_end
    assert subscription.updated_at > before


def test_a_bulk_renewal_moves_each_renewed_subscriptions_updated_at(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 20)
    selection = [expiring(alpha, tbox, users=2) for _ in range(3)]
    before = {row.pk: row.updated_at for row in selection}
    answer = api_for(partner_user).post(
        "/api/v1/subscriptions/bulk-renew/", {"subscriptions": [row.pk for row in selection]},
        format="json", HTTP_IDEMPOTENCY_KEY="sync-bulk",
    )
    assert answer.status_code == 201, answer.json()
    for row in Subscription.objects.filter(pk__in=before):
        assert row.updated_at > before[row.pk]


@pytest.mark.parametrize("write", ["not_renewing", "plan", "add_users", "undo"])
def test_every_other_write_moves_updated_at(
    write, partner_user, alpha, tbox, grant, expiring, make_subscription, api_for
):
    grant(alpha, tbox, 50)
    client = api_for(partner_user)
    if write == "add_users":
        subscription = make_subscription(alpha, tbox)
    else:
        subscription = expiring(alpha, tbox)
    if write == "undo":
        assert _renew(client, subscription).status_code == 201
    subscription.refresh_from_db()
    before = subscription.updated_at
    path = f"/api/v1/subscriptions/{subscription.pk}/"
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    answer = {
        "not_renewing": lambda: client.post(path + "not-renewing/", {"reason": "price"},
                                            format="json"),
        "plan": lambda: client.patch(path, {"auto_renew": True}, format="json"),
        "add_users": lambda: client.post(path + "add-users/", {"users": 2}, format="json",
                                         **key),
        "undo": lambda: client.post(path + "cancel-renewal/", **key),
    }[write]()
    assert answer.status_code in (200, 201), answer.json()
    subscription.refresh_from_db()
    assert subscription.updated_at > before


def test_a_client_edited_by_save_moves_its_updated_at(partner_user, alpha, tbox, expiring):
    client = expiring(alpha, tbox).client
    before = client.updated_at
    client.name = "Renamed SA"
    client.save()
    client.refresh_from_db()
    assert client.updated_at > before


# --- updated_since, client ------------------------------------------------------------


def test_updated_since_keeps_the_rows_changed_at_or_after_it_on_every_list(
    partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 10)
    expiring(alpha, tbox)
    client = api_for(partner_user)
    later = timezone.now() + datetime.timedelta(minutes=1)
    earlier = timezone.now() - datetime.timedelta(days=1)
    for path in LISTS:
        assert client.get(path, _since(later)).json()["results"] == [], path
        assert client.get(path, _since(earlier)).json()["results"], path


def test_updated_since_reads_an_offset_sent_unencoded_and_a_time_without_one(
    partner_user, alpha, tbox, expiring, api_for
):
    subscription = expiring(alpha, tbox)
    client = api_for(partner_user)
    stamp = subscription.updated_at.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    # `+01:00` in a query string that was not encoded arrives as ` 01:00`.
    raw = client.get(f"/api/v1/subscriptions/?updated_since={stamp.isoformat()}")
    assert [row["id"] for row in raw.json()["results"]] == [subscription.pk]
    naive = timezone.localtime(subscription.updated_at).replace(tzinfo=None)
    local = client.get("/api/v1/subscriptions/", {"updated_since": naive.isoformat()})
    assert [row["id"] for row in local.json()["results"]] == [subscription.pk]


@pytest.mark.parametrize("path", LISTS)
def test_an_offset_iso_8601_allows_beyond_postgresqls_range_still_filters(
    partner_user, alpha, tbox, grant, expiring, api_for, path
):
    """ISO 8601 allows offsets up to 23:59; PostgreSQL refuses those past 15:59."""
    grant(alpha, tbox, 10)
    expiring(alpha, tbox)
    client = api_for(partner_user)
    far_east = (timezone.now() - datetime.timedelta(days=1)).astimezone(
        datetime.timezone(datetime.timedelta(hours=23, minutes=27))
    )
    answer = client.get(path, {"updated_since": far_east.isoformat()})
    assert answer.status_code == 200
    assert answer.json()["results"], path


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01T00:00:00",
                                   "0001-01-01T00:00:00+05:00", "2026-12-06T25:00"])
def test_a_bad_updated_since_is_a_400_naming_it(partner_user, api_for, path, value):
    answer = api_for(partner_user).get(path, {"updated_since": value})
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert list(answer.json()["errors"]) == ["updated_since"]


def test_the_client_filter_keeps_one_clients_subscriptions(
    partner_user, alpha, tbox, tsend, expiring, make_subscription, api_for
):
    first = expiring(alpha, tbox)
    second = make_subscription(alpha, tsend, client=first.client)
    expiring(alpha, tbox)  # another client's
    answer = api_for(partner_user).get("/api/v1/subscriptions/", {"client": first.client_id})
    assert sorted(row["id"] for row in answer.json()["results"]) == [first.pk, second.pk]


@pytest.mark.parametrize("value,status", [("abc", 400), ("0", 400), ("", 400),
                                          ("9223372036854775808", 404)])
def test_a_bad_client_filter_is_refused_naming_it(partner_user, api_for, value, status):
    answer = api_for(partner_user).get("/api/v1/subscriptions/", {"client": value})
    assert answer.status_code == status
    if status == 400:
        assert list(answer.json()["errors"]) == ["client"]


def test_a_client_outside_the_scope_is_a_404(partner_user, beta, tbox, expiring, api_for):
    theirs = expiring(beta, tbox)
    answer = api_for(partner_user).get("/api/v1/subscriptions/", {"client": theirs.client_id})
    assert answer.status_code == 404
    assert answer.json()["type"].endswith("/not_found")


# --- cursor pages ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/subscriptions/", "/api/v1/clients/"])
def test_a_row_written_while_paging_is_neither_skipped_nor_repeated(
    path, partner_user, alpha, tbox, grant, expiring, api_for
):
    grant(alpha, tbox, 50)
    rows = [expiring(alpha, tbox, users=1, name=f"Client {index}") for index in range(5)]
    client = api_for(partner_user)
    first = client.get(path, {"per_page": 2}).json()
    seen = [row["id"] for row in first["results"]]
    # While the client reads page one: a new client and subscription, a renewal and a
    # rename of rows already read (the screens' name order would move both).
    added = expiring(alpha, tbox, users=1, name="AAA first by name")
    assert _renew(client, rows[0]).status_code == 201
    Client.objects.filter(pk=rows[1].client_id).update(name="ZZZ last by name")
    answer = client.get(first["next"]).json()
    while True:
        seen += [row["id"] for row in answer["results"]]
        if not answer["next"]:
            break
        answer = client.get(answer["next"]).json()
    expected = [row.pk if "subscriptions" in path else row.client_id for row in rows]
    expected.append(added.pk if "subscriptions" in path else added.client_id)
    assert seen == sorted(expected)


def test_a_page_number_on_a_cursor_list_is_a_400_rather_than_page_one_again(
    partner_user, api_for
):
    answer = api_for(partner_user).get("/api/v1/subscriptions/", {"page": 2})
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["page"]


def test_the_renewals_due_keep_their_numbered_pages(
    partner_user, alpha, tbox, expiring, api_for
):
    for _ in range(3):
        expiring(alpha, tbox)
    answer = api_for(partner_user).get("/api/v1/renewals-due/", {"per_page": 2}).json()
    assert answer["count"] == 3
    assert "page=2" in answer["next"]
    ids, sizes = _all_pages(api_for(partner_user), "/api/v1/renewals-due/", per_page=2)
    assert sizes == [2, 1] and len(set(ids)) == 3


def test_a_bad_updated_since_is_explained_in_the_callers_language(partner_user, api_for):
    client = api_for(partner_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {client.key}", HTTP_ACCEPT_LANGUAGE="fr")
    answer = client.get("/api/v1/ledger/", {"updated_since": "hier"})
    assert answer.json()["errors"]["updated_since"] == [
        "Saisissez une date et une heure au format ISO 8601, par exemple "
        "2026-12-06T21:44:18+01:00."
    ]
