"""POST /api/v1/clients/{id}/coterm/ (rule 20): a dry run writes nothing, the real one
writes once per Idempotency-Key, left-out subscriptions are lines, not errors."""

import datetime
import uuid

import pytest

from subscriptions.dates import span_cost
from subscriptions.models import CoTerming, LicensePool, Term, TermKind
from subscriptions.selectors.coterm import month_end
from tests.helpers.ledger import balance, ledger_matches, ledger_state

PROBLEM = "application/problem+json"
DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(alpha, beta, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY, users=4)
    later = make_subscription(
        alpha, tbox, start=today - 200 * DAY, end=today + 100 * DAY, users=3, client=soon.client
    )
    stranger = make_subscription(beta, tbox, start=today - 300 * DAY, end=today + 20 * DAY)
    return soon.client, soon, later, stranger


def _coterm(api, client, key=None, **data):
    headers = {} if key is False else {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4())}
    return api.post(f"/api/v1/clients/{client.pk}/coterm/", data, format="json", **headers)


def test_a_dry_run_answers_200_and_writes_nothing(family, partner_user, api_for, alpha, tbox):
    client, soon, later, _stranger = family
    end = later.term_end
    before = ledger_state()

    response = _coterm(api_for(partner_user), client, key=False, end=end.isoformat(),
                       subscriptions=[soon.pk, later.pk], dry_run=True)

    assert response.status_code == 200
    body = response.json()
    cost = span_cost(4, soon.term_end + DAY, end)
    assert body["end"] == end.isoformat() and body["dry_run"] is True
    assert body["lines"] == [
        {"subscription": soon.pk, "new_start": (soon.term_end + DAY).isoformat(),
         "new_end": end.isoformat(), "days": (end - soon.term_end).days, "users": 4,
         "cost": cost},
        {"subscription": later.pk, "left_out": "ends_on_or_after",
         "reason": "It already ends on or after this date."},
    ]
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    assert body["pools"] == [{"pool": pool.pk, "organization": alpha.pk,
                              "organization_name": "Alpha Distribution",
                              "product": "TBOX", "debit": cost, "balance": 100,
                              "balance_after": 100 - cost}]
    assert ledger_state() == before


def test_it_co_terms_once_per_key(family, partner_user, api_for, alpha, tbox, today):
    client, soon, _later, _stranger = family
    api = api_for(partner_user)
    end = month_end(today + 105 * DAY)
    key = str(uuid.uuid4())

    first = _coterm(api, client, key=key, end=end.isoformat())
    again = _coterm(api, client, key=key, end=end.isoformat())

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    body = first.json()
    assert body["coterming"] == CoTerming.objects.get().pk
    assert balance(alpha, tbox) == 100 - body["licenses"]
    assert ledger_matches(alpha, tbox)
    assert Term.objects.filter(kind=TermKind.COTERM).count() == 2
    assert {line["new_end"] for line in body["lines"]} == {end.isoformat()}
    # Its one ledger line names the client, although no single subscription.
    [line] = api.get("/api/v1/ledger/", {"kind": "coterm"}).json()["results"]
    assert (line["client"], line["subscription"], line["quantity"]) == (
        client.pk, None, -body["licenses"]
    )


@pytest.mark.parametrize("end", ["2099-01-31", "31/01/2026", "not a date", ""])
def test_a_bad_date_is_a_400_problem_and_nothing_changes(family, partner_user, api_for, end):
    client, soon, _later, _stranger = family
    before = ledger_state()
    for dry_run in (True, False):
        response = _coterm(api_for(partner_user), client, end=end, subscriptions=[soon.pk],
                           dry_run=dry_run)
        assert response.status_code == 400
        assert response["Content-Type"].startswith(PROBLEM)
    assert ledger_state() == before


def test_a_date_neither_an_end_nor_a_month_end_names_the_field(
    family, partner_user, api_for, today
):
    client, soon, _later, _stranger = family
    day = today + 45 * DAY
    if day == month_end(day):
        day -= DAY
    response = _coterm(api_for(partner_user), client, end=day.isoformat(), dry_run=True)
    assert response.status_code == 400
    assert response.json()["field"] == "end"
    assert "last day of a month" in response.json()["detail"]


def test_another_tenants_subscription_is_refused_never_extended(
    family, partner_user, api_for
):
    client, soon, later, stranger = family
    before = ledger_state()
    response = _coterm(api_for(partner_user), client, end=later.term_end.isoformat(),
                       subscriptions=[soon.pk, stranger.pk])
    assert response.status_code == 400 and response.json()["field"] == "subscriptions"
    assert ledger_state() == before
    stranger.refresh_from_db()
    assert stranger.previous_term_end is None


def test_a_short_pool_is_a_409_naming_what_is_missing(
    family, partner_user, api_for, alpha, tbox
):
    client, _soon, later, _stranger = family
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    LicensePool.objects.filter(pk=pool.pk).update(balance=0)
    response = _coterm(api_for(partner_user), client, end=later.term_end.isoformat())
    assert response.status_code == 409
    assert response.json()["missing"] == {str(pool.pk): span_cost(
        4, family[1].term_end + DAY, later.term_end
    )}


def test_read_only_403_and_other_tenant_404(
    family, viewer_user, other_partner_user, api_for
):
    client, _soon, later, _stranger = family
    end = later.term_end.isoformat()
    assert _coterm(api_for(viewer_user), client, end=end, dry_run=True).status_code == 403
    assert _coterm(api_for(other_partner_user), client, end=end).status_code == 404


def test_the_schema_describes_it(api_for, partner_user):
    schema = api_for(partner_user).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/clients/{id}/coterm/"]["post"]
    assert {"200", "201"} <= set(operation["responses"])
