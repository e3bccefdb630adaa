"""What keeps the lists instant with many rows, seen from outside: a deep page holds the
rows of that page in the list's order, and staff's reseller menu stays short."""

import datetime

import pytest
from django.test import Client as HttpClient

from accounts.models import Organization, OrganizationKind
from subscriptions import selectors
from subscriptions.organization_menus import CHOICES_MAX as RESELLER_CHOICES_MAX
from tests.helpers.html import options, row_ids

pytestmark = pytest.mark.usefixtures("plain_http")


def test_a_deep_page_holds_the_rows_of_that_page_in_the_list_order(
    alpha, tbox, make_subscription, partner_user, today
):
    for index in range(23):
        make_subscription(alpha, tbox, end=today + datetime.timedelta(days=40 + index % 7))
    client = HttpClient()
    client.force_login(partner_user)
    expected = list(
        selectors.subscription_rows(partner_user)
        .order_by("current_end", "pk")
        .values_list("pk", flat=True)
    )
    pages = [
        row_ids(client.get(f"/clients/?sort=end&per_page=5&page={page}")) for page in range(1, 6)
    ]
    assert [pk for page in pages for pk in page] == expected
    assert client.get("/clients/?sort=end&per_page=5&page=6").status_code == 404


@pytest.mark.django_db
def test_staff_reseller_menu_is_capped_and_keeps_the_reseller_filtered_on(alpha, staff):
    Organization.objects.bulk_create(
        [
            Organization(kind=OrganizationKind.RESELLER, name=f"Revente {i:04d}", parent=alpha)
            for i in range(RESELLER_CHOICES_MAX + 20)
        ]
    )
    last = Organization.objects.resellers().order_by("-name").first()
    client = HttpClient()
    client.force_login(staff)
    menu = options(client.get(f"/clients/?reseller={last.pk}"), "reseller")
    resellers = [(value, selected) for value, _label, selected in menu if value.isdigit()]
    assert len(resellers) == RESELLER_CHOICES_MAX + 1
    assert (str(last.pk), True) in resellers
