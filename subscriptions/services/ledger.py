"""The ledger write: the one place a pool's balance changes, each change with its
LicenseMovement line (docs/rules.md rules 1–3).

A debit is one conditional UPDATE (`balance + quantity >= 0`), so a pool can never be
overdrawn whatever runs beside it; its row lock is held until the commit.
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization

from ..models import LicenseMovement, LicensePool, MovementKind, Product
from . import locks
from .errors import OperationRefused, check_range, shortfall_text


def pool_for(organization_id, product_id):
    """The pool of an organization for a product, created empty if it has none yet."""
    pool, _created = LicensePool.objects.get_or_create(
        organization_id=organization_id, product_id=product_id
    )
    return pool


def pools_for(keys):
    """{(organization id, product id): pool id} for `keys`, creating the missing pools in a
    fixed order (then lock them with `locks.lock_pools`)."""
    return {key: pool_for(*key).pk for key in sorted(keys)}


def change_balance(pool_id, quantity):
    """Adds `quantity` (negative: a debit) in one conditional UPDATE that takes the row lock.

    Returns the balance after, or None when a debit would overdraw the pool.
    """
    table = LicensePool._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance = balance + %s, updated_at = %s "
            "WHERE id = %s AND balance + %s >= 0 RETURNING balance",
            [quantity, timezone.now(), pool_id, quantity],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def not_enough(pool, needed, *, field, balance):
    missing = needed - balance
    message = shortfall_text(
        missing=missing, organization=pool.organization.name, product=pool.product.code,
        balance=balance, needed=needed,
    )
    return OperationRefused(message, field=field, code="not_enough_licenses", missing=missing)


def locked_balance(pool_id):
    return locks.lock_pools([pool_id])[pool_id].balance


def move_lines(pool, lines, *, kind, actor, field=None, note=""):
    """Changes `pool`'s balance by the sum of `lines` ((quantity, links) each; negative: a
    debit) in one conditional UPDATE, and writes one ledger line per item, its balance
    after running in order. OperationRefused (on `field`) when the pool cannot pay."""
    total = sum(quantity for quantity, _links in lines)
    balance_after = change_balance(pool.pk, total)
    if balance_after is None:
        # Read the balance under the row lock: a credit committed between the refused
        # UPDATE and this read would otherwise give a refusal "0 licenses missing".
        balance = locked_balance(pool.pk)
        if balance + total < 0:
            named = LicensePool.objects.select_related("organization", "product").get(pk=pool.pk)
            raise not_enough(named, -total, field=field, balance=balance)
        balance_after = change_balance(pool.pk, total)
    running = balance_after - total
    movements = []
    for quantity, links in lines:
        running += quantity
        movements.append(LicenseMovement(
            pool=pool, quantity=quantity, balance_after=running, kind=kind, actor=actor,
            note=(note or "")[:500], **links,
        ))
    return LicenseMovement.objects.bulk_create(movements)


def move(pool, quantity, *, kind, actor, field=None, note="", **links):
    """Changes a pool's balance and writes its ledger line: the one way a balance moves."""
    return move_lines(pool, [(quantity, links)], kind=kind, actor=actor, field=field,
                      note=note)[0]


def pool_balance(organization: Organization, product: Product) -> tuple[int | None, int]:
    """(pool id, balance) of an organization for a product: (None, 0) without a pool yet."""
    # One pool per (organization, product): the model's ordering would only add two joins.
    rows = list(
        LicensePool.objects.filter(organization=organization, product=product)
        .order_by()
        .values_list("pk", "balance")[:1]
    )
    return rows[0] if rows else (None, 0)


@dataclass
class PoolDebit:
    """What a bulk operation (a bulk renewal, an import) takes from one pool."""

    organization: Organization
    product: Product
    pool_id: int | None
    balance: int
    debit: int = 0
    subscriptions: int = 0

    @property
    def balance_after(self):
        return self.balance - self.debit

    @property
    def missing(self):
        return max(0, self.debit - self.balance)


@transaction.atomic
def record_bulk_debit(*, organization_id, product_id, quantity, note, actor=None):
    """One import ledger line paying for many subscriptions inserted in bulk (imports and
    generated demo data), so 100 000 rows need not write 100 000 lines."""
    check_range(quantity, field="quantity", low=1, high=2**62, label=_("The quantity"))
    pool = pool_for(organization_id, product_id)
    return move(pool, -quantity, kind=MovementKind.IMPORT, actor=actor, note=note)
