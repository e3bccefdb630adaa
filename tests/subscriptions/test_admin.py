"""The Django admin as publisher staff use it: every list renders in a fixed number of
queries, licenses are granted through the service layer only, the ledger is read-only."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Membership, Organization, OrganizationKind, Role
from subscriptions import services
from subscriptions.demo import start_for_end
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    MovementKind,
    Subscription,
    Term,
)
from tests.helpers.web import queries_for

User = get_user_model()

CHANGELISTS = [
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin.site._registry
    if model._meta.app_label in ("accounts", "subscriptions", "auth")
]


pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def populate(alpha, alpha_reseller, beta, tbox, tsend, grant, today, partner_user):
    """n clients of each kind (direct, through a reseller, another partner), each with a
    debited subscription, some renewed: every admin list gets rows of every kind."""

    counter = {"n": 0}

    def _populate(n):
        for _ in range(n):
            for partner, reseller, product in (
                (alpha, None, tbox),
                (alpha, alpha_reseller, tsend),
                (beta, None, tbox),
            ):
                counter["n"] += 1
                grant(reseller or partner, product, 10)
                subscription = services.create_client(
                    actor=partner_user, partner=partner, reseller=reseller,
                    name=f"Société {counter['n']:03d}", product=product, users=2, years=1,
                    start_date=today,
                )
                if counter["n"] % 2:
                    services.renew_subscription(
                        actor=partner_user, subscription_id=subscription.pk, years=1
                    )
            member = User.objects.create_user(f"user{counter['n']}")
            Membership.objects.create(user=member, organization=partner, role=Role.READ_ONLY)

    return _populate


@pytest.mark.parametrize("name", CHANGELISTS)
def test_every_changelist_renders_without_a_query_per_row(admin_client, populate, name):
    url = reverse(name)
    populate(1)
    few = queries_for(admin_client, url)
    populate(4)
    many = queries_for(admin_client, url)

    assert many == few


def test_the_changelists_cover_every_model_staff_manage():
    assert set(CHANGELISTS) >= {
        "admin:accounts_organization_changelist",
        "admin:accounts_partner_changelist",
        "admin:accounts_reseller_changelist",
        "admin:auth_user_changelist",
        "admin:subscriptions_product_changelist",
        "admin:subscriptions_client_changelist",
        "admin:subscriptions_subscription_changelist",
        "admin:subscriptions_term_changelist",
        "admin:subscriptions_licensepool_changelist",
        "admin:subscriptions_licensemovement_changelist",
    }
    assert "admin:subscriptions_operationtoken_changelist" not in CHANGELISTS


def test_the_subscription_list_shows_statuses_and_filters_on_them(admin_client, populate):
    populate(2)
    url = reverse("admin:subscriptions_subscription_changelist")

    response = admin_client.get(url, {"status": "renewed"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown and {row.status for row in shown} == {"renewed"}


def test_the_change_pages_render(admin_client, populate, alpha, alpha_reseller, partner_user):
    populate(1)
    subscription = Subscription.objects.first()
    pool = LicensePool.objects.first()
    movement = LicenseMovement.objects.first()
    term = Term.objects.first()
    urls = [
        reverse("admin:accounts_partner_change", args=[alpha.pk]),
        reverse("admin:accounts_reseller_change", args=[alpha_reseller.pk]),
        reverse("admin:accounts_organization_change", args=[alpha.pk]),
        reverse("admin:auth_user_change", args=[partner_user.pk]),
        reverse("admin:subscriptions_client_change", args=[subscription.client_id]),
        reverse("admin:subscriptions_subscription_change", args=[subscription.pk]),
        reverse("admin:subscriptions_licensepool_change", args=[pool.pk]),
        reverse("admin:subscriptions_licensemovement_change", args=[movement.pk]),
        reverse("admin:subscriptions_term_change", args=[term.pk]),
        reverse("admin:subscriptions_licensepool_grant"),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


def test_the_partner_page_lists_its_resellers(admin_client, alpha, alpha_reseller):
    response = admin_client.get(reverse("admin:accounts_partner_change", args=[alpha.pk]))

    assert "Alpha Revente" in response.content.decode()


# --- granting licenses ------------------------------------------------------------------


def test_the_grant_action_credits_each_selected_partner_pool_through_the_service(
    admin_client, admin_user, alpha, beta, tbox, tsend, grant
):
    grant(alpha, tbox, 10)
    grant(beta, tsend, 5)
    pools = list(LicensePool.objects.order_by("pk"))
    url = reverse("admin:subscriptions_licensepool_changelist")
    selection = {"action": "grant_licenses", "_selected_action": [p.pk for p in pools]}

    form = admin_client.post(url, selection)
    assert form.status_code == 200
    assert b'name="quantity"' in form.content
    assert LicenseMovement.objects.count() == 2

    done = admin_client.post(url, {**selection, "apply": "1", "quantity": "50", "note": "Q3"})

    assert done.status_code == 302
    assert dict(LicensePool.objects.values_list("pk", "balance")) == {
        pools[0].pk: 60,
        pools[1].pk: 55,
    }
    lines = LicenseMovement.objects.filter(actor=admin_user, kind=MovementKind.GRANT)
    assert sorted(lines.values_list("pool_id", "quantity", "balance_after", "note")) == [
        (pools[0].pk, 50, 60, "Q3"),
        (pools[1].pk, 50, 55, "Q3"),
    ]


def test_the_grant_action_refuses_a_bad_quantity_and_changes_nothing(admin_client, alpha, tbox,
                                                                      grant):
    grant(alpha, tbox, 10)
    pool = LicensePool.objects.get()
    url = reverse("admin:subscriptions_licensepool_changelist")

    response = admin_client.post(
        url,
        {"action": "grant_licenses", "_selected_action": [pool.pk], "apply": "1",
         "quantity": "0"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert LicensePool.objects.get().balance == 10
    assert LicenseMovement.objects.count() == 1


def test_the_grant_action_skips_reseller_pools(admin_client, alpha, alpha_reseller, tbox, grant):
    grant(alpha_reseller, tbox, 10)
    reseller_pool = LicensePool.objects.get(organization=alpha_reseller)
    url = reverse("admin:subscriptions_licensepool_changelist")

    response = admin_client.post(
        url,
        {"action": "grant_licenses", "_selected_action": [reseller_pool.pk], "apply": "1",
         "quantity": "50"},
    )

    assert response.status_code == 302
    assert LicensePool.objects.get(pk=reseller_pool.pk).balance == 10


def test_the_grant_page_opens_a_partners_first_pool_through_the_service(
    admin_client, admin_user, alpha, tsend
):
    url = reverse("admin:subscriptions_licensepool_grant")
    assert admin_client.get(url, {"partner": alpha.pk}).status_code == 200

    response = admin_client.post(
        url, {"partner": alpha.pk, "product": tsend.pk, "quantity": "1200", "note": "order 42"}
    )

    assert response.status_code == 302
    pool = LicensePool.objects.get(organization=alpha, product=tsend)
    assert pool.balance == 1200
    line = LicenseMovement.objects.get(pool=pool)
    assert (line.kind, line.quantity, line.actor, line.note) == (
        MovementKind.GRANT, 1200, admin_user, "order 42",
    )


def test_the_grant_page_offers_partners_only(admin_client, alpha_reseller, tbox):
    response = admin_client.post(
        reverse("admin:subscriptions_licensepool_grant"),
        {"partner": alpha_reseller.pk, "product": tbox.pk, "quantity": "10"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["partner"]
    assert not LicenseMovement.objects.exists()


@pytest.fixture
def viewing_staff(db):
    """Staff who may look at pools and the ledger but not grant."""
    user = User.objects.create_user("auditor", password="auditor", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_licensepool", "view_licensemovement"]
        )
    )
    return user


def test_staff_without_the_pool_permission_cannot_grant(client, viewing_staff, alpha, tbox,
                                                         grant):
    grant(alpha, tbox, 10)
    client.force_login(viewing_staff)
    pool = LicensePool.objects.get()

    assert client.get(reverse("admin:subscriptions_licensepool_changelist")).status_code == 200
    page = client.get(reverse("admin:subscriptions_licensepool_grant"))
    action = client.post(
        reverse("admin:subscriptions_licensepool_changelist"),
        {"action": "grant_licenses", "_selected_action": [pool.pk], "apply": "1",
         "quantity": "50"},
    )

    assert page.status_code == 403
    assert action.status_code == 200  # "no such action": the list again
    assert LicensePool.objects.get().balance == 10


def test_a_pool_balance_cannot_be_edited_in_the_admin(admin_client, alpha, tbox, grant):
    grant(alpha, tbox, 10)
    pool = LicensePool.objects.get()
    url = reverse("admin:subscriptions_licensepool_change", args=[pool.pk])

    response = admin_client.post(url, {"balance": "999999"})

    assert response.status_code == 403
    assert LicensePool.objects.get().balance == 10
    assert admin_client.get(reverse("admin:subscriptions_licensepool_add")).status_code == 403


# --- the ledger is read-only ------------------------------------------------------------


def test_ledger_lines_cannot_be_added_changed_or_deleted(admin_client, alpha, tbox, grant):
    grant(alpha, tbox, 10)
    line = LicenseMovement.objects.get()
    change = reverse("admin:subscriptions_licensemovement_change", args=[line.pk])
    delete = reverse("admin:subscriptions_licensemovement_delete", args=[line.pk])
    add = reverse("admin:subscriptions_licensemovement_add")
    changelist = reverse("admin:subscriptions_licensemovement_changelist")

    assert admin_client.post(change, {"quantity": "500", "note": "x"}).status_code == 403
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(add).status_code == 403
    bulk = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [line.pk], "post": "yes"}
    )
    assert bulk.status_code == 200
    assert LicenseMovement.objects.get().quantity == 10
    assert LicensePool.objects.get().balance == 10


def test_the_ledger_list_filters_by_kind_and_searches_organizations(
    admin_client, alpha, beta, tbox, grant, alpha_reseller
):
    grant(alpha_reseller, tbox, 10)
    grant(beta, tbox, 5)
    url = reverse("admin:subscriptions_licensemovement_changelist")

    allocations = admin_client.get(url, {"kind__exact": "allocation"}).context["cl"].result_list
    betas = admin_client.get(url, {"q": "Beta"}).context["cl"].result_list

    assert {line.kind for line in allocations} == {"allocation"}
    assert len(allocations) == 2
    assert [line.pool.organization.name for line in betas] == ["Beta Distribution"]


# --- fixing data ------------------------------------------------------------------------


def test_terms_are_read_only(admin_client, alpha, tbox, make_subscription):
    term = make_subscription(alpha, tbox).terms.get()
    url = reverse("admin:subscriptions_term_change", args=[term.pk])

    assert admin_client.post(url, {"users": "99"}).status_code == 403
    assert Term.objects.get().users == 5


def test_a_subscription_moves_to_another_client_paid_by_the_same_organization(
    admin_client, alpha, beta, tbox, make_subscription, today
):
    end = today + datetime.timedelta(days=30)
    subscription = make_subscription(alpha, tbox, start=start_for_end(end, 1), end=end,
                                     name="Doublon SARL")
    twin = Client.objects.create(name="Doublon", partner=alpha)
    other = Client.objects.create(name="Ailleurs", partner=beta)
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])

    refused = admin_client.post(url, {"client": other.pk, "terms-TOTAL_FORMS": "0",
                                      "terms-INITIAL_FORMS": "0"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["client"]
    assert Subscription.objects.get().client_id == subscription.client_id

    moved = admin_client.post(url, {"client": twin.pk, "terms-TOTAL_FORMS": "1",
                                    "terms-INITIAL_FORMS": "1"})
    assert moved.status_code == 302
    after = Subscription.objects.get()
    assert after.client == twin
    assert (after.term_start, after.term_end, after.users) == (
        subscription.term_start, subscription.term_end, subscription.users,
    )


def test_a_client_reseller_must_belong_to_its_partner(admin_client, alpha, beta_reseller):
    client = Client.objects.create(name="Boulangerie Martin", partner=alpha)
    url = reverse("admin:subscriptions_client_change", args=[client.pk])

    response = admin_client.post(url, {
        "name": "Boulangerie Martin", "partner": alpha.pk, "reseller": beta_reseller.pk,
        "subscriptions-TOTAL_FORMS": "0", "subscriptions-INITIAL_FORMS": "0",
    })

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reseller"]
    assert Client.objects.get().reseller is None


def test_staff_attach_a_user_to_an_organization_with_a_role(admin_client, alpha_reseller):
    member = User.objects.create_user("newcomer", "newcomer@example.com", "x")
    url = reverse("admin:auth_user_change", args=[member.pk])
    page = admin_client.get(url)
    assert b"membership-0-organization" in page.content or b"membership-__prefix__" in page.content

    response = admin_client.post(url, {
        "username": "newcomer", "email": "newcomer@example.com", "is_active": "on",
        "date_joined_0": "2025-01-01", "date_joined_1": "10:00:00",
        "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "0", "membership-MAX_NUM_FORMS": "1",
        "membership-0-organization": alpha_reseller.pk, "membership-0-role": Role.READ_ONLY,
    })

    assert response.status_code == 302, response.context and response.context["errors"]
    membership = Membership.objects.get(user=member)
    assert (membership.organization, membership.role) == (alpha_reseller, Role.READ_ONLY)


def test_staff_add_a_partner_and_its_reseller(admin_client):
    response = admin_client.post(reverse("admin:accounts_partner_add"), {
        "name": "Gamma Informatique",
        "resellers-TOTAL_FORMS": "1", "resellers-INITIAL_FORMS": "0",
        "resellers-0-name": "Gamma Revente",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context and response.context["errors"]
    gamma = Organization.objects.get(name="Gamma Informatique")
    assert gamma.kind == OrganizationKind.PARTNER
    assert gamma.resellers.get().kind == OrganizationKind.RESELLER

    response = admin_client.post(reverse("admin:accounts_reseller_add"), {
        "name": "Gamma Sud", "parent": gamma.pk,
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context and response.context["errors"]
    assert gamma.resellers.count() == 2


def test_an_organizations_kind_cannot_change(admin_client, alpha):
    response = admin_client.post(
        reverse("admin:accounts_organization_change", args=[alpha.pk]),
        {"name": "Alpha Distribution", "kind": "reseller",
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 302
    alpha.refresh_from_db()
    assert alpha.kind == "partner"
