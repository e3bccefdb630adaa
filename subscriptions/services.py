"""The only writers of license pools (DESIGN.md rules 1–5, 8–10).

Each operation runs in one transaction that claims the form's one-time token, locks what
it changes, re-reads it under the lock, checks, debits and writes the ledger line. Lock
order, everywhere: subscriptions by pk, then pools by pk. Two transactions therefore
never wait on each other in opposite orders, and cannot deadlock.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organization, OrganizationKind

from .dates import local_today, term_end
from .models import (
    Client,
    LicenseMovement,
    LicensePool,
    MovementKind,
    OperationToken,
    Product,
    Subscription,
    Term,
    TermKind,
)
from .selectors import Status

logger = logging.getLogger("portal.operations")

MAX_YEARS = 5
MAX_USERS = 100_000
MAX_QUANTITY = 10_000_000


class OperationRefused(Exception):
    """A business rule refused the operation; nothing was changed.

    `field` names the form field the message belongs next to (None: the whole form).
    """

    def __init__(self, message, *, field=None, code="refused", missing=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.missing = missing


class AlreadyDone(Exception):
    """The form's token was used already: the operation happened once, with this result."""

    def __init__(self, result):
        super().__init__("operation already carried out")
        self.result = result


@dataclass
class RenewalResult:
    subscription: Subscription
    term: Term
    licenses: int
    balance_after: int


# --- building blocks ------------------------------------------------------------------


def _claim_token(token, *, actor, operation):
    """Records the form's token first, so a second submission of the same form stops here.

    On PostgreSQL a concurrent twin waits on the unique index until this transaction ends,
    then fails and reads what was done. Returns the row to store the result in.
    """
    if not token:
        return None
    try:
        with transaction.atomic():
            return OperationToken.objects.create(key=token, user=actor, operation=operation)
    except IntegrityError:
        existing = OperationToken.objects.filter(key=token).first()
        raise AlreadyDone(existing.result if existing else {}) from None


def _pool(organization_id, product_id):
    pool, _created = LicensePool.objects.get_or_create(
        organization_id=organization_id, product_id=product_id
    )
    return pool


def _change_balance(pool, quantity):
    """Adds `quantity` (negative: a debit) in one conditional UPDATE that takes the row lock.

    Returns the balance after, or None when a debit would overdraw the pool.
    """
    table = LicensePool._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance = balance + %s WHERE id = %s AND balance + %s >= 0 "
            "RETURNING balance",
            [quantity, pool.pk, quantity],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _not_enough(pool, needed, *, field, balance=None):
    if balance is None:
        balance = LicensePool.objects.filter(pk=pool.pk).values_list("balance", flat=True).get()
    missing = needed - balance
    message = ngettext(
        "Not enough licenses: %(missing)d license is missing in the pool of %(organization)s "
        "(%(balance)d remaining, %(needed)d needed).",
        "Not enough licenses: %(missing)d licenses are missing in the pool of %(organization)s "
        "(%(balance)d remaining, %(needed)d needed).",
        missing,
    ) % {
        "missing": missing,
        "organization": pool.organization.name,
        "balance": balance,
        "needed": needed,
    }
    return OperationRefused(message, field=field, code="not_enough_licenses", missing=missing)


def _move(pool, quantity, *, kind, actor, field=None, note="", **links):
    """Changes a pool's balance and writes its ledger line: the one way a balance moves."""
    balance_after = _change_balance(pool, quantity)
    if balance_after is None:
        # Read the balance under the row lock: a credit committed between the refused
        # UPDATE and this read would otherwise give a refusal "0 licenses missing".
        balance = (
            LicensePool.objects.select_for_update()
            .filter(pk=pool.pk)
            .values_list("balance", flat=True)
            .get()
        )
        if balance + quantity < 0:
            raise _not_enough(pool, -quantity, field=field, balance=balance)
        balance_after = _change_balance(pool, quantity)
    return LicenseMovement.objects.create(
        pool=pool,
        quantity=quantity,
        balance_after=balance_after,
        kind=kind,
        actor=actor,
        note=(note or "")[:500],
        **links,
    )


def _check_range(value, *, field, low, high, label):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OperationRefused(
            _("%(label)s must be a whole number from %(low)d to %(high)d.")
            % {"label": label, "low": low, "high": high},
            field=field,
            code="out_of_range",
        )


def _check_users_years(users, years):
    _check_range(years, field="years", low=1, high=MAX_YEARS, label=_("The number of years"))
    _check_range(users, field="users", low=1, high=MAX_USERS, label=_("The number of users"))


# --- operations -----------------------------------------------------------------------


@transaction.atomic
def grant_licenses(*, partner, product, quantity, actor=None, note=""):
    """Publisher → partner credit."""
    if partner.kind != OrganizationKind.PARTNER:
        raise OperationRefused(_("Licenses are granted to partners only."), field="partner")
    _check_range(quantity, field="quantity", low=1, high=MAX_QUANTITY, label=_("The quantity"))
    pool = _pool(partner.pk, product.pk)
    movement = _move(pool, quantity, kind=MovementKind.GRANT, actor=actor, note=note)
    logger.info(
        "grant partner=%s product=%s quantity=%d balance_after=%d actor=%s",
        partner.pk, product.code, quantity, movement.balance_after, actor,
    )
    return movement


GIVE = "give"
TAKE = "take"


@transaction.atomic
def allocate_licenses(
    *, partner, reseller, product, quantity, direction, actor, token=None, note=""
):
    """Rule 9: a partner gives licenses to one of its resellers, or takes unused ones back."""
    claimed = _claim_token(token, actor=actor, operation="allocate")
    if reseller.kind != OrganizationKind.RESELLER or reseller.parent_id != partner.pk:
        raise OperationRefused(_("Select one of your resellers."), field="reseller")
    if direction not in (GIVE, TAKE):
        raise OperationRefused(_("Choose to give or to take back."), field="direction")
    _check_range(quantity, field="quantity", low=1, high=MAX_QUANTITY, label=_("The quantity"))
    partner_pool = _pool(partner.pk, product.pk)
    reseller_pool = _pool(reseller.pk, product.pk)
    if direction == GIVE:
        source, target = partner_pool, reseller_pool
    else:
        source, target = reseller_pool, partner_pool
    moves = {source.pk: -quantity, target.pk: quantity}
    movements = {}
    # Both pools in pk order, whatever the direction: two opposite transfers cannot deadlock.
    for pool in sorted((source, target), key=lambda p: p.pk):
        counterpart = target if pool is source else source
        movements[pool.pk] = _move(
            pool,
            moves[pool.pk],
            kind=MovementKind.ALLOCATION,
            actor=actor,
            field="quantity",
            note=note,
            counterpart=counterpart,
        )
    if claimed:
        claimed.result = {
            "direction": direction,
            "quantity": quantity,
            "reseller": reseller.name,
            "product": product.name,
        }
        claimed.save(update_fields=["result"])
    logger.info(
        "allocation partner=%s reseller=%s product=%s direction=%s quantity=%d actor=%s",
        partner.pk, reseller.pk, product.code, direction, quantity, actor,
    )
    return movements[source.pk], movements[target.pk]


@transaction.atomic
def create_client(
    *,
    actor,
    partner,
    name,
    product,
    users,
    years,
    start_date,
    reseller=None,
    token=None,
    today=None,
):
    """Rule 8: a new client and its first subscription, paid by the managing organization."""
    claimed = _claim_token(token, actor=actor, operation="create_client")
    today = today or local_today()
    name = (name or "").strip()
    if not name:
        raise OperationRefused(_("Enter the client's name."), field="name")
    # Checked here, not left to the column: PostgreSQL would answer a DataError (a 500)
    # and SQLite would store the name whole.
    max_length = Client._meta.get_field("name").max_length
    if len(name) > max_length:
        raise OperationRefused(
            _("The client's name is at most %(max)d characters long.") % {"max": max_length},
            field="name",
        )
    if partner.kind != OrganizationKind.PARTNER:
        raise OperationRefused(_("Select a partner."), field="partner")
    if reseller is not None and (
        reseller.kind != OrganizationKind.RESELLER or reseller.parent_id != partner.pk
    ):
        raise OperationRefused(_("Select one of the partner's resellers."), field="reseller")
    _check_users_years(users, years)
    _check_start_date(start_date, today)
    client = Client.objects.create(name=name, partner=partner, reseller=reseller)
    subscription = _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor,
    )
    if claimed:
        claimed.result = {
            "client_id": client.pk,
            "subscription_id": subscription.pk,
            "licenses": users * years,
        }
        claimed.save(update_fields=["result"])
    return subscription


@transaction.atomic
def add_subscription(
    *, actor, client, product, users, years, start_date, token=None, today=None
):
    """A further product for an existing client, on the same terms as a creation (rule 8)."""
    claimed = _claim_token(token, actor=actor, operation="add_subscription")
    today = today or local_today()
    _check_users_years(users, years)
    _check_start_date(start_date, today)
    if Subscription.objects.filter(client=client, product=product).exists():
        raise OperationRefused(
            _("This client already has a subscription to %(product)s: renew it instead.")
            % {"product": product.name},
            field="product",
        )
    subscription = _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor,
    )
    if claimed:
        claimed.result = {
            "client_id": client.pk,
            "subscription_id": subscription.pk,
            "licenses": users * years,
        }
        claimed.save(update_fields=["result"])
    return subscription


def _check_start_date(start_date, today):
    # A datetime is a date subclass that cannot be compared with one: refuse it as bad input.
    if (
        not isinstance(start_date, datetime.date)
        or isinstance(start_date, datetime.datetime)
        or start_date < today
    ):
        raise OperationRefused(_("The start date must be today or later."), field="start_date")


def _open_subscription(*, client, product, users, years, start_date, actor):
    """A first term, debited from the pool of the organization managing the client."""
    end = term_end(start_date, years)
    subscription = Subscription.objects.create(
        client=client,
        product=product,
        term_start=start_date,
        term_end=end,
        users=users,
        years=years,
    )
    cost = users * years
    term = Term.objects.create(
        subscription=subscription,
        kind=TermKind.CREATION,
        start_date=start_date,
        end_date=end,
        users=users,
        years=years,
        licenses=cost,
        created_by=actor,
    )
    payer = client.paying_organization
    pool = _pool(payer.pk, product.pk)
    pool.organization = payer
    _move(
        pool, -cost, kind=MovementKind.CREATION, actor=actor, field="users",
        subscription=subscription, term=term,
    )
    logger.info(
        "subscription_opened client=%s payer=%s product=%s users=%d years=%d licenses=%d "
        "actor=%s",
        client.pk, payer.pk, product.code, users, years, cost, actor,
    )
    return subscription


@transaction.atomic
def record_bulk_debit(*, organization_id, product_id, quantity, note, actor=None):
    """One import ledger line paying for many subscriptions inserted in bulk (imports and
    generated demo data), so 100 000 rows need not write 100 000 lines."""
    _check_range(quantity, field="quantity", low=1, high=2**62, label=_("The quantity"))
    pool = _pool(organization_id, product_id)
    return _move(pool, -quantity, kind=MovementKind.IMPORT, actor=actor, note=note)


def new_term_start(subscription, status, today):
    """Rule 4: the day after the current end, or today when it has expired (no one pays
    for a gap) unless the publisher charges the lapse (RENEWAL_AFTER_EXPIRY=continuous)."""
    if status == Status.EXPIRED and settings.RENEWAL_AFTER_EXPIRY == "restart":
        return today
    return subscription.term_end + datetime.timedelta(days=1)


def refusal_for_status(status):
    if status == Status.RENEWED:
        return OperationRefused(
            _("This subscription already has a renewal that has not started yet."),
            code="already_renewed",
        )
    if status == Status.NOT_STARTED:
        return OperationRefused(
            _("This subscription has not started yet: it cannot be renewed."), code="not_started"
        )
    return None


@transaction.atomic
def renew_subscription(*, actor, subscription_id, years, users=None, token=None, today=None):
    """Rule 4: renew for `years` with `users`, costing users × years licenses."""
    claimed = _claim_token(token, actor=actor, operation="renew")
    today = today or local_today()
    # Re-read under the lock: a concurrent renewal of the same subscription waits here
    # and then sees the queued term, so it is refused instead of renewing twice.
    subscription = (
        Subscription.objects.with_status(today)
        .select_related("client__partner", "client__reseller", "product")
        .select_for_update(of=("self",))
        .get(pk=subscription_id)
    )
    refusal = refusal_for_status(subscription.status)
    if refusal:
        raise refusal
    if users is None:
        users = subscription.users
    _check_users_years(users, years)

    start = new_term_start(subscription, subscription.status, today)
    end = term_end(start, years)
    cost = users * years
    term = Term.objects.create(
        subscription=subscription,
        kind=TermKind.RENEWAL,
        start_date=start,
        end_date=end,
        users=users,
        years=years,
        licenses=cost,
        created_by=actor,
    )
    payer = subscription.client.paying_organization
    pool = _pool(payer.pk, subscription.product_id)
    pool.organization = payer
    movement = _move(
        pool, -cost, kind=MovementKind.RENEWAL, actor=actor, field="users",
        subscription=subscription, term=term,
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        previous_term_start=subscription.term_start,
        previous_term_end=subscription.term_end,
        previous_users=subscription.users,
        previous_years=subscription.years,
        term_start=start,
        term_end=end,
        users=users,
        years=years,
    )
    if claimed:
        claimed.result = {
            "subscription_id": subscription.pk,
            "term_id": term.pk,
            "licenses": cost,
            "end_date": end.isoformat(),
        }
        claimed.save(update_fields=["result"])
    logger.info(
        "renewal subscription=%s payer=%s product=%s users=%d years=%d licenses=%d "
        "balance_after=%d actor=%s",
        subscription.pk, payer.pk, subscription.product.code, users, years, cost,
        movement.balance_after, actor,
    )
    # The row locked above still holds the old term: hand back the renewed one, with its
    # status and current term, so callers show what is now true.
    renewed = (
        Subscription.objects.with_status(today)
        .select_related("client__partner", "client__reseller", "product")
        .get(pk=subscription.pk)
    )
    return RenewalResult(
        subscription=renewed, term=term, licenses=cost, balance_after=movement.balance_after
    )


def pool_balance(organization: Organization, product: Product) -> tuple[int | None, int]:
    """(pool id, balance) of an organization for a product: (None, 0) without a pool yet."""
    row = (
        LicensePool.objects.filter(organization=organization, product=product)
        .values_list("pk", "balance")
        .first()
    )
    return row if row else (None, 0)
