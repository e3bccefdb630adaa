"""Rule 11: who sees what. Every `visible_to(user)` is built on `Scope.for_user`, so one
world with two partners and their resellers is looked at through every kind of user."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from accounts.models import Membership, Organization, OrganizationKind, Role, Scope
from subscriptions import services
from subscriptions.models import Client, LicenseMovement, LicensePool, Subscription

User = get_user_model()

MODELS = {
    "clients": Client,
    "subscriptions": Subscription,
    "pools": LicensePool,
    "movements": LicenseMovement,
    "organizations": Organization,
}


@pytest.fixture
def world(alpha, alpha_reseller, beta, beta_reseller, tbox, grant, make_subscription):
    """Per organization: one client with a subscription, a pool and its ledger lines.
    Alpha has a second reseller, to show a reseller does not see its siblings."""
    alpha_second = Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="Alpha Seconde", parent=alpha
    )
    start = datetime.date(2025, 1, 1)
    owners = {
        "alpha": (alpha, None),
        "alpha_reseller": (alpha, alpha_reseller),
        "alpha_second": (alpha, alpha_second),
        "beta": (beta, None),
        "beta_reseller": (beta, beta_reseller),
    }
    world = {}
    for key, (partner, reseller) in owners.items():
        organization = reseller or partner
        grant(organization, tbox, 10)
        sub = make_subscription(partner, tbox, start=start, reseller=reseller, name=key)
        world[key] = {
            "organization": organization,
            "clients": {sub.client_id},
            "subscriptions": {sub.pk},
            "organizations": {organization.pk},
        }
    # Pools and lines once every grant and allocation is written: a partner's pool gets a
    # line for each allocation to its resellers.
    for data in world.values():
        pools = LicensePool.objects.filter(organization=data["organization"])
        data["pools"] = set(pools.values_list("pk", flat=True))
        data["movements"] = set(
            LicenseMovement.objects.filter(pool__in=pools).values_list("pk", flat=True)
        )
    return world


def visible(user):
    return {
        name: set(model.objects.visible_to(user).values_list("pk", flat=True))
        for name, model in MODELS.items()
    }


def union(world, *keys):
    return {name: set().union(*(world[key][name] for key in keys)) for name in MODELS}


def everything(world):
    return {name: set(model.objects.values_list("pk", flat=True)) for name, model in MODELS.items()}


NOTHING = {name: set() for name in MODELS}


def test_it_shows_publisher_staff_everything(world, staff):
    assert visible(staff) == everything(world)
    assert Scope.for_user(staff).everything


def test_it_shows_a_superuser_everything(world):
    admin = User.objects.create_superuser("root", "root@example.com", "root")
    assert visible(admin) == everything(world)


def test_it_shows_a_member_of_the_publisher_everything(world):
    publisher = Organization.objects.create(kind=OrganizationKind.PUBLISHER, name="Publisher")
    user = User.objects.create_user("pub", "pub@example.com", "pub")
    Membership.objects.create(user=user, organization=publisher, role=Role.READ_ONLY)
    assert visible(user) == everything(world)
    assert Scope.for_user(user).can_manage is False


def test_it_shows_a_partner_its_own_data_and_its_resellers(world, partner_user):
    assert visible(partner_user) == union(world, "alpha", "alpha_reseller", "alpha_second")


def test_it_shows_a_read_only_user_what_its_partner_sees(world, viewer_user):
    assert visible(viewer_user) == union(world, "alpha", "alpha_reseller", "alpha_second")
    assert Scope.for_user(viewer_user).can_manage is False


def test_it_shows_a_reseller_only_its_own_data(world, reseller_user):
    assert visible(reseller_user) == union(world, "alpha_reseller")


def test_it_shows_another_partner_none_of_the_first_partners_data(world, other_partner_user):
    assert visible(other_partner_user) == union(world, "beta", "beta_reseller")


def test_it_shows_nothing_to_a_user_without_membership(world):
    stranger = User.objects.create_user("stranger", "stranger@example.com", "stranger")
    assert visible(stranger) == NOTHING
    assert Scope.for_user(stranger).sees_nothing


def test_it_shows_nothing_to_an_anonymous_visitor(world):
    assert visible(AnonymousUser()) == NOTHING
    assert visible(None) == NOTHING


@pytest.mark.parametrize("kind", ["partner", "staff"])
def test_it_shows_nothing_to_an_inactive_user(world, alpha, kind):
    user = User.objects.create_user(
        f"gone-{kind}", "gone@example.com", "gone", is_active=False, is_staff=kind == "staff"
    )
    if kind == "partner":
        Membership.objects.create(user=user, organization=alpha)
    assert visible(user) == NOTHING


def test_it_follows_a_clients_move_to_a_reseller(world, alpha_reseller, reseller_user,
                                                  partner_user):
    direct = Client.objects.get(name="alpha")
    assert direct.pk not in visible(reseller_user)["clients"]
    direct.reseller = alpha_reseller
    direct.save()
    assert direct.pk in visible(reseller_user)["clients"]
    assert direct.pk in visible(partner_user)["clients"]


def test_it_shows_the_ledger_lines_of_an_allocation_on_each_side(
    world, alpha, alpha_reseller, tbox, partner_user, reseller_user, other_partner_user
):
    give, receive = services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=3,
        direction=services.GIVE, actor=partner_user,
    )
    reseller_sees = visible(reseller_user)["movements"]
    assert receive.pk in reseller_sees
    assert give.pk not in reseller_sees
    assert {give.pk, receive.pk} <= visible(partner_user)["movements"]
    assert not {give.pk, receive.pk} & visible(other_partner_user)["movements"]


# --- the membership comes with the user ------------------------------------------------


def _membership_queries(user, path, settings):
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    settings.SECURE_SSL_REDIRECT = False
    client = HttpClient()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, [q["sql"] for q in queries if "accounts_membership" in q["sql"]]


def test_a_request_reads_the_membership_in_the_same_query_as_the_user(
    partner_user, settings, db
):
    response, queries = _membership_queries(partner_user, "/renewals/", settings)
    assert response.status_code == 200
    assert len(queries) == 1 and 'FROM "auth_user"' in queries[0]


def test_a_role_changed_between_two_requests_applies_to_the_second(
    partner_user, settings, db
):
    response, _queries = _membership_queries(partner_user, "/clients/new/", settings)
    assert response.status_code == 200
    Membership.objects.filter(user=partner_user).update(role=Role.READ_ONLY)
    response, _queries = _membership_queries(partner_user, "/clients/new/", settings)
    assert response.status_code == 403
