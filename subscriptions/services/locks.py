"""The only place the services lock rows, always in one order: subscriptions first, then
pools, each by pk (as Saleor's `lock_objects`). Two transactions therefore never wait on
each other in opposite orders, and cannot deadlock.

The one lock taken elsewhere is the ledger's conditional debit of a pool (`ledger.move`),
an UPDATE that locks the row it changes; an operation debits last, after every lock taken
here, or debits pools it has locked here first.

SQLite ignores `select_for_update`: it locks the whole database for a write transaction,
which serialises writers anyway.
"""

from django.db import connection

from webhooks.services.outbox import any_endpoint_sql

from ..models import LicensePool, Subscription
from . import idempotency


def subscriptions_for_update(queryset=None):
    """`queryset` (default: every subscription) locked in pk order, its own rows only."""
    queryset = Subscription.objects.all() if queryset is None else queryset
    return queryset.order_by("pk").select_for_update(of=("self",))


def lock_subscriptions(ids, *, queryset=None):
    """The subscriptions `ids`, locked in pk order (those that exist)."""
    return list(subscriptions_for_update(queryset).filter(pk__in=ids))


def lock_subscription(subscription_id, *, queryset=None):
    """One subscription under its row lock; Subscription.DoesNotExist when there is none."""
    return subscriptions_for_update(queryset).get(pk=subscription_id)


def pools_for_update():
    return LicensePool.objects.order_by("pk").select_for_update(of=("self",))


def lock_pools(pool_ids):
    """{pk: pool} of the pools `pool_ids`, locked in pk order."""
    return {pool.pk: pool for pool in pools_for_update().filter(pk__in=list(pool_ids))}


# What a renewal reads under the subscription's row lock, in one statement: the row, its
# partner's renewal window (rule 16), the paying organization (the reseller, else the
# partner: rule 5, read off the copies kept on the row) and its pool for the product (NULL
# when it has none yet), the product's code for the log, and whether the client's partner
# or reseller has a webhook endpoint (`webhooks_wanted`: the outbox has work). `along` is
# a data-modifying WITH clause run in the same statement (the form token's claim), whose
# id `claimed_token_id` reads.
_LOCK_FOR_RENEWAL_SQL = (
    "{along}SELECT {claimed_token_id}s.*, "
    "partner.renewal_window_months AS partner_window_months, "
    "COALESCE(s.client_reseller_id, s.client_partner_id) AS paying_organization_id, "
    "pool.id AS paying_pool_id, product.code AS product_code, "
    f"{any_endpoint_sql('s.client_partner_id', 's.client_reseller_id')} AS webhooks_wanted "
    "FROM subscriptions_subscription s "
    "JOIN accounts_organization partner ON partner.id = s.client_partner_id "
    "JOIN subscriptions_product product ON product.id = s.product_id "
    "LEFT JOIN subscriptions_licensepool pool "
    "ON pool.organization_id = COALESCE(s.client_reseller_id, s.client_partner_id) "
    "AND pool.product_id = s.product_id "
    "WHERE s.id = %s{scope}{lock}"
)


def can_lock_in_one_statement():
    """Whether a claim can ride in the locking statement (PostgreSQL's FOR UPDATE OF)."""
    return connection.features.has_select_for_update_of


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


def lock_subscription_for_renewal(subscription_id, *, scope=None, along=None):
    """The subscription under its row lock with what a renewal needs beside it as
    attributes (`_LOCK_FOR_RENEWAL_SQL`); Subscription.DoesNotExist when there is none in
    `scope` (None: anywhere). `along`: (sql, params) of an INSERT … RETURNING id to run in
    the same statement, only where `can_lock_in_one_statement()`."""
    condition, condition_params = _scope_condition(scope)
    parts = {"along": "", "claimed_token_id": "", "lock": "", "scope": condition}
    params = [subscription_id, *condition_params]
    if can_lock_in_one_statement():
        parts["lock"] = " FOR UPDATE OF s"
    if along is not None:
        along_sql, along_params = along
        parts["along"] = f"WITH claimed AS ({along_sql}) "
        parts["claimed_token_id"] = "(SELECT id FROM claimed) AS claimed_token_id, "
        params = [*along_params, *params]
    sql = _LOCK_FOR_RENEWAL_SQL.format(**parts)
    subscription = fetch_instance(Subscription, sql, params)
    if subscription is None:
        raise Subscription.DoesNotExist(f"no subscription {subscription_id}")
    return subscription


def claim_and_lock_for_renewal(subscription_id, *, operation, token, actor, scope):
    """Claims the form's `token` for `operation` and locks the subscription
    (`lock_subscription_for_renewal`): (the claimed token's row or None, the subscription).
    Where the database allows, both are one statement; otherwise the claim comes first.
    When there is no subscription in `scope`, the transaction's rollback leaves the token
    unspent. A renewal and an add-on both start here."""
    claim = idempotency.form_claim(token, actor=actor, operation=operation)
    if claim is None or not can_lock_in_one_statement():
        claimed = claim.run() if claim else None
        return claimed, lock_subscription_for_renewal(subscription_id, scope=scope)
    subscription = lock_subscription_for_renewal(
        subscription_id, scope=scope, along=claim.statement
    )
    return claim.settle(subscription.claimed_token_id), subscription


def fetch_instance(model, sql, params):
    """The `model` instance of the first row of `sql` (its own columns, then any others as
    attributes, as `Model.objects.raw` gives, without its per-call introspection); None
    when there is no row. On PostgreSQL the statement is prepared like any other
    (settings.py binds parameters on the server)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        return None
    values = dict(zip(names, row, strict=True))
    fields = model._meta.concrete_fields
    instance = model.from_db(
        connection.alias, [field.attname for field in fields],
        [values.pop(field.column) for field in fields],
    )
    for name, value in values.items():
        setattr(instance, name, value)
    return instance
