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
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organization, OrganizationKind

from . import selectors
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
from .status import Status

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
    then inserts nothing and reads what was done. Returns the row to store the result in.
    """
    if not token:
        return None
    claimed, sql, params = _claim_statement(token, actor=actor, operation=operation)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return _claimed(claimed, row[0] if row else None)


def _claim_statement(token, *, actor, operation):
    """The token's row and the INSERT that claims it, returning its id (no row: taken)."""
    # One statement, where a savepoint around an INSERT that may fail took three round
    # trips: ON CONFLICT waits for a concurrent twin's transaction like the unique index
    # does, then inserts nothing if it committed (docs/benchmarks.md). SQLite has had
    # INSERT … ON CONFLICT … RETURNING since 3.35 (Debian 12 ships 3.40).
    claimed = OperationToken(key=token, user=actor, operation=operation, result={})
    claimed.created_at = timezone.now()
    fields = [OperationToken._meta.get_field(name) for name in
              ("key", "user", "operation", "result", "created_at")]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(OperationToken._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(fields[0].column)}) DO NOTHING RETURNING {quote('id')}"
    )
    params = [field.get_db_prep_save(getattr(claimed, field.attname), connection)
              for field in fields]
    return claimed, sql, params


def _claimed(claimed, token_id):
    """The claimed token's row, or AlreadyDone with what the first submission did."""
    if token_id is None:
        existing = OperationToken.objects.filter(key=claimed.key).first()
        raise AlreadyDone(existing.result if existing else {})
    claimed.pk = token_id
    return claimed


def _remember(claimed, result):
    """Stores what an operation did on its token, for a repeated submission to answer with."""
    if claimed:
        claimed.result = result
        claimed.save(update_fields=["result"])


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
    message = _shortfall_text(
        missing=missing, organization=pool.organization.name, product=pool.product.code,
        balance=balance, needed=needed,
    )
    return OperationRefused(message, field=field, code="not_enough_licenses", missing=missing)


def _shortfall_text(*, missing, organization, product, balance, needed):
    """The one sentence for a pool that cannot pay, whichever operation asked it to."""
    return ngettext(
        "Not enough licenses: %(missing)d license is missing in the pool of %(organization)s "
        "for %(product)s (%(balance)d remaining, %(needed)d needed).",
        "Not enough licenses: %(missing)d licenses are missing in the pool of %(organization)s "
        "for %(product)s (%(balance)d remaining, %(needed)d needed).",
        missing,
    ) % {
        "missing": missing,
        "organization": organization,
        "product": product,
        "balance": balance,
        "needed": needed,
    }


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
    _remember(claimed, {
        "direction": direction,
        "quantity": quantity,
        "reseller": reseller.name,
        "product": product.name,
    })
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
    return _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor, claimed=claimed,
    )


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
    return _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor, claimed=claimed,
    )


def _check_start_date(start_date, today):
    # A datetime is a date subclass that cannot be compared with one: refuse it as bad input.
    if (
        not isinstance(start_date, datetime.date)
        or isinstance(start_date, datetime.datetime)
        or start_date < today
    ):
        raise OperationRefused(_("The start date must be today or later."), field="start_date")


def _open_subscription(*, client, product, users, years, start_date, actor, claimed):
    """A first term, debited from the pool of the organization managing the client; what
    was done is stored on the form's token (`claimed`) for a repeated submission."""
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
    _remember(claimed, {
        "client_id": client.pk,
        "subscription_id": subscription.pk,
        "licenses": cost,
    })
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


# What a renewal reads under the subscription's row lock, in one statement: the row, its
# partner's renewal window (rule 16), the paying organization (the reseller, else the
# partner: rule 5, read off the copies kept on the row) and its pool for the product (NULL
# when it has none yet), and the product's code for the log. On PostgreSQL `claim` is the
# token's INSERT as a data-modifying WITH clause, whose id `claimed_token_id` reads.
_LOCK_FOR_RENEWAL_SQL = (
    "{claim}SELECT {claimed_token_id}s.*, "
    "partner.renewal_window_months AS partner_window_months, "
    "COALESCE(s.client_reseller_id, s.client_partner_id) AS paying_organization_id, "
    "pool.id AS paying_pool_id, product.code AS product_code "
    "FROM subscriptions_subscription s "
    "JOIN accounts_organization partner ON partner.id = s.client_partner_id "
    "JOIN subscriptions_product product ON product.id = s.product_id "
    "LEFT JOIN subscriptions_licensepool pool "
    "ON pool.organization_id = COALESCE(s.client_reseller_id, s.client_partner_id) "
    "AND pool.product_id = s.product_id "
    "WHERE s.id = %s{scope}{lock}"
)


def _scope_condition(scope):
    """The SQL that keeps a subscription of the locked read inside `scope` (the column of
    `Scope.client_filter`), and its parameters; no condition for `scope` None (the
    service called without a user's scope: commands, the API after its own check)."""
    if scope is None or scope.everything:
        return "", []
    column = scope.client_column("client_")
    if column is None:
        return " AND FALSE", []
    return f" AND s.{column} = %s", [scope.organization_id]


def _claim_and_lock_for_renewal(subscription_id, *, token, actor, scope=None):
    """Claims the form's token (see `_claim_token`) and returns (the claimed token's row
    or None without a token, the subscription under its row lock with what a renewal
    needs beside it as attributes: `_LOCK_FOR_RENEWAL_SQL`). Subscription.DoesNotExist
    when there is none in `scope` (None: anywhere); the transaction's rollback then
    leaves the token unspent. PostgreSQL does both in one statement; SQLite, which locks
    the whole database for a write transaction, takes two."""
    condition, condition_params = _scope_condition(scope)
    parts = {"claim": "", "claimed_token_id": "", "lock": "", "scope": condition}
    params = [subscription_id, *condition_params]
    claimed = None
    if connection.features.has_select_for_update_of:
        parts["lock"] = " FOR UPDATE OF s"
        if token:
            claimed, claim_sql, claim_params = _claim_statement(
                token, actor=actor, operation="renew"
            )
            parts["claim"] = f"WITH claimed AS ({claim_sql}) "
            parts["claimed_token_id"] = "(SELECT id FROM claimed) AS claimed_token_id, "
            params = [*claim_params, *params]
    else:
        claimed = _claim_token(token, actor=actor, operation="renew")
    sql = _LOCK_FOR_RENEWAL_SQL.format(**parts)
    subscription = next(iter(Subscription.objects.raw(sql, params)), None)
    if subscription is None:
        raise Subscription.DoesNotExist(f"no subscription {subscription_id}")
    if claimed is not None and claimed.pk is None:
        claimed = _claimed(claimed, subscription.claimed_token_id)
    return claimed, subscription


# PostgreSQL writes a renewal in one statement: the conditional debit of the pool first
# (its row lock, which every renewal of that pool waits for, is held from here to the
# commit only), then, only if it debited, the term, the subscription's new columns, the
# ledger line and the token's result. When the pool cannot pay, nothing is written and the
# statement returns no row. Rules as in `_write_renewal`, which does the same statement by
# statement (SQLite, and refusals: it says why).
_RENEWAL_IN_ONE_STATEMENT_SQL = """
WITH debit AS (
    UPDATE subscriptions_licensepool SET balance = balance - %(licenses)s
    WHERE id = %(pool)s AND balance >= %(licenses)s
    RETURNING id, balance
), new_term AS (
    INSERT INTO subscriptions_term
        (subscription_id, kind, start_date, end_date, users, years, licenses,
         created_by_id, created_at)
    SELECT %(subscription)s, %(term_kind)s, %(start)s, %(end)s, %(users)s, %(years)s,
           %(licenses)s, %(actor)s, %(now)s
    FROM debit
    RETURNING id
), renewed AS (
    UPDATE subscriptions_subscription
    SET previous_term_start = term_start, previous_term_end = term_end,
        previous_users = users, previous_years = years,
        term_start = %(start)s, term_end = %(end)s, users = %(users)s, years = %(years)s,
        not_renewing_reason = NULL, not_renewing_comment = '', not_renewing_at = NULL,
        not_renewing_by_id = NULL
    FROM new_term
    WHERE subscriptions_subscription.id = %(subscription)s
), ledger AS (
    INSERT INTO subscriptions_licensemovement
        (pool_id, quantity, balance_after, kind, subscription_id, term_id, actor_id,
         created_at, note)
    SELECT debit.id, -%(licenses)s, debit.balance, %(movement_kind)s, %(subscription)s,
           new_term.id, %(actor)s, %(now)s, ''
    FROM debit, new_term
), remembered AS (
    UPDATE subscriptions_operationtoken
    SET result = jsonb_build_object(
        'subscription_id', %(subscription)s::integer, 'term_id', new_term.id,
        'licenses', %(licenses)s::integer, 'end_date', %(end)s::text)
    FROM new_term
    WHERE subscriptions_operationtoken.id = %(token)s
)
SELECT new_term.id, debit.balance FROM debit, new_term
"""


def _write_renewal_in_one_statement(subscription, *, pool_id, start, end, users, years,
                                    cost, actor, claimed):
    """PostgreSQL: the renewal's writes in one round trip (`_RENEWAL_IN_ONE_STATEMENT_SQL`).
    Returns (term, balance after), or None when the pool cannot pay and nothing was written.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_RENEWAL_IN_ONE_STATEMENT_SQL, {
            "pool": pool_id,
            "licenses": cost,
            "subscription": subscription.pk,
            "term_kind": TermKind.RENEWAL.value,
            "movement_kind": MovementKind.RENEWAL.value,
            "start": start,
            "end": end,
            "users": users,
            "years": years,
            "actor": getattr(actor, "pk", None),
            "now": now,
            "token": claimed.pk if claimed else None,
        })
        row = cursor.fetchone()
    if row is None:
        return None
    term = Term(
        pk=row[0], subscription=subscription, kind=TermKind.RENEWAL, start_date=start,
        end_date=end, users=users, years=years, licenses=cost, created_by=actor,
        created_at=now,
    )
    return term, row[1]


def _write_renewal(subscription, *, columns, payer_id, start, end, users, years, cost, actor,
                   claimed):
    """The renewal's writes statement by statement, through the ORM: `columns` are the
    subscription's new values (`_renewed_columns`). Returns (term, balance after, pool id);
    raises OperationRefused when the paying pool cannot pay."""
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
    Subscription.objects.filter(pk=subscription.pk).update(**columns)
    _remember(claimed, {
        "subscription_id": subscription.pk,
        "term_id": term.pk,
        "licenses": cost,
        "end_date": end.isoformat(),
    })
    # The debit comes last: its UPDATE takes the pool's row lock, which every renewal paid
    # by the same organization waits for, and holds it until the commit. Everything above
    # locks only this subscription, so concurrent renewals of one pool overlap it
    # (docs/benchmarks.md). A refusal still rolls all of it back.
    pool = _pool(payer_id, subscription.product_id)
    movement = _move(
        pool, -cost, kind=MovementKind.RENEWAL, actor=actor, field="users",
        subscription=subscription, term=term,
    )
    return term, movement.balance_after, pool.pk


def _renewed_columns(subscription, *, start, end, users, years):
    return {
        "previous_term_start": subscription.term_start,
        "previous_term_end": subscription.term_end,
        "previous_users": subscription.users,
        "previous_years": subscription.years,
        "term_start": start,
        "term_end": end,
        "users": users,
        "years": years,
        # Rule 15: renewing it proves the "not renewing" mark wrong.
        **NOT_RENEWING_CLEARED,
    }


@transaction.atomic
def renew_subscription(
    *, actor, subscription_id, years, users=None, token=None, today=None, scope=None
):
    """Rule 4: renew for `years` with `users`, costing users × years licenses.

    `scope` (accounts.models.Scope): Subscription.DoesNotExist unless the subscription is
    in it, checked under the lock (the renewal form's POST reads nothing before).

    Four round trips on PostgreSQL (begin, token and locked read, writes, commit), like the
    raw debit it is measured against, written by hand: building the ORM's ten statements
    was most of a renewal's time (docs/benchmarks.md)."""
    today = today or local_today()
    # Re-read under the lock: a concurrent renewal of the same subscription waits here
    # and then sees the queued term, so it is refused instead of renewing twice.
    claimed, subscription = _claim_and_lock_for_renewal(
        subscription_id, token=token, actor=actor, scope=scope
    )
    partner_months = subscription.partner_window_months
    selectors.annotate_row(subscription, today=today, partner_months=partner_months)
    refusal = refusal_for_status(subscription.status)
    if refusal:
        raise refusal
    if users is None:
        users = subscription.users
    _check_users_years(users, years)

    start = new_term_start(subscription, subscription.status, today)
    end = term_end(start, years)
    cost = users * years
    renewed_columns = _renewed_columns(subscription, start=start, end=end, users=users,
                                       years=years)
    written = None
    if connection.vendor == "postgresql" and subscription.paying_pool_id is not None:
        written = _write_renewal_in_one_statement(
            subscription, pool_id=subscription.paying_pool_id, start=start, end=end, users=users,
            years=years, cost=cost, actor=actor, claimed=claimed,
        )
    if written is not None:
        (term, balance_after), pool_id = written, subscription.paying_pool_id
    else:
        term, balance_after, pool_id = _write_renewal(
            subscription, columns=renewed_columns, payer_id=subscription.paying_organization_id,
            start=start, end=end, users=users, years=years, cost=cost, actor=actor,
            claimed=claimed,
        )
    # Hand back the renewed subscription, with its status and current term, so callers
    # show what is now true: the row written above, without reading it again.
    for column, value in renewed_columns.items():
        setattr(subscription, column, value)
    renewed = selectors.annotate_row(
        subscription, today=today, pool_id=pool_id, partner_months=partner_months
    )
    logger.info(
        "renewal subscription=%s payer=%s product=%s users=%d years=%d licenses=%d "
        "balance_after=%d actor=%s",
        subscription.pk, subscription.paying_organization_id, subscription.product_code,
        users, years, cost, balance_after, actor,
    )
    return RenewalResult(
        subscription=renewed, term=term, licenses=cost, balance_after=balance_after
    )


def pool_balance(organization: Organization, product: Product) -> tuple[int | None, int]:
    """(pool id, balance) of an organization for a product: (None, 0) without a pool yet."""
    row = (
        LicensePool.objects.filter(organization=organization, product=product)
        .values_list("pk", "balance")
        .first()
    )
    return row if row else (None, 0)


# --- bulk renewal (rule 13) -----------------------------------------------------------


@dataclass
class PlannedRenewal:
    """One line of a bulk renewal: what renewing this subscription would write."""

    subscription: Subscription
    start: datetime.date
    end: datetime.date
    users: int
    years: int
    licenses: int
    pool_key: tuple[int, int]  # (paying organization id, product id)


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


@dataclass
class BulkRenewalResult:
    renewals: list[PlannedRenewal]
    pools: list[PoolDebit]

    @property
    def licenses(self):
        return sum(line.licenses for line in self.renewals)


BULK_MAX = 5_000


def plan_bulk_renewal(subscriptions, *, years, today=None):
    """Rule 13: each subscription renewed for `years` at its current users. `subscriptions`
    carry the `with_status` annotations and their client's organizations; raises
    OperationRefused for one that cannot be renewed. Writes nothing (the preview uses it)."""
    today = today or local_today()
    _check_range(years, field="years", low=1, high=MAX_YEARS, label=_("The number of years"))
    lines = []
    for subscription in subscriptions:
        refusal = refusal_for_status(subscription.status)
        if refusal:
            refusal.message = f"{subscription.client.name} ({subscription.product.name}): " + (
                refusal.message
            )
            raise refusal
        # Renewable means no queued renewal: the latest term is the current one.
        users = subscription.users
        start = new_term_start(subscription, subscription.status, today)
        payer = subscription.client.paying_organization
        lines.append(
            PlannedRenewal(
                subscription=subscription,
                start=start,
                end=term_end(start, years),
                users=users,
                years=years,
                licenses=users * years,
                pool_key=(payer.pk, subscription.product_id),
            )
        )
    return lines


def _pool_debits(lines, *, lock):
    """Per paying pool, its balance and the total debit of `lines`, pools in pk order.

    With `lock`, each pool is locked once, in pk order, and the balances are read under
    the lock (a pool that does not exist yet is created first, empty).
    """
    debits = {}
    for line in lines:
        key = line.pool_key
        if key not in debits:
            debits[key] = PoolDebit(
                organization=line.subscription.client.paying_organization,
                product=line.subscription.product,
                pool_id=None,
                balance=0,
            )
        debits[key].debit += line.licenses
        debits[key].subscriptions += 1
    if lock:
        for organization_id, product_id in debits:
            _pool(organization_id, product_id)
    wanted = Q(pk__in=[])
    for organization_id, product_id in debits:
        wanted |= Q(organization_id=organization_id, product_id=product_id)
    pools = LicensePool.objects.filter(wanted).order_by("pk")
    if lock:
        pools = pools.select_for_update()
    for pool_id, organization_id, product_id, balance in pools.values_list(
        "pk", "organization_id", "product_id", "balance"
    ):
        debit = debits.get((organization_id, product_id))
        if debit is not None:
            debit.pool_id, debit.balance = pool_id, balance
    return sorted(
        debits.values(),
        key=lambda d: (d.pool_id is None, d.pool_id or 0, d.organization.name, d.product.name),
    )


def bulk_renewal_preview(subscriptions, *, years, today=None):
    """What `renew_subscriptions` would do, without locking or writing anything."""
    lines = plan_bulk_renewal(subscriptions, years=years, today=today)
    return BulkRenewalResult(renewals=lines, pools=_pool_debits(lines, lock=False))


def short_pools_refusal(pools):
    short = [pool for pool in pools if pool.missing]
    if not short:
        return None
    parts = [
        ngettext(
            "%(missing)d license of %(product)s is missing in the pool of %(organization)s "
            "(%(balance)d remaining, %(needed)d needed)",
            "%(missing)d licenses of %(product)s are missing in the pool of %(organization)s "
            "(%(balance)d remaining, %(needed)d needed)",
            pool.missing,
        )
        % {
            "missing": pool.missing,
            "product": pool.product.name,
            "organization": pool.organization.name,
            "balance": pool.balance,
            "needed": pool.debit,
        }
        for pool in short
    ]
    return OperationRefused(
        _("Not enough licenses: %(details)s. Nothing was renewed.") % {"details": "; ".join(parts)},
        code="not_enough_licenses",
        missing={pool.pool_id: pool.missing for pool in short},
    )


@transaction.atomic
def renew_subscriptions(*, actor, subscription_ids, years, token=None, today=None):
    """Rule 13: renew a selection for `years` each at its current users, all or none.

    Lock order as everywhere: the subscriptions by pk, then each paying pool once, by pk;
    the pools are checked under their lock before anything is written, so a refusal names
    every short pool with its missing count. One ledger line per subscription.
    Callers check the scope: every id must be one the actor may see.
    """
    claimed = _claim_token(token, actor=actor, operation="bulk_renew")
    today = today or local_today()
    try:
        ids = sorted({int(pk) for pk in subscription_ids})
    except (TypeError, ValueError):
        raise OperationRefused(_("Select subscriptions to renew."), field="subscriptions") from None
    if not ids:
        raise OperationRefused(_("Select at least one subscription."), field="subscriptions")
    if len(ids) > BULK_MAX:
        raise OperationRefused(
            _("Select at most %(max)d subscriptions at once.") % {"max": BULK_MAX},
            field="subscriptions",
        )
    _check_range(years, field="years", low=1, high=MAX_YEARS, label=_("The number of years"))
    subscriptions = list(
        Subscription.objects.with_status(today)
        .select_related("client__partner", "client__reseller", "product")
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(subscriptions) != len(ids):
        raise OperationRefused(
            _("A selected subscription does not exist."), field="subscriptions", code="not_found"
        )
    lines = plan_bulk_renewal(subscriptions, years=years, today=today)
    pools = _pool_debits(lines, lock=True)
    refusal = short_pools_refusal(pools)
    if refusal:
        raise refusal

    terms = Term.objects.bulk_create(
        [
            Term(
                subscription=line.subscription,
                kind=TermKind.RENEWAL,
                start_date=line.start,
                end_date=line.end,
                users=line.users,
                years=line.years,
                licenses=line.licenses,
                created_by=actor,
            )
            for line in lines
        ]
    )
    by_key = {(pool.organization.pk, pool.product.pk): pool for pool in pools}
    movements = []
    running = {}
    for pool in pools:
        # The pool is locked and was checked: this conditional debit cannot fail, and the
        # balance it returns is the last line's balance_after.
        balance_after = _change_balance(LicensePool(pk=pool.pool_id), -pool.debit)
        if balance_after is None:  # pragma: no cover - the lock makes this impossible
            raise short_pools_refusal([pool]) or OperationRefused(_("Not enough licenses."))
        running[pool.pool_id] = pool.balance
    for line, term in zip(lines, terms, strict=True):
        pool = by_key[line.pool_key]
        running[pool.pool_id] -= line.licenses
        movements.append(
            LicenseMovement(
                pool_id=pool.pool_id,
                quantity=-line.licenses,
                balance_after=running[pool.pool_id],
                kind=MovementKind.RENEWAL,
                actor=actor,
                subscription=line.subscription,
                term=term,
                note=_("Bulk renewal"),
            )
        )
    LicenseMovement.objects.bulk_create(movements)
    updated = []
    for line in lines:
        subscription = line.subscription
        updated.append(
            Subscription(
                pk=subscription.pk,
                previous_term_start=subscription.term_start,
                previous_term_end=subscription.term_end,
                previous_users=subscription.users,
                previous_years=subscription.years,
                term_start=line.start,
                term_end=line.end,
                users=line.users,
                years=line.years,
                **NOT_RENEWING_CLEARED,
            )
        )
    Subscription.objects.bulk_update(
        updated,
        [
            "previous_term_start", "previous_term_end", "previous_users", "previous_years",
            "term_start", "term_end", "users", "years", *NOT_RENEWING_CLEARED,
        ],
        batch_size=500,
    )
    result = BulkRenewalResult(renewals=lines, pools=pools)
    _remember(claimed, bulk_result_summary(result))
    logger.info(
        "bulk_renewal subscriptions=%d years=%d licenses=%d pools=%s actor=%s",
        len(lines), years, result.licenses,
        ",".join(f"{pool.pool_id}:{pool.debit}" for pool in pools), actor,
    )
    return result


def bulk_result_summary(result):
    """What a repeated submission of the same token answers (stored with the token)."""
    return {
        "subscription_ids": [line.subscription.pk for line in result.renewals],
        "count": len(result.renewals),
        "licenses": result.licenses,
        "renewals": [
            {
                "subscription_id": line.subscription.pk,
                "start_date": line.start.isoformat(),
                "end_date": line.end.isoformat(),
                "users": line.users,
                "years": line.years,
                "licenses": line.licenses,
            }
            for line in result.renewals
        ],
        "pools": [
            {
                "pool_id": pool.pool_id,
                "product": pool.product.code,
                "organization": pool.organization.name,
                "balance": pool.balance,
                "debit": pool.debit,
                "balance_after": pool.balance_after,
            }
            for pool in result.pools
        ],
    }


# --- imports (CONTRACT.md `import_clients`; parsing in subscriptions/imports.py) -------
#
# Choices, documented in docs/deployment.md too:
# - One ledger line per imported subscription (kind `import`, linked to its subscription
#   and term), so the ledger tells which contract took which licenses.
# - `debit=False` (`--no-debit`, contracts already paid elsewhere) changes no balance. As a
#   ledger line cannot hold 0 (CHECK quantity <> 0), the explicit note is a pair of lines
#   per pool, +X then −X of kind `import`, both noting that X licenses were not debited;
#   the imported terms record 0 licenses debited.

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
        from .dates import whole_years_covered

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
    return _shortfall_text(
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
                _("the client's name is at most %(max)d characters long.") % {"max": max_name}
            )
        if row.reseller is not None and (
            row.reseller.kind != OrganizationKind.RESELLER or row.reseller.parent_id != partner.pk
        ):
            problems.append(_("%(reseller)s is not a reseller of %(partner)s.")
                            % {"reseller": row.reseller.name, "partner": partner.name})
        if isinstance(row.users, bool) or not 1 <= row.users <= MAX_USERS:
            problems.append(
                _("the number of users must be from 1 to %(max)d.") % {"max": MAX_USERS}
            )
        if row.end_date < row.start_date:
            problems.append(_("the end date is before the start date."))
        elif row.years > MAX_IMPORT_YEARS:
            problems.append(
                _("a term covers at most %(max)d years.") % {"max": MAX_IMPORT_YEARS}
            )
        key = (row.client, row.reseller.pk if row.reseller else None, row.product.pk)
        if key in seen:
            problems.append(
                _("the same client and product are already on line %(line)d.")
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
        for organization_id, product_id in sorted(debits):
            debits[(organization_id, product_id)].pool_id = _pool(organization_id, product_id).pk
        locked = LicensePool.objects.select_for_update().filter(
            pk__in=[pool.pool_id for pool in debits.values()]
        ).order_by("pk")
        by_key = {(p.organization_id, p.product_id): p for p in locked}
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
    claimed = _claim_token(token, actor=actor, operation="import")
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
            _move(
                pool, -cost, kind=MovementKind.IMPORT, actor=actor, field="users",
                subscription=subscription, term=term,
                note=" ".join(filter(None, [f"import line {row.line}", note])),
            )
        subscriptions.append(subscription)
    if not debit:
        for planned in plan.pools:
            licenses = sum(
                row.licenses for row in plan.rows
                if (row.reseller or partner).pk == planned.organization.pk
                and row.product.pk == planned.product.pk
            )
            memo = (
                f"import without debit (--no-debit): {planned.subscriptions} already-paid "
                f"subscriptions worth {licenses} licenses, not debited. {note}"
            ).strip()
            pool = pool_rows[planned.pool_id]
            _move(pool, licenses, kind=MovementKind.IMPORT, actor=actor, note=memo)
            _move(pool, -licenses, kind=MovementKind.IMPORT, actor=actor, note=memo)
    for planned in plan.pools:
        logger.info(
            "import partner=%s payer=%s product=%s subscriptions=%d licenses=%d debit=%s "
            "balance_after=%d actor=%s",
            partner.pk, planned.organization.pk, planned.product.code, planned.subscriptions,
            planned.debit, "yes" if debit else "no", planned.balance_after, actor,
        )
    _remember(claimed, {
        "subscriptions": len(subscriptions),
        "clients": len({s.client_id for s in subscriptions}),
        "licenses": plan.licenses if debit else 0,
    })
    return ImportResult(plan=plan, subscriptions=subscriptions)


# --- undo a renewal (rule 14) and not renewing (rule 15) -------------------------------

UNDO_HOURS = 168


def _live_terms(subscription_id):
    """The terms that count, latest first: a cancelled renewal is history only."""
    return Term.objects.filter(
        subscription_id=subscription_id, cancelled_at__isnull=True
    ).order_by("-start_date", "-pk")


def undo_refusal(term, *, now):
    """Why the renewal `term` (the latest live one) can no longer be undone, or None."""
    if term is None or term.kind != TermKind.RENEWAL:
        return OperationRefused(
            _("This subscription has no renewal to cancel."), code="nothing_to_undo"
        )
    from django.utils import timezone

    today = timezone.localdate(now, timezone=timezone.get_default_timezone())
    started = term.start_date <= today
    too_old = now - term.created_at >= datetime.timedelta(hours=UNDO_HOURS)
    if started and too_old:
        return OperationRefused(
            _("This renewal can no longer be cancelled: its term has started and it was "
              "made more than 7 days ago."),
            code="too_late",
        )
    return None


def undoable_term(subscription_id, *, now=None):
    """The renewal that may be cancelled now, or None (for showing the button)."""
    from django.utils import timezone

    now = now or timezone.now()
    term = _live_terms(subscription_id).first()
    return None if undo_refusal(term, now=now) else term


@transaction.atomic
def cancel_renewal(*, actor, subscription_id, token=None, now=None):
    """Rule 14: refund the latest renewal to the pool it was debited from, mark its term
    cancelled, and put the subscription's columns back as they were before it.

    Locks the subscription first (as a renewal does), so a cancel and a renewal, or two
    cancels, of one subscription run one after the other and the second sees the first.
    Callers check the scope and the manager role.
    """
    from django.utils import timezone

    claimed = _claim_token(token, actor=actor, operation="cancel_renewal")
    now = now or timezone.now()
    subscription = (
        Subscription.objects.select_related("client", "product")
        .select_for_update()
        .get(pk=subscription_id)
    )
    live = list(_live_terms(subscription.pk)[:3])
    term = live[0] if live else None
    refusal = undo_refusal(term, now=now)
    if refusal:
        raise refusal
    debits = list(
        LicenseMovement.objects.filter(term=term, kind=MovementKind.RENEWAL).select_related(
            "pool__organization"
        )
    )
    refund = 0
    for debit in debits:
        _move(
            debit.pool, -debit.quantity, kind=MovementKind.REVERSAL, actor=actor,
            subscription=subscription, term=term,
            note=_("Renewal cancelled"),
        )
        refund += -debit.quantity
    Term.objects.filter(pk=term.pk).update(cancelled_at=now, cancelled_by=actor)
    before = live[2] if len(live) > 2 else None
    Subscription.objects.filter(pk=subscription.pk).update(
        term_start=subscription.previous_term_start,
        term_end=subscription.previous_term_end,
        users=subscription.previous_users,
        years=subscription.previous_years,
        previous_term_start=before.start_date if before else None,
        previous_term_end=before.end_date if before else None,
        previous_users=before.users if before else None,
        previous_years=before.years if before else None,
    )
    _remember(claimed, {"subscription_id": subscription.pk, "term_id": term.pk,
                      "licenses": refund})
    logger.info(
        "cancel_renewal subscription=%s term=%s licenses=%d actor=%s",
        subscription.pk, term.pk, refund, actor,
    )
    return refund


def _locked_with_status(subscription_id):
    return (
        Subscription.objects.with_status(local_today())
        .select_for_update(of=("self",))
        .get(pk=subscription_id)
    )


@transaction.atomic
def mark_not_renewing(*, actor, subscription_id, reason, comment=""):
    """Rule 15: only an expiring or expired subscription can be marked."""
    from django.utils import timezone

    from .models import NotRenewingReason

    if reason not in NotRenewingReason.values:
        raise OperationRefused(_("Choose a reason."), field="reason", code="invalid")
    subscription = _locked_with_status(subscription_id)
    if subscription.status not in Status.TO_RENEW:
        raise OperationRefused(
            _("Only an expiring or expired subscription can be marked as not renewing."),
            code="not_to_renew",
        )
    Subscription.objects.filter(pk=subscription.pk).update(
        not_renewing_reason=reason,
        not_renewing_comment=(comment or "")[:500],
        not_renewing_at=timezone.now(),
        not_renewing_by=actor,
    )
    logger.info("not_renewing subscription=%s reason=%s actor=%s",
                subscription.pk, reason, actor)


@transaction.atomic
def clear_not_renewing(*, actor, subscription_id):
    Subscription.objects.filter(pk=subscription_id).update(**NOT_RENEWING_CLEARED)
    logger.info("not_renewing_cleared subscription=%s actor=%s", subscription_id, actor)


NOT_RENEWING_CLEARED = {
    "not_renewing_reason": None,
    "not_renewing_comment": "",
    "not_renewing_at": None,
    "not_renewing_by": None,
}
