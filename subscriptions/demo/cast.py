"""The fixed demo cast: two partners, a reseller each, their logins, pools and about fifty
clients placed in every status, each guarantee of docs/interface.md ("Demo data") met.

Every balance change goes through the service layer, so `check_ledger` holds after
seeding: the clients are created with `services.create_client` (dated in the past by
passing its `today`) and some renewed with `services.renew_subscription`.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Membership, Organization, OrganizationKind, Role

from .. import services
from ..models import Client, LicensePool, Product
from ..status import Status
from .base import Calendar, client_since, start_for_end

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

# Each pool of the first partner and of its reseller holds at least this much once the
# demo's own debits are made (docs/interface.md).
MINIMUM_DEMO_BALANCE = 1_000

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
    first_written = calendar.today
    for code, status, users, years, position in lines:
        start, years, created_on = _dates(calendar, status, years, position)
        first_written = min(first_written, created_on)
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
    # A client is one since its first contract was written (its first term's start, or
    # today for one that starts later), not since the day the demo was seeded.
    Client.objects.filter(pk=client.pk).update(created_at=client_since(first_written))
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
    """Keeps the minimum balance of docs/interface.md whatever the demo debited."""
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


def balances_below_minimum():
    """Pools of the first partner and its reseller under the minimum of docs/interface.md."""
    return list(
        LicensePool.objects.filter(
            organization__name__in=[ALPHA, ALPHA_RESELLER],
            balance__lt=MINIMUM_DEMO_BALANCE,
        ).select_related("organization", "product")
    )
