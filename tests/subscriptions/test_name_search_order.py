"""The client list searched by name alone reads its pages from the first matching clients
by name (selectors.searched_name_keys) instead of fetching every match to sort it: the
same rows, in the same order, page after page, for staff, a partner and a reseller, on
both databases."""

import random

import pytest
from django.test import Client as HttpClient

from subscriptions import selectors
from subscriptions.models import Client, Subscription
from tests.helpers.html import row_ids

pytestmark = pytest.mark.usefixtures("plain_http")

# Names the search for "dupont" finds, with accents and case mixed, several of them
# twice (different clients, same name: their subscriptions interleave by product).
MATCHING = ["Dupont", "dupont & fils", "Dûpont Bâtiment", "Atelier Dupont", "DUPONT SA"]
OTHERS = ["Durand", "Martin", "Zèbre Conseil", "Écluse"]


@pytest.fixture
def named_clients(alpha, beta, alpha_reseller, tbox, tsend, make_subscription):
    """Sixty clients of two partners: one or two subscriptions each (TBox and TSend), the
    same names over and over, and matching clients without any subscription in between."""
    rng = random.Random(11)
    for index in range(60):
        partner = rng.choice((alpha, beta))
        reseller = alpha_reseller if partner == alpha and rng.random() < 0.3 else None
        name = rng.choice(MATCHING + OTHERS)
        if index % 9 == 0:
            Client.objects.create(name=name, partner=partner, reseller=reseller)
            continue
        first = make_subscription(
            partner, rng.choice((tbox, tsend)), name=name, reseller=reseller
        )
        if rng.random() < 0.4:
            other = tsend if first.product == tbox else tbox
            make_subscription(partner, other, client=first.client)


def full_sort(user, *, descending=False):
    """What sorting every subscription that matches gives (the list's default order)."""
    sign = "-" if descending else ""
    return list(
        selectors.subscription_rows(user)
        .filter(client__name_folded__contains="dupont")
        .order_by(f"{sign}client_name", f"{sign}product_name", f"{sign}pk")
        .values_list("pk", flat=True)
    )


@pytest.fixture(params=["staff", "partner_user", "reseller_user"])
def reader(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_the_keys_of_each_page_are_those_of_the_full_sort(
    named_clients, staff, reader, descending
):
    assert len(full_sort(staff)) > 25
    expected = full_sort(reader, descending=descending)
    assert expected
    for limit in (1, 4, 25):
        for offset in range(0, len(expected) + 6, limit):
            keys = selectors.searched_name_keys(
                reader, "DÛPONT", offset=offset, limit=limit, descending=descending
            )
            assert keys == expected[offset:offset + limit], (offset, limit)


def test_a_text_no_client_has_gives_no_key(named_clients, staff):
    assert selectors.searched_name_keys(staff, "dupontel", offset=0, limit=25) == []


def test_a_partner_s_keys_are_its_own(named_clients, partner_user, staff):
    own = set(selectors.searched_name_keys(partner_user, "dupont", offset=0, limit=500))
    everyone = set(selectors.searched_name_keys(staff, "dupont", offset=0, limit=500))
    assert own == set(full_sort(partner_user))
    assert own < everyone


@pytest.mark.parametrize("sort", ["", "client", "-client"])
def test_pages_searched_by_name_follow_one_another(named_clients, reader, sort):
    client = HttpClient()
    client.force_login(reader)
    expected = full_sort(reader, descending=sort == "-client")
    shown = []
    for page in range(1, -(-len(expected) // 10) + 1):
        response = client.get(f"/clients/?q=dupont&sort={sort}&per_page=10&page={page}")
        assert response.status_code == 200
        shown += row_ids(response)
    assert shown == expected


def test_a_search_with_another_filter_lists_the_same_rows(named_clients, partner_user, tbox):
    """With a product filter too, the list sorts the matches itself: the same rows."""
    client = HttpClient()
    client.force_login(partner_user)
    response = client.get(f"/clients/?q=dupont&product={tbox.code}&per_page=100")
    tbox_ones = set(Subscription.objects.filter(product=tbox).values_list("pk", flat=True))
    expected = [pk for pk in full_sort(partner_user) if pk in tbox_ones]
    assert 0 < len(expected) < len(full_sort(partner_user))
    assert row_ids(response) == expected
