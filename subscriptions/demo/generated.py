"""The generated clients of `seed_demo --clients N`: drawn one by one from a seeded
random generator (the same seed gives the same clients), spread over the demo's partners
and generated ones, then loaded in batches (`bulk`).
"""

import bisect
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import reset_queries, transaction

from accounts.models import Organization, OrganizationKind

from ..dates import term_end
from ..models import Client, TermKind
from ..status import Status
from .base import Calendar, start_for_end
from .bulk import insert_batch, pay_for_generated
from .cast import ALPHA, ALPHA_RESELLER, BETA, BETA_RESELLER

# Generated clients carry their index in this form, so a second run with the same
# `--clients N` finds them and adds only what is missing (seed_demo is idempotent).
GENERATED_SUFFIX_REGEX = r" #[0-9]{6}$"
MAX_GENERATED = 999_999  # the six digits of the suffix
# Only one batch of planned clients and one running total per pool are held at a time, so
# the seeding's memory stays flat whatever N.
BATCH_SIZE = 5_000
# One more partner (with resellers) per this many generated clients, for scale realism.
CLIENTS_PER_GENERATED_PARTNER = 1_000
RESELLERS_PER_GENERATED_PARTNER = 3

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
AUTO_RENEW_EVERY = 10

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
    # Rule 23: a tenth of them renew automatically (chosen by index: no draw of `rng`, so
    # a seed gives the same clients as before).
    auto_renew: bool = False


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

    The first partner and its reseller take 55 % (docs/interface.md: at least half), the second
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
            auto_renew=index % AUTO_RENEW_EVERY == AUTO_RENEW_EVERY - 1,
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
            insert_batch(batch, costs, today=calendar.today)
            batch = []
            if settings.DEBUG:
                # Django then keeps the SQL of every query, a batch's INSERTs included:
                # dropped, so that memory stays flat at 999 999 clients too.
                reset_queries()
    if batch:
        insert_batch(batch, costs, today=calendar.today)
    added = count - existing
    note = f"seed_demo --clients: {added} generated clients"
    pay_for_generated(costs, {p.pk: p for p in products.values()}, note)
    report.say(
        f"Generated clients: {added} added ({count} in all), "
        f"{len(generated)} generated partners with {RESELLERS_PER_GENERATED_PARTNER} "
        f"resellers each, {len(costs)} pools paid."
    )
    return added
