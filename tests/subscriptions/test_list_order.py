"""Each subscription carries copies of its client's partner, reseller and name and of its
product's name, kept by database triggers (migration 0005). The scope of every
subscription query and the lists' default order (client name, then product name) read
them: whatever path changes a client or a product, the lists and the scope follow at once,
on SQLite and PostgreSQL alike."""

import datetime

import pytest
from django.db import connection
from django.test import Client as HttpClient
from rest_framework.test import APIClient

from subscriptions.dates import local_today
from subscriptions.models import Client, Product, Subscription
from tests.helpers import html, renames

pytestmark = pytest.mark.usefixtures("plain_http")


def row_ids(response):
    assert response.status_code == 200
    return html.row_ids(response)


def listed(user, url="/clients/?per_page=500"):
    client = HttpClient()
    client.force_login(user)
    return row_ids(client.get(url))


def by_names():
    """What the list must show: client name, product name, then creation."""
    rows = Subscription.objects.values_list("pk", "client__name", "product__name")
    return [pk for pk, _, _ in sorted(rows, key=lambda row: (row[1], row[2], row[0]))]


@pytest.fixture
def three_clients(alpha, tbox, tsend, make_subscription):
    zeta = make_subscription(alpha, tsend, name="Zeta")
    make_subscription(alpha, tbox, client=zeta.client)
    make_subscription(alpha, tbox, name="Mu")
    make_subscription(alpha, tbox, name="Alpha Corp")
    return zeta.client


def test_the_client_list_is_in_client_then_product_order(three_clients, partner_user):
    rows = {row.pk: f"{row.client.name}/{row.product.name}" for row in Subscription.objects.all()}
    names = [rows[pk] for pk in listed(partner_user)]
    assert names == ["Alpha Corp/TBox", "Mu/TBox", "Zeta/TBox", "Zeta/TSend"]


@pytest.mark.parametrize("how", renames.PATHS)
def test_renaming_a_client_moves_its_rows_whatever_the_path(how, three_clients, partner_user):
    zeta = three_clients
    renames.rename_client(zeta, "Aardvark", how)
    first_two = listed(partner_user)[:2]
    assert set(first_two) == set(zeta.subscriptions.values_list("pk", flat=True))
    assert listed(partner_user) == by_names()


def test_renaming_a_product_reorders_the_products_of_a_client(three_clients, partner_user, tbox):
    Product.objects.filter(pk=tbox.pk).update(name="Vault")
    zeta = set(three_clients.subscriptions.values_list("pk", flat=True))
    products = [
        Subscription.objects.get(pk=pk).product.name for pk in listed(partner_user) if pk in zeta
    ]
    assert products == ["TSend", "Vault"]
    assert listed(partner_user) == by_names()


def test_a_subscription_moved_to_another_client_takes_its_name(three_clients, partner_user):
    alpha_corp = Client.objects.get(name="Alpha Corp")
    moved = three_clients.subscriptions.get(product__name="TSend")
    moved.client = alpha_corp
    moved.save()
    assert listed(partner_user) == by_names()
    assert listed(partner_user)[1] == moved.pk


def test_what_python_writes_in_the_copies_is_overwritten(three_clients, partner_user):
    Subscription.objects.filter(client=three_clients).update(client_name="AAA")
    assert listed(partner_user) == by_names()


def test_every_page_of_staff_list_follows_the_names(
    alpha, beta, tbox, tsend, make_subscription, staff
):
    for index in range(12):
        partner = alpha if index % 2 else beta
        make_subscription(partner, tbox if index % 3 else tsend, name=f"Client {(index * 7) % 5}")
    pages = [listed(staff, f"/clients/?per_page=5&page={page}") for page in (1, 2, 3)]
    assert [pk for page in pages for pk in page] == by_names()
    # Sorting by client name explicitly, or by the product, reads the same copies.
    assert listed(staff, "/clients/?per_page=500&sort=client") == by_names()
    by_product = sorted(
        Subscription.objects.values_list("pk", "product__name"), key=lambda r: (r[1], r[0])
    )
    assert listed(staff, "/clients/?per_page=500&sort=product") == [pk for pk, _ in by_product]


def test_the_api_lists_in_id_order_for_its_cursor(three_clients, partner_user):
    # A cursor needs a key no write moves (docs/api.md): the names may change, ids not.
    client = APIClient()
    client.force_authenticate(partner_user)
    answer = client.get("/api/v1/subscriptions/")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["id"] for row in rows] == sorted(by_names())


def change_client(client, how, **values):
    if how == "save":
        for field, value in values.items():
            setattr(client, field, value)
        client.save()
    elif how == "update":
        Client.objects.filter(pk=client.pk).update(**values)
    else:
        columns = ", ".join(f"{Client._meta.get_field(f).column} = %s" for f in values)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE subscriptions_client SET {columns} WHERE id = %s",
                [getattr(v, "pk", v) for v in values.values()] + [client.pk],
            )


@pytest.mark.parametrize("how", ["save", "update", "sql"])
def test_moving_a_client_to_a_reseller_moves_its_subscriptions_into_that_scope(
    how, alpha, alpha_reseller, tbox, tsend, make_subscription, reseller_user, partner_user
):
    first = make_subscription(alpha, tbox, name="Kappa")
    second = make_subscription(alpha, tsend, client=first.client)
    assert listed(reseller_user) == []
    change_client(first.client, how, reseller=alpha_reseller)
    assert sorted(listed(reseller_user)) == sorted([first.pk, second.pk])
    assert sorted(listed(partner_user)) == sorted([first.pk, second.pk])
    # The reseller pays now: its pool is the one the list names.
    page = HttpClient()
    page.force_login(reseller_user)
    assert page.get(f"/subscriptions/{first.pk}/renew/").status_code == 200
    change_client(first.client, how, reseller=None)
    assert listed(reseller_user) == []
    assert page.get(f"/subscriptions/{first.pk}/renew/").status_code == 404


@pytest.mark.parametrize("how", ["save", "update", "sql"])
def test_moving_a_client_to_another_partner_moves_it_out_of_the_first_scope(
    how, alpha, beta, tbox, make_subscription, partner_user, other_partner_user
):
    moved = make_subscription(alpha, tbox, name="Lambda")
    change_client(moved.client, how, partner=beta)
    assert listed(partner_user) == []
    assert listed(other_partner_user) == [moved.pk]
    page = HttpClient()
    page.force_login(partner_user)
    assert page.get(f"/subscriptions/{moved.pk}/renew/").status_code == 404


def test_every_way_of_creating_a_subscription_fills_the_copies(
    alpha, alpha_reseller, tbox, tsend, grant, partner_user, make_subscription
):
    from subscriptions import services
    from subscriptions.services.idempotency import issue_token

    grant(alpha, tbox, 100)
    services.create_client(
        actor=partner_user,
        partner=alpha,
        reseller=None,
        name="Par le service",
        product=tbox,
        users=2,
        years=1,
        start_date=local_today(),
        token=issue_token(partner_user),
    )
    make_subscription(alpha, tsend, name="Directe", reseller=alpha_reseller)
    Subscription.objects.bulk_create(
        [
            Subscription(
                client=Client.objects.create(name="En masse", partner=alpha),
                product=tsend,
                term_start=datetime.date(2026, 1, 1),
                term_end=datetime.date(2026, 12, 31),
                users=1,
                years=1,
            )
        ]
    )
    copies = Subscription.objects.values_list(
        "client_partner_id", "client_reseller_id", "client_name", "product_name",
        "client__partner_id", "client__reseller_id", "client__name", "product__name",
    )
    assert len(copies) == 3
    for row in copies:
        assert row[:4] == row[4:]
