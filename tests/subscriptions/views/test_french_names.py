"""Finding and sorting French names (docs/interface.md, "Lists"): the search ignores case
and accents, and names sort in French alphabetical order, on SQLite and PostgreSQL alike
(this module runs on both)."""

import datetime

import pytest

from accounts.models import Organization, OrganizationKind
from subscriptions.models import Subscription
from tests.helpers import renames
from tests.helpers.html import options, row_ids

# In the order a French reader expects: accents and case do not move a name out of its
# letter (*Bâtiment* before *Boulangerie* and *Bureau*, *Écluse* and *élan* among the E,
# *Œuvres* among the O).
FRENCH_ORDER = [
    "Atelier Roux",
    "Auto-École Garcia",
    "Bâtiment Durand",
    "Boulangerie Lefèvre",
    "Bureau Martin",
    "Eau Vive",
    "Écluse SARL",
    "élan Sport",
    "Étude Notariale",
    "Œuvres Sociales",
    "Zèbre Conseil",
    "zinc bar",
]


@pytest.fixture
def french_clients(alpha, tbox, make_subscription, today):
    """One subscription per name, all to renew (ending in ten days), created out of order."""
    start = today - datetime.timedelta(days=355)
    end = today + datetime.timedelta(days=10)
    return {
        name: make_subscription(alpha, tbox, name=name, start=start, end=end)
        for name in reversed(FRENCH_ORDER)
    }


def names_listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    names = dict(Subscription.objects.values_list("pk", "client__name"))
    return [names[pk] for pk in row_ids(response)]


@pytest.mark.parametrize("query", ["ecole", "ÉCOLE", "école", "Ecole", "auto-ecole garcia"])
@pytest.mark.parametrize("page", ["/clients/", "/renewals/"])
def test_the_search_ignores_case_and_accents(browse, french_clients, partner_user, page, query):
    found = names_listed(browse(partner_user), f"{page}?q={query}")
    assert found == ["Auto-École Garcia"]


@pytest.mark.parametrize("page", ["/clients/", "/renewals/"])
def test_a_plain_search_finds_the_accented_name(browse, french_clients, partner_user, page):
    assert names_listed(browse(partner_user), f"{page}?q=lefevre") == ["Boulangerie Lefèvre"]
    assert names_listed(browse(partner_user), f"{page}?q=LEFÈVRE") == ["Boulangerie Lefèvre"]
    assert names_listed(browse(partner_user), f"{page}?q=oeuvres") == ["Œuvres Sociales"]


@pytest.mark.parametrize("how", renames.PATHS)
def test_a_renamed_client_is_found_by_its_new_name_only(
    browse, french_clients, partner_user, how
):
    # The search compares the name folded when it was written: every way of renaming a
    # client must fold the new one.
    renames.rename_client(french_clients["Eau Vive"].client, "Œnologie Dûpont", how)
    assert names_listed(browse(partner_user), "/clients/?q=oenologie dupont") == [
        "Œnologie Dûpont"
    ]
    assert names_listed(browse(partner_user), "/clients/?q=vive") == []


@pytest.mark.parametrize("query", ["ecoles", "%25", "_", "e%25e"])
def test_a_search_matching_no_name_lists_nothing(browse, french_clients, partner_user, query):
    # `%` and `_` are letters to look for, not patterns.
    assert names_listed(browse(partner_user), f"/clients/?q={query}") == []


def test_the_client_list_sorts_names_in_french_alphabetical_order(
    browse, french_clients, partner_user
):
    client = browse(partner_user)
    assert names_listed(client, "/clients/?sort=client") == FRENCH_ORDER
    assert names_listed(client, "/clients/?sort=-client") == FRENCH_ORDER[::-1]
    # The list's default order is the same.
    assert names_listed(client, "/clients/") == FRENCH_ORDER


def test_the_renewals_list_sorts_names_in_french_alphabetical_order(
    browse, french_clients, partner_user
):
    assert names_listed(browse(partner_user), "/renewals/?sort=client") == FRENCH_ORDER


def test_the_organization_search_ignores_case_and_accents(browse, alpha, partner_user):
    reseller = Organization.objects.create(
        kind=OrganizationKind.RESELLER, parent=alpha, name="Électricité Revente"
    )
    for query in ("electricite", "ÉLECTRICITÉ", "électricité"):
        response = browse(partner_user).get(
            "/organizations/options/", {"q": query, "kind": "reseller"}
        )
        assert response.status_code == 200
        found = options(response.content.decode())
        assert [(value, label) for value, label, _selected in found] == [
            (str(reseller.pk), "Électricité Revente")
        ]
