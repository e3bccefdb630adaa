"""Pages run a fixed number of queries, whatever the number of rows they show."""

import datetime

import pytest
from django.test import Client as HttpClient

from accounts.models import Organization, OrganizationKind
from subscriptions import services
from subscriptions.models import LicensePool, Subscription
from tests.helpers.web import queries_for

# Session, user, membership, then the page's own reads; a margin for the middleware.
BUDGET = 16


pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def add_rows(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today):
    """add_rows(n): n more Alpha subscriptions over every status, a third of them managed
    by its reseller, and as many ledger lines."""
    grant(alpha, tbox, 10)
    grant(alpha_reseller, tbox, 10)
    shapes = [
        {"end": today + datetime.timedelta(days=15)},
        {"start": today - datetime.timedelta(days=500), "end": today - datetime.timedelta(days=5)},
        {"start": today - datetime.timedelta(days=30)},
        {"start": today + datetime.timedelta(days=30)},
        {"start": today - datetime.timedelta(days=300), "renewal_years": 1},
    ]
    made = {"n": 0}

    def _add(n):
        for _ in range(n):
            i = made["n"]
            made["n"] += 1
            make_subscription(
                alpha,
                tsend if i % 4 == 3 else tbox,
                reseller=alpha_reseller if i % 3 == 0 else None,
                users=1 + i % 7,
                **shapes[i % len(shapes)],
            )
            services.grant_licenses(partner=alpha, product=tbox, quantity=1)

    return _add


@pytest.fixture
def partner_client(partner_user):
    client = HttpClient()
    client.force_login(partner_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/clients/?per_page=500",
        "/renewals/?per_page=500",
        "/licenses/?per_page=500",
        "/clients/?per_page=500&sort=-reseller&status=expiring&q=soc",
        "/clients/?by=company&per_page=500",
        "/clients/?by=company&per_page=500&sort=-status&product=TBOX",
    ],
)
def test_a_page_runs_as_many_queries_for_200_rows_as_for_10(
    partner_client, add_rows, url, django_assert_max_num_queries
):
    partner_client.get(url)  # on PostgreSQL, the kept figures built
    # Each look follows writes: the kept figures of the organization they changed are
    # brought up to date first, whatever the rows.
    add_rows(10)
    small = queries_for(partner_client, url)
    add_rows(190)
    assert Subscription.objects.count() == 200
    large = queries_for(partner_client, url)
    assert large == small
    with django_assert_max_num_queries(BUDGET):
        partner_client.get(url)


def test_the_renewal_form_runs_as_many_queries_for_200_rows_as_for_10(
    partner_client, add_rows, alpha, tbox, make_subscription, today, django_assert_max_num_queries
):
    target = make_subscription(alpha, tbox, end=today + datetime.timedelta(days=10), users=2)
    url = f"/subscriptions/{target.pk}/renew/"
    add_rows(9)
    small = queries_for(partner_client, url)
    add_rows(190)
    assert queries_for(partner_client, url) == small
    with django_assert_max_num_queries(BUDGET):
        partner_client.get(url)


def test_the_client_record_runs_as_many_queries_for_many_subscriptions_as_for_one(
    partner_client, alpha, tbox, tsend, grant, partner_user, make_subscription, today,
    django_assert_max_num_queries,
):
    grant(alpha, tbox, 1000)
    first = make_subscription(alpha, tbox, end=today + datetime.timedelta(days=10), users=2)
    url = f"/clients/{first.client_id}/"
    small = queries_for(partner_client, url)
    for i in range(30):
        sub = make_subscription(
            alpha,
            tsend if i % 2 else tbox,
            client=first.client,
            end=today + datetime.timedelta(days=5),
        )
        if not i % 2:
            services.renew_subscription(actor=partner_user, subscription_id=sub.pk, years=1)
    assert queries_for(partner_client, url) == small
    with django_assert_max_num_queries(BUDGET):
        partner_client.get(url)


@pytest.fixture
def staff_client(staff):
    client = HttpClient()
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/clients/?per_page=500",
        "/clients/?sort=end&status=expired",
        "/clients/?by=company&per_page=500&sort=reseller",
        "/renewals/?per_page=500&sort=-end",
        "/licenses/?per_page=500",
    ],
)
def test_a_staff_page_runs_as_many_queries_for_200_rows_as_for_10(
    staff_client, add_rows, url, django_assert_max_num_queries
):
    staff_client.get(url)  # on PostgreSQL, the kept figures built
    add_rows(10)
    small = queries_for(staff_client, url)
    add_rows(190)
    assert queries_for(staff_client, url) == small
    with django_assert_max_num_queries(BUDGET):
        staff_client.get(url)


def test_a_deep_page_runs_as_many_queries_as_the_first_and_past_the_end_is_a_404(
    partner_client, add_rows
):
    add_rows(200)
    first = queries_for(partner_client, "/clients/?per_page=10")
    assert queries_for(partner_client, "/clients/?per_page=10&page=20") == first
    # Sorted by end date, a page's keys are read in two queries (selectors.current_end_keys:
    # the terms not queued, then the queued renewals), however deep the page.
    sorted_first = queries_for(partner_client, "/clients/?per_page=10&sort=-end")
    assert sorted_first == first + 1
    assert queries_for(partner_client, "/clients/?per_page=10&page=15&sort=-end") == (
        sorted_first
    )
    assert partner_client.get("/clients/?per_page=10&page=21").status_code == 404


def _more_pools(tbox, tsend, count, start):
    """`count` more partners with a TBox and a TSend pool each."""
    partners = Organization.objects.bulk_create(
        [Organization(kind=OrganizationKind.PARTNER, name=f"Partenaire {start + i:04d}")
         for i in range(count)]
    )
    LicensePool.objects.bulk_create(
        [LicensePool(organization=partner, product=product, balance=index % 9)
         for index, partner in enumerate(partners) for product in (tbox, tsend)]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?pool_page=3",
        "/?pool_q=partenaire&pool_page=2",
        "/licenses/",
        "/licenses/?pool_page=2&pool_q=00",
        "/licenses/allocate/?pool_page=2",
        "/?pool_short=1",
        "/licenses/?pool_short=1&pool_page=2&pool_q=00",
    ],
)
def test_staff_pages_of_pools_run_as_many_queries_for_800_pools_as_for_60(
    staff_client, add_rows, tbox, tsend, url, django_assert_max_num_queries
):
    """Pages of pools (docs/interface.md): one page read, whatever the pools behind it.
    Each count follows a first look (on PostgreSQL, the kept figures take in the new
    pools' organizations), so that it counts the page's own reads."""
    add_rows(20)
    _more_pools(tbox, tsend, 30, 0)
    staff_client.get(url)
    small = queries_for(staff_client, url)
    _more_pools(tbox, tsend, 370, 30)
    assert LicensePool.objects.count() > 800
    staff_client.get(url)
    assert queries_for(staff_client, url) == small
    with django_assert_max_num_queries(BUDGET):
        staff_client.get(url)
