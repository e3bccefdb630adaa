"""The demo data of CONTRACT.md ("Demo data"), behind `manage.py seed_demo`.

Every balance change goes through the service layer, so `check_ledger` holds after
seeding: the hand-made demo creates its clients with `services.create_client` (dated in
the past by passing its `today`) and renews some with `services.renew_subscription`; the
generated clients of `--clients N` are bulk-inserted and then paid by ONE ledger line per
pool (`record_bulk_debit`), their pools having been granted and allocated first.

Dates are relative to `local_today()` and the renewal window of the day the demo is
seeded, so the statuses are right on that day and age like real data afterwards.
"""

import bisect
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from accounts.models import Membership, Organization, OrganizationKind, Role

from . import services
from .dates import local_today, term_end, window_end
from .models import (
    Client,
    LicenseMovement,
    LicensePool,
    Product,
    Subscription,
    Term,
    TermKind,
)
from .selectors import Status

ALPHA = "Alpha Distribution"
ALPHA_RESELLER = "Alpha Revente"
BETA = "Beta Distribution"
BETA_RESELLER = "Beta Revente"

PRODUCTS = (("TBOX", "TBox"), ("TSEND", "TSend"))

# (login, organization name or None for publisher staff, role)
DEMO_USERS = (
    ("admin", None, None),
    ("partner", ALPHA, Role.MANAGER),
    ("reseller", ALPHA_RESELLER, Role.MANAGER),
    ("partner2", BETA, Role.MANAGER),
    ("viewer", ALPHA, Role.READ_ONLY),
)

# CONTRACT: each pool of the first partner and of its reseller holds at least this much
# once the demo's own debits are made.
MINIMUM_DEMO_BALANCE = 1_000

# Generated clients carry their index in this form, so a second run with the same
# `--clients N` finds them and adds only what is missing (seed_demo is idempotent).
GENERATED_SUFFIX_REGEX = r" #[0-9]{6}$"
MAX_GENERATED = 999_999
BATCH_SIZE = 5_000
# One more partner (with resellers) per this many generated clients, for scale realism.
CLIENTS_PER_GENERATED_PARTNER = 1_000
RESELLERS_PER_GENERATED_PARTNER = 3


@dataclass
class SeedReport:
    lines: list = field(default_factory=list)
    users_created: list = field(default_factory=list)
    users_skipped: bool = False

    def say(self, line):
        self.lines.append(line)


# --- dates -----------------------------------------------------------------------------


def start_for_end(end: datetime.date, years: int) -> datetime.date:
    """The start of a term of `years` whole years ending on `end` (inverse of term_end)."""
    return end + datetime.timedelta(days=1) - relativedelta(years=years)


@dataclass(frozen=True)
class Calendar:
    """Today and the renewal window the statuses are computed against."""

    today: datetime.date
    window_first_day_after: datetime.date

    @classmethod
    def now(cls):
        today = local_today()
        return cls(today=today, window_first_day_after=window_end(today))

    @property
    def window_days(self):
        return (self.window_first_day_after - self.today).days

    def day(self, offset):
        return self.today + datetime.timedelta(days=offset)

    def expiring_end(self, fraction):
        """An end date inside the window, two days away from both of its edges so that a
        29 February clamp (one day) cannot push it out."""
        span = self.window_days - 4
        return self.day(2 + round(fraction * span))

    def active_years_and_end(self, years, days_after_window):
        """A started term ending after the window: more years when the window is long."""
        end = self.window_first_day_after + datetime.timedelta(days=2 + days_after_window)
        while start_for_end(end, years) > self.day(-2):
            years += 1
        return years, end


# --- the hand-made demo -----------------------------------------------------------------

# A client: (name, [(product code, status, users, years, position)]), position in 0..1
# placing the date inside the range of its status (see _dates).
ALPHA_CLIENTS = [
    # Ten-plus expiring TBox subscriptions paid by Alpha's own pool, each alone to renew.
    ("Boulangerie Martin", [("TBOX", Status.EXPIRING, 4, 1, 0.02)]),
    ("Cabinet Durand Avocats", [("TBOX", Status.EXPIRING, 12, 1, 0.08)]),
    ("Transports Lefebvre", [("TBOX", Status.EXPIRING, 25, 1, 0.14)]),
    ("Menuiserie Moreau et Fils", [("TBOX", Status.EXPIRING, 6, 1, 0.20)]),
    ("Pharmacie du Centre", [("TBOX", Status.EXPIRING, 3, 1, 0.27)]),
    ("Garage Petit", [("TBOX", Status.EXPIRING, 5, 2, 0.33)]),
    ("Imprimerie Bernard", [("TBOX", Status.EXPIRING, 9, 1, 0.40)]),
    ("Agence Immobilière Dubois", [("TBOX", Status.EXPIRING, 7, 1, 0.47)]),
    ("Clinique Vétérinaire des Tilleuls", [("TBOX", Status.EXPIRING, 8, 1, 0.55)]),
    ("Librairie Thomas", [("TBOX", Status.EXPIRING, 2, 1, 0.62)]),
    ("Atelier Richard Architectes", [("TBOX", Status.EXPIRING, 15, 3, 0.70)]),
    ("Fromagerie Laurent", [("TBOX", Status.EXPIRING, 3, 1, 0.78)]),
    ("Électricité Simon", [("TBOX", Status.EXPIRING, 11, 1, 0.86)]),
    # Companies with several subscriptions to renew.
    (
        "Groupe Mercier Industrie",
        [
            ("TBOX", Status.EXPIRED, 40, 1, 0.3),
            ("TSEND", Status.EXPIRING, 40, 1, 0.5),
        ],
    ),
    (
        "Laboratoires Fournier",
        [
            ("TBOX", Status.EXPIRING, 30, 1, 0.9),
            ("TSEND", Status.EXPIRING, 18, 2, 0.95),
        ],
    ),
    # Expired.
    ("Bâtiment Girard", [("TBOX", Status.EXPIRED, 10, 1, 0.05)]),
    ("Restaurant Le Vieux Port", [("TSEND", Status.EXPIRED, 4, 1, 0.15)]),
    ("Cave Lambert", [("TBOX", Status.EXPIRED, 2, 1, 0.6)]),
    ("Plomberie Bonnet", [("TSEND", Status.EXPIRED, 3, 2, 0.9)]),
    # Active.
    ("Société Générale de Logistique Roux", [("TBOX", Status.ACTIVE, 35, 1, 0.1)]),
    ("Hôtel Vincent", [("TSEND", Status.ACTIVE, 14, 1, 0.2)]),
    ("Cabinet Comptable Morel", [("TBOX", Status.ACTIVE, 20, 2, 0.4)]),
    ("Auto-École Garcia", [("TBOX", Status.ACTIVE, 3, 1, 0.5)]),
    ("Bureau d'Études David", [("TSEND", Status.ACTIVE, 9, 3, 0.7)]),
    ("Opticien Bertrand", [("TBOX", Status.ACTIVE, 2, 1, 0.9)]),
    (
        "Mutuelle Lefèvre Prévoyance",
        [
            ("TBOX", Status.ACTIVE, 60, 2, 0.3),
            ("TSEND", Status.EXPIRING, 60, 1, 0.35),
        ],
    ),
    # Not started yet.
    ("Crèche Les Petits Loups", [("TBOX", Status.NOT_STARTED, 6, 1, 0.2)]),
    ("Start-up Nova Conseil", [("TSEND", Status.NOT_STARTED, 5, 1, 0.6)]),
    ("Chocolaterie André", [("TBOX", Status.NOT_STARTED, 4, 2, 0.9)]),
    # Renewed: the current term is still running, the next one is queued.
    ("Ambulances Michel", [("TBOX", Status.RENEWED, 8, 1, 0.1)]),
    ("Domaine Viticole Dupont", [("TSEND", Status.RENEWED, 5, 2, 0.4)]),
    ("Cabinet Médical Leroy", [("TBOX", Status.RENEWED, 6, 1, 0.7)]),
    (
        "Coopérative Agricole François",
        [
            ("TBOX", Status.RENEWED, 22, 1, 0.5),
            ("TSEND", Status.ACTIVE, 22, 1, 0.6),
        ],
    ),
]

ALPHA_RESELLER_CLIENTS = [
    ("Fleuriste Rose et Lilas", [("TBOX", Status.EXPIRING, 2, 1, 0.25)]),
    ("Salon de Coiffure Élégance", [("TSEND", Status.EXPIRING, 3, 1, 0.65)]),
    ("Brasserie du Marché", [("TBOX", Status.EXPIRED, 5, 1, 0.4)]),
    ("Quincaillerie Masson", [("TBOX", Status.ACTIVE, 4, 1, 0.3)]),
    ("Ébénisterie Chevalier", [("TSEND", Status.ACTIVE, 7, 2, 0.8)]),
    ("Camping Les Pins", [("TBOX", Status.NOT_STARTED, 3, 1, 0.5)]),
    ("Boucherie Blanc", [("TBOX", Status.RENEWED, 2, 1, 0.3)]),
    (
        "Cabinet Infirmier Gauthier",
        [
            ("TBOX", Status.EXPIRING, 6, 1, 0.45),
            ("TSEND", Status.EXPIRED, 6, 1, 0.2),
        ],
    ),
]

BETA_CLIENTS = [
    ("Scierie Perrin", [("TBOX", Status.EXPIRING, 10, 1, 0.3)]),
    ("Transports Rousseau", [("TSEND", Status.EXPIRING, 16, 1, 0.6)]),
    ("Notaires Associés Faure", [("TBOX", Status.EXPIRED, 6, 1, 0.5)]),
    ("Papeterie Mathieu", [("TBOX", Status.ACTIVE, 4, 1, 0.4)]),
    ("Clinique Dentaire Clément", [("TSEND", Status.ACTIVE, 8, 2, 0.7)]),
    ("Traiteur Henry", [("TBOX", Status.NOT_STARTED, 5, 1, 0.3)]),
    ("Agence de Voyages Nicolas", [("TBOX", Status.RENEWED, 7, 1, 0.6)]),
]

BETA_RESELLER_CLIENTS = [
    ("Pâtisserie Fontaine", [("TBOX", Status.EXPIRING, 2, 1, 0.5)]),
    ("Garage Rivière", [("TSEND", Status.ACTIVE, 3, 1, 0.5)]),
    ("Cordonnerie Lucas", [("TBOX", Status.EXPIRED, 1, 1, 0.7)]),
]

DEMO_GRANTS = {
    # partner: (licenses granted per product, {reseller: licenses allocated per product})
    ALPHA: (6_000, {ALPHA_RESELLER: 2_500}),
    BETA: (3_000, {BETA_RESELLER: 1_000}),
}


def _dates(calendar, status, years, position):
    """(start, years, today to create with) of a term that has `status` on the calendar's
    day; a renewed one is created expiring and renewed afterwards."""
    if status in (Status.EXPIRING, Status.RENEWED):
        end = calendar.expiring_end(position)
    elif status == Status.EXPIRED:
        end = calendar.day(-2 - round(position * 300))
    elif status == Status.ACTIVE:
        years, end = calendar.active_years_and_end(years, round(position * 200))
    else:  # not started
        start = calendar.day(3 + round(position * 60))
        return start, years, calendar.today
    start = start_for_end(end, years)
    # create_client accepts a start on or after its `today`: a past contract is written
    # as if it had been created on its first day.
    return start, years, start


def _create_demo_client(calendar, *, name, partner, reseller, lines, products, actor):
    client = None
    for code, status, users, years, position in lines:
        start, years, created_on = _dates(calendar, status, years, position)
        if client is None:
            subscription = services.create_client(
                actor=actor,
                partner=partner,
                reseller=reseller,
                name=name,
                product=products[code],
                users=users,
                years=years,
                start_date=start,
                today=created_on,
            )
            client = subscription.client
        else:
            subscription = services.add_subscription(
                actor=actor,
                client=client,
                product=products[code],
                users=users,
                years=years,
                start_date=start,
                today=created_on,
            )
        if status == Status.RENEWED:
            services.renew_subscription(
                actor=actor,
                subscription_id=subscription.pk,
                years=1 + round(position),
                today=calendar.today,
            )
    return client


def _get_organization(name, kind, parent=None):
    organization, _created = Organization.objects.get_or_create(
        name=name, kind=kind, defaults={"parent": parent}
    )
    return organization


def _ensure_users(organizations, report):
    User = get_user_model()
    users = {}
    for login, organization_name, role in DEMO_USERS:
        user = User.objects.filter(username=login).first()
        if user is None:
            is_staff = organization_name is None
            user = User.objects.create_user(
                login,
                f"{login}@example.com",
                login,
                is_staff=is_staff,
                is_superuser=is_staff,
            )
            report.users_created.append(login)
        if organization_name is not None and not Membership.objects.filter(user=user).exists():
            Membership.objects.create(
                user=user, organization=organizations[organization_name], role=role
            )
        users[login] = user
    return users


def _top_up(organization, product, minimum, actor):
    """Keeps the CONTRACT's minimum balance whatever the demo debited."""
    balance = services.pool_balance(organization, product)[1]
    if balance >= minimum:
        return
    missing = minimum - balance
    partner = organization.partner
    services.grant_licenses(partner=partner, product=product, quantity=missing, actor=actor,
                            note="Demo data")
    if organization.is_reseller:
        services.allocate_licenses(
            partner=partner, reseller=organization, product=product, quantity=missing,
            direction=services.GIVE, actor=actor, note="Demo data",
        )


@transaction.atomic
def seed_base(*, with_users, report, calendar=None):
    """Products, the demo partners and resellers, users, pools and clients; only what is
    missing is created, so a second run changes nothing."""
    calendar = calendar or Calendar.now()
    products = {
        code: Product.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in PRODUCTS
    }
    alpha = _get_organization(ALPHA, OrganizationKind.PARTNER)
    beta = _get_organization(BETA, OrganizationKind.PARTNER)
    organizations = {
        ALPHA: alpha,
        BETA: beta,
        ALPHA_RESELLER: _get_organization(ALPHA_RESELLER, OrganizationKind.RESELLER, alpha),
        BETA_RESELLER: _get_organization(BETA_RESELLER, OrganizationKind.RESELLER, beta),
    }

    users = {}
    if with_users:
        users = _ensure_users(organizations, report)
    else:
        report.users_skipped = True
    admin = users.get("admin")

    managers = {ALPHA: users.get("partner"), BETA: users.get("partner2")}
    plan = [
        (alpha, None, ALPHA_CLIENTS, users.get("partner")),
        (alpha, organizations[ALPHA_RESELLER], ALPHA_RESELLER_CLIENTS, users.get("reseller")),
        (beta, None, BETA_CLIENTS, users.get("partner2")),
        (beta, organizations[BETA_RESELLER], BETA_RESELLER_CLIENTS, users.get("partner2")),
    ]
    demo_names = [name for _p, _r, clients, _a in plan for name, _lines in clients]
    if Client.objects.filter(partner__in=[alpha, beta], name__in=demo_names).exists():
        report.say("Demo clients already present: nothing to add.")
        return organizations, products

    for partner_name, (quantity, allocations) in DEMO_GRANTS.items():
        partner = organizations[partner_name]
        for product in products.values():
            services.grant_licenses(
                partner=partner, product=product, quantity=quantity, actor=admin,
                note="Demo data",
            )
            for reseller_name, allocated in allocations.items():
                services.allocate_licenses(
                    partner=partner, reseller=organizations[reseller_name], product=product,
                    quantity=allocated, direction=services.GIVE, actor=managers[partner_name],
                    note="Demo data",
                )
    count = 0
    for partner, reseller, clients, actor in plan:
        for name, lines in clients:
            _create_demo_client(
                calendar, name=name, partner=partner, reseller=reseller, lines=lines,
                products=products, actor=actor,
            )
            count += 1
    for organization in (alpha, organizations[ALPHA_RESELLER]):
        for product in products.values():
            _top_up(organization, product, MINIMUM_DEMO_BALANCE, admin)
    report.say(f"Demo data: {len(products)} products, 2 partners with a reseller each, "
               f"{count} clients.")
    return organizations, products


# --- generated clients (--clients N) ----------------------------------------------------

CITIES = (
    "Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier",
    "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Grenoble", "Dijon", "Angers", "Nîmes",
    "Clermont", "Le Mans", "Vannes", "Brest", "Tours", "Amiens", "Limoges", "Annecy", "Metz",
    "Besançon", "Perpignan", "Orléans", "Rouen", "Caen", "Nancy", "Avignon", "Poitiers",
    "La Rochelle", "Pau", "Bayonne", "Colmar", "Chambéry", "Quimper",
)
TRADES = (
    "Boulangerie", "Cabinet", "Garage", "Transports", "Menuiserie", "Pharmacie", "Agence",
    "Atelier", "Imprimerie", "Librairie", "Société", "Groupe", "Établissements", "Clinique",
    "Laboratoires", "Hôtel", "Restaurant", "Plomberie", "Électricité", "Bureau d'Études",
    "Charpente", "Fromagerie", "Cave", "Studio", "Conseil", "Ateliers", "Maison",
)
SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
    "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine",
    "Chevalier", "Robin",
)
SUFFIXES = ("", "", "", " & Fils", " SARL", " SAS", " et Associés", " Frères")
USERS_CHOICES = (1, 2, 2, 3, 3, 4, 5, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)
YEARS_CHOICES = (1, 1, 1, 1, 2, 3)
# Twenty slots, shuffled per block: every status gets at least 15 % of the clients.
STATUS_BLOCK = (
    [Status.ACTIVE] * 5
    + [Status.EXPIRING] * 4
    + [Status.EXPIRED] * 4
    + [Status.RENEWED] * 4
    + [Status.NOT_STARTED] * 3
)


@dataclass
class _Generated:
    name: str
    partner_id: int
    reseller_id: int | None
    product_id: int
    users: int
    terms: list  # [(kind, start, years)] oldest first


def _generated_terms(rng, calendar, status):
    years = rng.choice(YEARS_CHOICES)
    inside = max(1, calendar.window_days - 4)
    if status == Status.EXPIRED:
        end = calendar.day(-2 - rng.randrange(720))
        return [(TermKind.CREATION, start_for_end(end, years), years)]
    if status == Status.EXPIRING:
        end = calendar.day(2 + rng.randrange(inside))
        return [(TermKind.CREATION, start_for_end(end, years), years)]
    if status == Status.ACTIVE:
        years, first_end = calendar.active_years_and_end(years, 0)
        latest_end = term_end(calendar.day(-2), years)
        end = first_end + datetime.timedelta(
            days=rng.randrange(max(1, (latest_end - first_end).days))
        )
        return [(TermKind.CREATION, start_for_end(end, years), years)]
    if status == Status.NOT_STARTED:
        return [(TermKind.CREATION, calendar.day(2 + rng.randrange(120)), years)]
    # Renewed: an expiring term and the renewal queued right after it.
    end = calendar.day(2 + rng.randrange(inside))
    start = start_for_end(end, years)
    renewal_years = rng.choice(YEARS_CHOICES)
    return [
        (TermKind.CREATION, start, years),
        (TermKind.RENEWAL, term_end(start, years) + datetime.timedelta(days=1), renewal_years),
    ]


def _generated_name(rng, index):
    return (
        f"{rng.choice(TRADES)} {rng.choice(SURNAMES)}{rng.choice(SUFFIXES)} "
        f"({rng.choice(CITIES)}) #{index:06d}"
    )


def _generated_organizations(count):
    """Extra partners, each with resellers, created once whatever the number of runs."""
    partners = [f"{CITIES[k % len(CITIES)]} Distribution {k + 1:03d}" for k in range(count)]
    existing = set(
        Organization.objects.filter(kind=OrganizationKind.PARTNER, name__in=partners)
        .values_list("name", flat=True)
    )
    Organization.objects.bulk_create(
        [Organization(kind=OrganizationKind.PARTNER, name=n) for n in partners if n not in existing]
    )
    partner_ids = dict(
        Organization.objects.filter(kind=OrganizationKind.PARTNER, name__in=partners)
        .values_list("name", "pk")
    )
    wanted = [
        (f"{name.replace('Distribution', 'Revente')}-{j}", partner_ids[name])
        for name in partners
        for j in range(1, RESELLERS_PER_GENERATED_PARTNER + 1)
    ]
    existing = set(
        Organization.objects.filter(
            kind=OrganizationKind.RESELLER, name__in=[n for n, _p in wanted]
        ).values_list("name", flat=True)
    )
    Organization.objects.bulk_create(
        [
            Organization(kind=OrganizationKind.RESELLER, name=n, parent_id=p)
            for n, p in wanted
            if n not in existing
        ]
    )
    resellers = defaultdict(list)
    for pk, parent_id in Organization.objects.filter(
        kind=OrganizationKind.RESELLER, parent_id__in=partner_ids.values()
    ).values_list("pk", "parent_id"):
        resellers[parent_id].append(pk)
    return [(pk, sorted(resellers[pk])) for _n, pk in sorted(partner_ids.items())]


def _managers(organizations, generated):
    """Who manages each generated client: cumulative weights and (partner id, reseller id).

    The first partner and its reseller take 55 % (CONTRACT: at least half), the second
    partner 10 %, the generated partners and their resellers share the rest.
    """
    alpha, beta = organizations[ALPHA].pk, organizations[BETA].pk
    shares = [
        (0.30, alpha, None),
        (0.25, alpha, organizations[ALPHA_RESELLER].pk),
        (0.05, beta, None),
        (0.05, beta, organizations[BETA_RESELLER].pk),
    ]
    if generated:
        slots = [(p, r) for p, resellers in generated for r in [None, *resellers]]
        shares += [(0.35 / len(slots), p, r) for p, r in slots]
    else:
        shares += [(0.35, beta, None)]
    cumulative, weights = 0.0, []
    for weight, _partner_id, _reseller_id in shares:
        cumulative += weight
        weights.append(cumulative)
    return weights, [(p, r) for _w, p, r in shares]


def _pick(managers, value):
    weights, slots = managers
    # min(): the float sum of the weights may stop a hair under 1.
    return slots[min(bisect.bisect_right(weights, value), len(slots) - 1)]


def _plan_generated(rng, calendar, count, managers, product_ids):
    """Draws every generated client, index by index: the same seed gives the same list."""
    statuses = []
    for index in range(count):
        if not statuses:
            statuses = list(STATUS_BLOCK)
            rng.shuffle(statuses)
        status = statuses.pop()
        partner_id, reseller_id = _pick(managers, rng.random())
        yield index, _Generated(
            name=_generated_name(rng, index),
            partner_id=partner_id,
            reseller_id=reseller_id,
            product_id=product_ids[0] if rng.random() < 0.6 else product_ids[1],
            users=rng.choice(USERS_CHOICES),
            terms=_generated_terms(rng, calendar, status),
        )


def _insert_batch(batch, costs):
    clients = Client.objects.bulk_create(
        [Client(name=g.name, partner_id=g.partner_id, reseller_id=g.reseller_id) for g in batch]
    )
    subscriptions = []
    for client, g in zip(clients, batch, strict=True):
        terms = [(kind, start, term_end(start, years), years) for kind, start, years in g.terms]
        _kind, start, end, years = terms[-1]
        previous = terms[-2] if len(terms) > 1 else None
        subscriptions.append(
            Subscription(
                client_id=client.pk,
                product_id=g.product_id,
                term_start=start,
                term_end=end,
                users=g.users,
                years=years,
                previous_term_start=previous[1] if previous else None,
                previous_term_end=previous[2] if previous else None,
                previous_users=g.users if previous else None,
                previous_years=previous[3] if previous else None,
            )
        )
        g.terms = terms
    subscriptions = Subscription.objects.bulk_create(subscriptions)
    term_rows = []
    for subscription, g in zip(subscriptions, batch, strict=True):
        paid_by = (g.reseller_id or g.partner_id, g.product_id)
        for kind, start, end, years in g.terms:
            licenses = g.users * years
            term_rows.append(
                Term(
                    subscription_id=subscription.pk,
                    kind=kind,
                    start_date=start,
                    end_date=end,
                    users=g.users,
                    years=years,
                    licenses=licenses,
                )
            )
            costs[paid_by]["debit"] += licenses
        # CONTRACT: the pools can renew every generated client once more, for a year.
        costs[paid_by]["reserve"] += g.users
    Term.objects.bulk_create(term_rows)


def _grant_in_parts(partner, product, quantity, note):
    while quantity > 0:
        part = min(quantity, services.MAX_QUANTITY)
        services.grant_licenses(partner=partner, product=product, quantity=part, note=note)
        quantity -= part


def _allocate_in_parts(partner, reseller, product, quantity, note):
    while quantity > 0:
        part = min(quantity, services.MAX_QUANTITY)
        services.allocate_licenses(
            partner=partner, reseller=reseller, product=product, quantity=part,
            direction=services.GIVE, actor=None, note=note,
        )
        quantity -= part


def _pay_for_generated(costs, products_by_id, note):
    organizations = Organization.objects.in_bulk({org_id for org_id, _p in costs})
    partners = Organization.objects.in_bulk(
        {o.parent_id or o.pk for o in organizations.values()}
    )
    # Each partner is granted, for each product, what it and its resellers need; then each
    # reseller gets its share; then every pool pays with one line.
    needed = defaultdict(int)
    for (org_id, product_id), cost in costs.items():
        organization = organizations[org_id]
        needed[(organization.parent_id or org_id, product_id)] += cost["debit"] + cost["reserve"]
    for (partner_id, product_id), quantity in sorted(needed.items()):
        _grant_in_parts(partners[partner_id], products_by_id[product_id], quantity, note)
    for (org_id, product_id), cost in sorted(costs.items()):
        organization = organizations[org_id]
        if organization.is_reseller:
            _allocate_in_parts(
                partners[organization.parent_id], organization, products_by_id[product_id],
                cost["debit"] + cost["reserve"], note,
            )
    for (org_id, product_id), cost in sorted(costs.items()):
        services.record_bulk_debit(
            organization_id=org_id, product_id=product_id, quantity=cost["debit"], note=note
        )


def existing_generated_count():
    return Client.objects.filter(name__regex=GENERATED_SUFFIX_REGEX).count()


@transaction.atomic
def seed_generated(*, count, seed, organizations, products, report, calendar=None):
    """Brings the generated clients up to `count`, in bulk, paid by one line per pool."""
    calendar = calendar or Calendar.now()
    existing = existing_generated_count()
    if existing >= count:
        report.say(f"Generated clients: {existing} already present, nothing to add.")
        return 0
    rng = random.Random(seed)
    generated = _generated_organizations(count // CLIENTS_PER_GENERATED_PARTNER)
    managers = _managers(organizations, generated)
    product_ids = [products["TBOX"].pk, products["TSEND"].pk]
    costs = defaultdict(lambda: {"debit": 0, "reserve": 0})
    batch = []
    for index, planned in _plan_generated(rng, calendar, count, managers, product_ids):
        if index < existing:
            continue
        batch.append(planned)
        if len(batch) >= BATCH_SIZE:
            _insert_batch(batch, costs)
            batch = []
    if batch:
        _insert_batch(batch, costs)
    added = count - existing
    note = f"seed_demo --clients: {added} generated clients"
    _pay_for_generated(costs, {p.pk: p for p in products.values()}, note)
    report.say(
        f"Generated clients: {added} added ({count} in all), "
        f"{len(generated)} generated partners with {RESELLERS_PER_GENERATED_PARTNER} "
        f"resellers each, {len(costs)} pools paid."
    )
    return added


def _refresh_planner_statistics():
    """Right after a bulk load PostgreSQL still believes the tables are nearly empty and
    plans nested loops over everything until autovacuum comes by (docs/benchmarks.md)."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in (Client, Subscription, Term, LicenseMovement)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(tables))


def seed(*, clients=0, seed=None, force=False):
    report = SeedReport()
    with_users = bool(settings.DEBUG or force)
    calendar = Calendar.now()
    organizations, products = seed_base(with_users=with_users, report=report, calendar=calendar)
    if clients:
        seed_generated(
            count=clients, seed=seed, organizations=organizations, products=products,
            report=report, calendar=calendar,
        )
        _refresh_planner_statistics()
    return report


def balances_below_minimum():
    """Pools of the first partner and its reseller under the CONTRACT's minimum."""
    return list(
        LicensePool.objects.filter(
            organization__name__in=[ALPHA, ALPHA_RESELLER],
            balance__lt=MINIMUM_DEMO_BALANCE,
        ).select_related("organization", "product")
    )
