"""The fixed cast every test plays with.

- `staff`: publisher staff (sees everything).
- `alpha` (partner) with `alpha_reseller` (its reseller); `beta` (another partner) with
  `beta_reseller`.
- `partner_user` (manager of alpha), `viewer_user` (read-only in alpha),
  `reseller_user` (manager of alpha_reseller), `other_partner_user` (manager of beta).
- `tbox`, `tsend`: the products. Pools are granted through the service layer, like in life.
- `make_subscription(...)`: a client with one subscription whose term is anywhere in time.
- `browse(user=None, language="en")`: a test client, logged in as `user`.
- `plain_http`: for tests that speak plain HTTP (`pytestmark = usefixtures("plain_http")`).
- `cluster`: a private PostgreSQL cluster a test may restart (tests/helpers/cluster.py), for
  the tests marked `load`, which only `pytest -m load` runs (a separate step of .ci/run).

Helpers that are not fixtures (reading pages, the ledger's state) are in tests/helpers/.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Organization, OrganizationKind, Role
from subscriptions import services
from subscriptions.dates import local_today, term_end
from subscriptions.models import Client, Product, Subscription, Term, TermKind
from tests.helpers.cluster import private_cluster
from tests.helpers.web import browser

User = get_user_model()


@pytest.fixture
def plain_http(settings):
    """Production's redirect to HTTPS is not what the screens' tests test."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def browse(db):
    return browser


@pytest.fixture
def today():
    return local_today()


@pytest.fixture
def tbox(db):
    return Product.objects.create(code="TBOX", name="TBox")


@pytest.fixture
def tsend(db):
    return Product.objects.create(code="TSEND", name="TSend")


@pytest.fixture
def alpha(db):
    return Organization.objects.create(kind=OrganizationKind.PARTNER, name="Alpha Distribution")


@pytest.fixture
def alpha_reseller(alpha):
    return Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="Alpha Revente", parent=alpha
    )


@pytest.fixture
def beta(db):
    return Organization.objects.create(kind=OrganizationKind.PARTNER, name="Beta Distribution")


@pytest.fixture
def beta_reseller(beta):
    return Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="Beta Revente", parent=beta
    )


def _member(username, organization, role=Role.MANAGER):
    user = User.objects.create_user(username, f"{username}@example.com", username)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def staff(db):
    return User.objects.create_user("staff", "staff@example.com", "staff", is_staff=True)


@pytest.fixture
def partner_user(alpha):
    return _member("partner", alpha)


@pytest.fixture
def viewer_user(alpha):
    return _member("viewer", alpha, Role.READ_ONLY)


@pytest.fixture
def reseller_user(alpha_reseller):
    return _member("reseller", alpha_reseller)


@pytest.fixture
def other_partner_user(beta):
    return _member("partner2", beta)


@pytest.fixture
def grant():
    """grant(organization, product, quantity): fills a pool through the service layer
    (a reseller's pool is filled by its partner's allocation)."""

    def _grant(organization, product, quantity):
        if organization.kind == OrganizationKind.RESELLER:
            services.grant_licenses(partner=organization.parent, product=product, quantity=quantity)
            services.allocate_licenses(
                partner=organization.parent,
                reseller=organization,
                product=product,
                quantity=quantity,
                direction=services.GIVE,
                actor=None,
            )
        else:
            services.grant_licenses(partner=organization, product=product, quantity=quantity)

    return _grant


@pytest.fixture
def make_subscription(db):
    """A client and one subscription with a term anywhere in time, written directly (no
    debit): for tests of statuses and screens. `renewal` adds a queued/past renewal term
    starting the day after the first one ends."""

    counter = {"n": 0}

    def _make(
        partner,
        product,
        *,
        start=None,
        end=None,
        years=1,
        users=5,
        reseller=None,
        name=None,
        client=None,
        renewal_years=None,
    ):
        counter["n"] += 1
        start = start or local_today()
        end = end or term_end(start, years)
        if client is None:
            client = Client.objects.create(
                name=name or f"Société {counter['n']:03d}", partner=partner, reseller=reseller
            )
        subscription = Subscription.objects.create(
            client=client, product=product, term_start=start, term_end=end, users=users, years=years
        )
        Term.objects.create(
            subscription=subscription,
            kind=TermKind.CREATION,
            start_date=start,
            end_date=end,
            users=users,
            years=years,
        )
        if renewal_years:
            new_start = end + datetime.timedelta(days=1)
            new_end = term_end(new_start, renewal_years)
            Term.objects.create(
                subscription=subscription,
                kind=TermKind.RENEWAL,
                start_date=new_start,
                end_date=new_end,
                users=users,
                years=renewal_years,
            )
            Subscription.objects.filter(pk=subscription.pk).update(
                previous_term_start=start,
                previous_term_end=end,
                previous_users=users,
                previous_years=years,
                term_start=new_start,
                term_end=new_end,
                years=renewal_years,
            )
            subscription.refresh_from_db()
        return subscription

    return _make


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID Connect provider (django-oidc-provider, tests/sso_provider) on a free
    loopback port for the whole run, knowing the test client's callback URL."""
    from tests.sso_provider.server import Provider

    provider = Provider(tmp_path_factory.mktemp("oidc-provider"))
    provider.start("http://testserver/accounts/sso/callback/")
    yield provider
    provider.stop()


@pytest.fixture
def sso(db, settings, oidc_provider):
    """Single sign-on configured with the tests' provider."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    return oidc_provider


@pytest.fixture
def cluster():
    with private_cluster() as created:
        yield created


def pytest_collection_modifyitems(config, items):
    # The tests marked `load` start their own PostgreSQL cluster and restart it: only
    # `-m load` runs them (.ci/run's separate step), never the ordinary suite.
    if "load" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="the load tests run with -m load (a separate CI step)")
    for item in items:
        if item.get_closest_marker("load"):
            item.add_marker(skip)
