"""The audit log's rows of the subscriptions' operations (docs/rules.md rule 24): what
each operation was and the values before and after it, written by `audit.services` in
the operation's own transaction. One call per operation, each a single line in its
service, so that other per-operation hooks sit beside it without conflict.

Each row belongs to the organization that holds the subscription's client (its reseller,
else its partner), read from the subscription's own copies: no query for it.
"""

from audit import services as audit
from audit.models import Action

from ..models import Subscription


def _label(subscription):
    return f"{subscription.client_name} — {subscription.product_name}"


def _subscription_fields(subscription, action, *, actor, before, after):
    return audit.entry(
        action, actor=actor, organization=audit.owner_of(subscription),
        object_type="subscription", object_id=subscription.pk, label=_label(subscription),
        before=before, after=after,
    )


def renewal_entry(line, *, actor, action, pool_id, balance_after=None):
    """A renewal's row (`line`: a PlannedRenewal): its end date, users and paying pool's
    balance before and after (left out when `balance_after` is None: the statement that
    debits adds it, `renewal_clause`)."""
    before = {"end_date": line.subscription.term_end, "users": line.subscription.users}
    after = {"end_date": line.end, "users": line.users, "years": line.years,
             "licenses": line.licenses, "pool_id": pool_id}
    if balance_after is not None:
        before["balance"] = balance_after + line.licenses
        after["balance"] = balance_after
    return _subscription_fields(
        line.subscription, action, actor=actor, before=before, after=after
    )


def renewals(lines, written, *, actor, action=Action.RENEWAL):
    """The rows of renewals written (`written`: their WrittenRenewal), one per
    subscription, in one INSERT however many (a bulk renewal's too)."""
    audit.record_many([
        renewal_entry(line, actor=actor, action=action, pool_id=done.pool_id,
                      balance_after=done.balance_after)
        for line, done in zip(lines, written, strict=True)
    ])


def renewal_clause(line, *, actor, action, balance_after_sql, source):
    """`renewal_entry` as a clause of the statement that debits the pool
    (audit.services.insert_clause), the balances read from its `balance_after_sql`."""
    sql, params = audit.insert_clause(
        renewal_entry(line, actor=actor, action=action, pool_id=line.pool_id),
        merge_before=f"jsonb_build_object('balance', {balance_after_sql} + %(audit_licenses)s)",
        merge_after=f"jsonb_build_object('balance', {balance_after_sql})",
        source=source,
    )
    return sql, {**params, "audit_licenses": line.licenses}


def undo(subscription, result, *, actor):
    """An undo: what it undid, the end date and users before and after, the refund."""
    now = Subscription.objects.values("term_end", "users").get(pk=subscription.pk)
    balance = result.balance_after
    # A co-terming refunds several pools: `balance` is the one of this subscription's.
    plan = result.operation.undo_plan
    refunded_here = result.licenses if plan is None else plan.own_refund
    _subscription_fields(
        subscription, Action.UNDO, actor=actor,
        before={"end_date": subscription.term_end, "users": subscription.users,
                "balance": None if balance is None else balance - refunded_here},
        after={"end_date": now["term_end"], "users": now["users"], "balance": balance,
               "refunded": result.licenses, "undone": result.operation.kind},
    ).save()


def users_added(subscription, result, users, *, actor):
    """An add-on, once `subscription` holds the raised users."""
    _subscription_fields(
        subscription, Action.USERS_ADDED, actor=actor,
        before={"users": subscription.users - users,
                "balance": result.balance_after + result.licenses},
        after={"users": subscription.users, "licenses": result.licenses,
               "balance": result.balance_after},
    ).save()


def coterm(plan, client, *, actor):
    """A co-terming: each extended subscription's end before and after, the debits."""
    audit.record(
        Action.COTERM, actor=actor, organization=client.reseller_id or client.partner_id,
        target=client,
        before={f"subscription {line.subscription.pk}": str(line.subscription.term_end)
                for line in plan.extended},
        after={
            "end_date": plan.end, "licenses": plan.licenses,
            **{f"pool {pool.pool_id}": pool.balance_after for pool in plan.pools},
        },
    )


def renewal_plan(subscription, *, users, years, auto_renew, actor):
    """A plan or auto-renew change, `subscription` as it was: one row per change made."""
    if bool(subscription.auto_renew) != bool(auto_renew):
        _subscription_fields(
            subscription, Action.AUTO_RENEW_CHANGED, actor=actor,
            before={"auto_renew": bool(subscription.auto_renew)},
            after={"auto_renew": bool(auto_renew)},
        ).save()
    if (subscription.renewal_users, subscription.renewal_years) != (users, years):
        _subscription_fields(
            subscription, Action.PLAN_CHANGED, actor=actor,
            before={"users": subscription.renewal_users, "years": subscription.renewal_years},
            after={"users": users, "years": years},
        ).save()


def not_renewing(subscription, *, reason, comment, actor):
    _subscription_fields(
        subscription, Action.NOT_RENEWING, actor=actor,
        before={"reason": subscription.not_renewing_reason or None,
                "auto_renew": bool(subscription.auto_renew)},
        after={"reason": reason, "comment": comment, "auto_renew": False},
    ).save()


def not_renewing_cleared(subscription_id, *, actor):
    """Before the mark is cleared: the row read here is the mark removed."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or not subscription.not_renewing_reason:
        return
    _subscription_fields(
        subscription, Action.NOT_RENEWING_CLEARED, actor=actor,
        before={"reason": subscription.not_renewing_reason}, after={"reason": None},
    ).save()


def subscription_opened(subscription, *, created_client, cost, actor):
    """A new client's first subscription, or a further one (rule 8)."""
    # A row just created has no copies of its client yet (the database writes them).
    client = subscription.client
    audit.record(
        Action.CLIENT_CREATED if created_client else Action.SUBSCRIPTION_ADDED,
        actor=actor, organization=client.reseller_id or client.partner_id,
        target=subscription, label=f"{client.name} — {subscription.product.name}",
        after={"client_id": client.pk, "end_date": subscription.term_end,
               "users": subscription.users, "years": subscription.years, "licenses": cost},
    )


def imported(partner, result, *, debit, actor):
    audit.record(
        Action.IMPORT, actor=actor, organization=partner, target=partner,
        after={
            "subscriptions": len(result.subscriptions),
            "clients": len({s.client_id for s in result.subscriptions}),
            "licenses": result.plan.licenses if debit else 0, "debit": debit,
            **{f"pool {pool.pool_id}": pool.balance_after for pool in result.plan.pools},
        },
    )


def allocation(reseller, product, movements, source_pool, *, direction, actor):
    """Licenses given to (or taken back from) a reseller: both pools' balances
    (`movements`: the two ledger lines by pool id)."""
    source = movements[source_pool.pk]
    [target] = [line for pool_id, line in movements.items() if pool_id != source_pool.pk]
    quantity = target.quantity
    audit.record(
        Action.ALLOCATION, actor=actor, organization=reseller, target=reseller,
        label=f"{reseller.name} — {product.name}",
        before={f"pool {source.pool_id}": source.balance_after + quantity,
                f"pool {target.pool_id}": target.balance_after - quantity},
        after={f"pool {source.pool_id}": source.balance_after,
               f"pool {target.pool_id}": target.balance_after,
               "direction": direction, "quantity": quantity},
    )


def grant(partner, product, movement, *, quantity, actor):
    audit.record(
        Action.GRANT, actor=actor, organization=partner, target=partner,
        label=f"{partner.name} — {product.name}",
        before={"balance": movement.balance_after - quantity},
        after={"balance": movement.balance_after, "quantity": quantity,
               "pool_id": movement.pool_id},
    )
