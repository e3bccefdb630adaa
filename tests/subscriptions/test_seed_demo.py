"""seed_demo: every guarantee of docs/interface.md ("Demo data"), checked the
way the demo's users see the data (through the selectors, with their scope)."""

import io
import random
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Min, Sum
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from subscriptions import demo
from subscriptions.dates import local_today
from subscriptions.demo.generated import _plan_generated
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    Product,
    Subscription,
    Term,
)
from subscriptions.selectors import subscription_rows
from subscriptions.status import Status

User = get_user_model()


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def check_ledger():
    out = io.StringIO()
    call_command("check_ledger", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot():
    """Everything seed_demo writes, counted, and every balance."""
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "products": Product.objects.count(),
        "clients": Client.objects.count(),
        "subscriptions": Subscription.objects.count(),
        "terms": Term.objects.count(),
        "movements": LicenseMovement.objects.count(),
        "balances": sorted(LicensePool.objects.values_list("pk", "balance")),
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The demo logins' passwords would otherwise cost a real hash each, in every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db):
    seed("--force")


def user(login):
    return User.objects.get(username=login)


def test_it_creates_the_products_and_the_named_partners(seeded):
    assert dict(Product.objects.values_list("code", "name")) == {"TBOX": "TBox", "TSEND": "TSend"}
    partners = Organization.objects.partners().order_by("pk")
    assert partners[0].name == "Alpha Distribution"
    assert partners[1].name == "Beta Distribution"
    assert Organization.objects.partners().order_by("name", "pk")[0].name == "Alpha Distribution"
    for partner in partners:
        assert partner.resellers.exists()
    assert Organization.objects.get(name="Alpha Revente").parent == partners[0]


def test_it_creates_the_demo_logins_with_their_roles_and_emails(seeded):
    admin = user("admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("admin")
    expected = {
        "partner": ("Alpha Distribution", Role.MANAGER),
        "reseller": ("Alpha Revente", Role.MANAGER),
        "partner2": ("Beta Distribution", Role.MANAGER),
        "viewer": ("Alpha Distribution", Role.READ_ONLY),
    }
    for login, (organization, role) in expected.items():
        member = user(login)
        assert member.check_password(login)
        assert not member.is_staff
        assert (member.membership.organization.name, member.membership.role) == (organization, role)
    for login in ["admin", *expected]:
        assert user(login).email == f"{login}@example.com"


def test_the_partner_sees_every_status_among_its_first_100_rows(seeded):
    rows = subscription_rows(user("partner"))
    for ordering in (("term_end", "pk"), ("current_end", "pk")):
        first = rows.order_by(*ordering)[:100]
        assert {row.status for row in first} == set(Status.ALL), ordering


def test_the_partner_has_10_expiring_subscriptions_of_one_product_paid_by_its_own_pool(seeded):
    alpha = Organization.objects.get(name="Alpha Distribution")
    own_pools = dict(
        LicensePool.objects.filter(organization=alpha).values_list("pk", "product__code")
    )
    expiring = subscription_rows(user("partner")).filter(
        status=Status.EXPIRING, pool_id__in=own_pools
    )
    per_product = Counter(own_pools[row.pool_id] for row in expiring)
    assert max(per_product.values()) >= 10


def test_some_of_the_partners_clients_are_managed_by_alpha_revente_and_its_user(seeded):
    reseller = Organization.objects.get(name="Alpha Revente")
    partner_sees = subscription_rows(user("partner")).filter(client__reseller=reseller)
    reseller_sees = subscription_rows(user("reseller"))

    assert partner_sees.exists()
    assert set(reseller_sees) == set(partner_sees)
    assert {row.status for row in reseller_sees} >= {Status.EXPIRING, Status.EXPIRED}


def test_the_pools_of_alpha_and_alpha_revente_hold_at_least_1000_per_product(seeded):
    for name in ("Alpha Distribution", "Alpha Revente"):
        balances = dict(
            LicensePool.objects.filter(organization__name=name).values_list(
                "product__code", "balance"
            )
        )
        assert set(balances) == {"TBOX", "TSEND"}, name
        assert min(balances.values()) >= 1000, name


def test_beta_has_its_own_clients_and_pools_out_of_alphas_sight(seeded):
    beta_rows = subscription_rows(user("partner2"))
    alpha_rows = subscription_rows(user("partner"))

    assert beta_rows.exists()
    assert not set(beta_rows.values_list("pk", flat=True)) & set(
        alpha_rows.values_list("pk", flat=True)
    )
    beta_pools = LicensePool.objects.filter(organization__name="Beta Distribution")
    assert beta_pools.filter(balance__gt=0).count() == 2
    assert {row.status for row in beta_rows} == set(Status.ALL)


def test_the_partner_has_companies_with_one_and_with_several_subscriptions_to_renew(seeded):
    per_company = Counter(
        subscription_rows(user("partner"))
        .filter(status__in=Status.TO_RENEW)
        .values_list("client_id", flat=True)
    )
    assert 1 in per_company.values()
    assert max(per_company.values()) >= 2


def test_the_demo_keeps_the_ledger_consistent(seeded):
    assert "Ledger consistent" in check_ledger()


def test_it_changes_nothing_when_run_again(seeded):
    before = snapshot()

    out = seed("--force")

    assert snapshot() == before
    assert "already present" in out


def test_it_creates_no_login_when_debug_is_off_and_says_so(db, settings):
    settings.DEBUG = False

    out = seed()

    assert not User.objects.exists()
    assert "--force" in out
    assert Client.objects.exists()
    assert "Ledger consistent" in check_ledger()


def test_it_creates_the_logins_when_debug_is_on(db, settings):
    settings.DEBUG = True

    seed()

    assert set(User.objects.values_list("username", flat=True)) == {
        "admin", "partner", "reseller", "partner2", "viewer",
    }


def test_it_adds_the_logins_later_without_touching_the_data(db, settings):
    seed()
    before = snapshot()

    seed("--force")

    after = snapshot()
    assert after["users"] == 5
    assert {k: v for k, v in after.items() if k not in ("users", "memberships")} == {
        k: v for k, v in before.items() if k not in ("users", "memberships")
    }


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty", "--force")

    assert Organization.objects.filter(name="Alpha Distribution").exists()


def test_if_empty_leaves_a_database_with_organizations_alone(alpha):
    out = seed("--if-empty", "--force")

    assert "no demo data" in out
    assert Organization.objects.count() == 1
    assert not Client.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize("count", ["-1", "1000000"])
def test_it_refuses_a_bad_number_of_clients(db, count):
    with pytest.raises(CommandError, match="--clients"):
        seed("--clients", count)
    assert not Organization.objects.exists()


# --- generated clients -------------------------------------------------------------------


@pytest.fixture
def generated(db):
    seed("--clients", "2000", "--seed", "1")
    return Client.objects.filter(name__regex=demo.GENERATED_SUFFIX_REGEX)


def test_generated_clients_spread_over_every_status(generated):
    assert generated.count() == 2000
    statuses = Counter(
        Subscription.objects.with_status()
        .filter(client__in=generated)
        .values_list("status", flat=True)
    )
    assert set(statuses) == set(Status.ALL)
    for status in Status.ALL:
        assert statuses[status] >= 200, statuses


def test_generated_clients_spread_over_partners_and_resellers_alpha_managing_half(generated):
    alpha = Organization.objects.get(name="Alpha Distribution")
    assert generated.filter(partner=alpha).count() >= 1000
    assert generated.values("partner").distinct().count() >= 3
    assert generated.filter(reseller__isnull=False).values("reseller").distinct().count() >= 3
    assert generated.filter(partner=alpha, reseller__isnull=False).exists()


def test_generated_clients_leave_their_pools_enough_to_renew_them_all(generated):
    needs = (
        Subscription.objects.filter(client__in=generated)
        .with_status()
        .values("pool_id")
        .annotate(users=Sum("users"))
    )
    balances = dict(LicensePool.objects.values_list("pk", "balance"))
    assert needs
    for need in needs:
        assert need["pool_id"] is not None
        assert balances[need["pool_id"]] >= need["users"]


def test_generated_clients_keep_the_ledger_consistent_with_one_debit_per_pool(generated):
    assert "Ledger consistent" in check_ledger()
    debits_per_pool = (
        LicenseMovement.objects.filter(kind="import").values("pool").annotate(n=Count("pk"))
    )
    assert debits_per_pool
    assert {row["n"] for row in debits_per_pool} == {1}


def test_generated_terms_match_what_their_pools_paid(generated):
    paid = -LicenseMovement.objects.filter(kind="import").aggregate(total=Sum("quantity"))["total"]
    terms = Term.objects.filter(subscription__client__in=generated)
    assert terms.aggregate(total=Sum("licenses"))["total"] == paid


def test_it_adds_no_generated_client_when_run_again_with_the_same_number(generated):
    before = snapshot()

    seed("--clients", "2000", "--seed", "1")

    assert snapshot() == before


def test_it_adds_only_the_missing_generated_clients_for_a_larger_number(generated):
    seed("--clients", "2300", "--seed", "1")

    assert generated.count() == 2300
    assert "Ledger consistent" in check_ledger()


def test_the_same_seed_plans_the_same_clients(db):
    calendar = demo.Calendar.now()
    managers = ([0.5, 1.0], [(1, None), (1, 2)])

    def plan(seed):
        rng = random.Random(seed)
        return [
            (g.name, g.partner_id, g.reseller_id, g.product_id, g.users, g.terms)
            for _i, g in _plan_generated(rng, calendar, 50, managers, [1, 2])
        ]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)



def _since_other_than_first_term(clients):
    """The clients whose "Client since" day (local time, as the record shows it) is not
    the start of their first term, or today for a client whose first term starts later
    (it was written today)."""
    today = local_today()
    wrong = {}
    for client in clients.annotate(first_start=Min("subscriptions__terms__start_date")):
        since = timezone.localtime(client.created_at).date()
        if since != min(client.first_start, today):
            wrong[client.name] = (since, client.first_start)
    return wrong


def test_the_demo_clients_are_clients_since_their_first_term(seeded, client):
    assert Client.objects.exists()
    assert _since_other_than_first_term(Client.objects.all()) == {}
    # The record shows that day: a past client is not "since today".
    past = (
        Client.objects.annotate(first_start=Min("subscriptions__terms__start_date"))
        .filter(partner__name="Alpha Distribution", first_start__lt=local_today())
        .order_by("pk")
        .first()
    )
    client.force_login(user("partner"))
    page = client.get(f"/clients/{past.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(f"/clients/{past.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Client depuis le {past.first_start:%d/%m/%Y}" in page
    assert f"Client since {past.first_start:%m/%d/%Y}" in english


def test_generated_clients_are_clients_since_their_first_term(generated):
    assert _since_other_than_first_term(generated) == {}


def test_a_tenth_of_generated_clients_renew_automatically_and_their_pools_pay_the_run(
    generated,
):
    auto = Subscription.objects.filter(client__in=generated, auto_renew=True)
    assert auto.count() == 200
    out = io.StringIO()
    call_command("run_auto_renewals", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("renewed ") for line in lines) > 0
    assert not any(line.startswith("refused ") for line in lines)
    assert "Ledger consistent" in check_ledger()
