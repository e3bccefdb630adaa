"""Clients and their current terms from an import file, all or nothing
(docs/interface.md `import_clients`; the file's parsing is subscriptions/imports.py).

Choices, documented in docs/deployment.md too:
- One ledger line per imported subscription (kind `import`, linked to its subscription
  and term), so the ledger tells which contract took which licenses.
- `debit=False` (`--no-debit`, contracts already paid elsewhere) changes no balance. As a
  ledger line cannot hold 0 (CHECK quantity <> 0), the explicit note is a pair of lines
  per pool, +X then −X of kind `import`, both noting that X licenses were not debited;
  the imported terms record 0 licenses debited.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, OrganizationKind
from portal.numbers import figures

from ..dates import whole_years_covered
from ..models import Client, LicensePool, MovementKind, Product, Subscription, Term, TermKind
from ..notes import import_line_note, import_not_debited_note
from . import audited, idempotency, ledger, locks
from .errors import MAX_USERS, OperationRefused, shortfall_text
from .ledger import PoolDebit

logger = logging.getLogger("portal.operations")

MAX_IMPORT_YEARS = 50


@dataclass
class ImportRow:
    """One line of an import file, its references resolved (imports.parse builds them)."""

    line: int
    client: str
    reseller: Organization | None
    product: Product
    users: int
    start_date: datetime.date
    end_date: datetime.date

    @property
    def years(self):
        return whole_years_covered(self.start_date, self.end_date)

    @property
    def licenses(self):
        return self.users * self.years


@dataclass
class ImportPlan:
    partner: Organization
    rows: list
    pools: list
    errors: list  # (line number or None, message)
    debit: bool = True

    @property
    def licenses(self):
        return sum(row.licenses for row in self.rows)

    @property
    def shortfalls(self):
        return [pool for pool in self.pools if pool.missing] if self.debit else []

    @property
    def ok(self):
        return not self.errors and not self.shortfalls and bool(self.rows)


class ImportRefused(OperationRefused):
    """The file is refused whole; `plan` holds every bad line and every short pool."""

    def __init__(self, plan):
        super().__init__(_("The import was refused: nothing was imported."), code="import_refused")
        self.plan = plan


def shortfall_message(pool):
    return shortfall_text(
        missing=pool.missing, organization=pool.organization.name, product=pool.product.code,
        balance=pool.balance, needed=pool.debit,
    )


def _existing_clients(partner, names):
    """Clients of the partner with these exact names: {(name, reseller id): client}."""
    return {
        (client.name, client.reseller_id): client
        for client in Client.objects.filter(partner=partner, name__in=names)
    }


def plan_import(*, partner, rows, debit=True, lock=False):
    """Checks every line and what each pool pays, writing nothing but missing empty pools
    when `lock` (then each pool is locked once, in pk order, for the caller's transaction).
    """
    if partner.kind != OrganizationKind.PARTNER:
        raise OperationRefused(_("Select a partner."), field="partner")
    errors = []
    max_name = Client._meta.get_field("name").max_length
    names = {row.client for row in rows}
    existing = _existing_clients(partner, names)
    taken = set(
        Subscription.objects.filter(client__in=list(existing.values())).values_list(
            "client__name", "client__reseller_id", "product_id"
        )
    )
    seen = {}
    good = []
    for row in rows:
        problems = []
        if not row.client:
            problems.append(_("the client's name is empty."))
        elif len(row.client) > max_name:
            problems.append(
                _("the client's name is at most %(max)s characters long.")
                % figures({"max": max_name})
            )
        if row.reseller is not None and (
            row.reseller.kind != OrganizationKind.RESELLER or row.reseller.parent_id != partner.pk
        ):
            problems.append(_("%(reseller)s is not a reseller of %(partner)s.")
                            % {"reseller": row.reseller.name, "partner": partner.name})
        if isinstance(row.users, bool) or not 1 <= row.users <= MAX_USERS:
            problems.append(
                _("the number of users must be from 1 to %(max)s.") % figures({"max": MAX_USERS})
            )
        if row.end_date < row.start_date:
            problems.append(_("the end date is before the start date."))
        elif row.years > MAX_IMPORT_YEARS:
            problems.append(
                _("a term covers at most %(max)s years.") % figures({"max": MAX_IMPORT_YEARS})
            )
        key = (row.client, row.reseller.pk if row.reseller else None, row.product.pk)
        if key in seen:
            problems.append(
                _("the same client and product are already on line %(line)s.")
                % {"line": seen[key]}
            )
        elif key in taken:
            problems.append(
                _("%(client)s already has a subscription to %(product)s.")
                % {"client": row.client, "product": row.product.name}
            )
        seen.setdefault(key, row.line)
        for problem in problems:
            errors.append((row.line, problem))
        if not problems:
            good.append(row)

    debits = {}
    for row in good:
        payer = row.reseller or partner
        pool = debits.setdefault(
            (payer.pk, row.product.pk),
            PoolDebit(organization=payer, product=row.product, pool_id=None, balance=0),
        )
        pool.debit += row.licenses if debit else 0
        pool.subscriptions += 1
    if lock:
        # Created first (in a fixed order), then each locked once in pk order, as every
        # service locks pools: an import and a renewal never wait on each other in a cycle.
        ids = ledger.pools_for(debits)
        for key, pool_id in ids.items():
            debits[key].pool_id = pool_id
        by_key = {(p.organization_id, p.product_id): p
                  for p in locks.lock_pools(ids.values()).values()}
    else:
        by_key = {
            (p.organization_id, p.product_id): p
            for p in LicensePool.objects.filter(
                organization_id__in={key[0] for key in debits},
                product_id__in={key[1] for key in debits},
            )
        }
    for key, pool in debits.items():
        found = by_key.get(key)
        if found is not None:
            pool.pool_id, pool.balance = found.pk, found.balance
    pools = sorted(
        debits.values(), key=lambda p: (p.organization.name, p.product.code, p.organization.pk)
    )
    return ImportPlan(partner=partner, rows=list(rows), pools=pools, errors=errors, debit=debit)


@dataclass
class ImportResult:
    plan: ImportPlan
    subscriptions: list


@transaction.atomic
def import_subscriptions(*, partner, rows, actor=None, debit=True, token=None, note=""):
    """Clients and their current terms from an import file: all or nothing.

    Raises ImportRefused (with every bad line and every short pool) and writes nothing
    when one line is bad or one pool cannot pay.
    """
    claimed = idempotency.claim_form_token(token, actor=actor, operation="import")
    plan = plan_import(partner=partner, rows=rows, debit=debit, lock=True)
    if not plan.rows:
        raise OperationRefused(_("The file holds no subscription to import."), code="empty")
    if not plan.ok:
        raise ImportRefused(plan)
    pools = {(p.organization.pk, p.product.pk): p for p in plan.pools}
    pool_rows = {p.pk: p for p in LicensePool.objects.filter(
        pk__in=[p.pool_id for p in plan.pools]).select_related("organization")}
    clients = _existing_clients(partner, {row.client for row in plan.rows})
    subscriptions = []
    for row in plan.rows:
        reseller_id = row.reseller.pk if row.reseller else None
        client = clients.get((row.client, reseller_id))
        if client is None:
            client = Client.objects.create(name=row.client, partner=partner, reseller=row.reseller)
            clients[(row.client, reseller_id)] = client
        years, cost = row.years, row.licenses
        subscription = Subscription.objects.create(
            client=client,
            product=row.product,
            term_start=row.start_date,
            term_end=row.end_date,
            users=row.users,
            years=years,
            # Rule 23: the partner's default for its clients and its resellers'.
            auto_renew=partner.auto_renew_new_clients,
        )
        term = Term.objects.create(
            subscription=subscription,
            kind=TermKind.IMPORT,
            start_date=row.start_date,
            end_date=row.end_date,
            users=row.users,
            years=years,
            licenses=cost if debit else 0,
            created_by=actor,
        )
        if debit:
            payer = row.reseller or partner
            pool = pool_rows[pools[(payer.pk, row.product.pk)].pool_id]
            ledger.move(
                pool, -cost, kind=MovementKind.IMPORT, actor=actor, field="users",
                subscription=subscription, term=term,
                note=import_line_note(row.line, note),
            )
        subscriptions.append(subscription)
    if not debit:
        for planned in plan.pools:
            licenses = sum(
                row.licenses for row in plan.rows
                if (row.reseller or partner).pk == planned.organization.pk
                and row.product.pk == planned.product.pk
            )
            memo = import_not_debited_note(planned.subscriptions, licenses, note)
            pool = pool_rows[planned.pool_id]
            ledger.move(pool, licenses, kind=MovementKind.IMPORT, actor=actor, note=memo)
            ledger.move(pool, -licenses, kind=MovementKind.IMPORT, actor=actor, note=memo)
    for planned in plan.pools:
        logger.info(
            "import partner=%s payer=%s product=%s subscriptions=%d licenses=%d debit=%s "
            "balance_after=%d actor=%s",
            partner.pk, planned.organization.pk, planned.product.code, planned.subscriptions,
            planned.debit, "yes" if debit else "no", planned.balance_after, actor,
        )
    idempotency.remember(claimed, {
        "subscriptions": len(subscriptions),
        "clients": len({s.client_id for s in subscriptions}),
        "licenses": plan.licenses if debit else 0,
    })
    result = ImportResult(plan=plan, subscriptions=subscriptions)
    audited.imported(partner, result, debit=debit, actor=actor)
    return result
