"""The one writer of renewals (docs/rules.md rules 4, 13, 15): a single renewal from its
form or the API, a bulk renewal, and whatever renews later all write through
`write_renewals`.

It writes the same rows whichever database and caller: a term per renewal, the
subscription's new columns (the previous term kept, the "not renewing" mark cleared), the
result on the form's token, then each paying pool's conditional debit with one ledger
line per renewal. On PostgreSQL a single renewal of an existing pool is all of that in
one statement (`_ONE_RENEWAL_SQL`), which is what holds the service layer's speed target
beside a raw debit (docs/benchmarks.md); when that statement cannot pay it writes
nothing, and the statement-by-statement path runs to say why. A PostgreSQL test
(tests/subscriptions/services/test_renewal_writer.py) runs both paths on the same cases
and compares every row they write.
"""

import datetime
import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from ..models import LicensePool, MovementKind, Subscription, Term, TermKind
from . import audited, ledger
from .idempotency import remember
from .not_renewing import NOT_RENEWING_CLEARED

# Rule 22's plan once used (docs/rules.md 22: a renewal, however made, uses it up).
PLAN_CLEARED = {"renewal_users": None, "renewal_years": None}


@dataclass
class PlannedRenewal:
    """One renewal to write: its new term and what it costs the paying pool."""

    subscription: Subscription
    start: datetime.date
    end: datetime.date
    users: int
    years: int
    licenses: int
    pool_key: tuple[int, int]  # (paying organization id, product id)
    pool_id: int | None = None  # the paying pool when known (None: found or created)
    planned: bool = False  # rule 22: users and years from the subscription's plan


@dataclass
class WrittenRenewal:
    term: Term
    balance_after: int
    pool_id: int
    updated_at: datetime.datetime  # the subscription's, as written


def renewed_columns(subscription, *, start, end, users, years, now):
    """The subscription's columns once renewed: the current term becomes the previous."""
    return {
        "updated_at": now,
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
        # Rule 22: the plan was for this renewal; the next one is planned afresh.
        **PLAN_CLEARED,
    }


RENEWED_FIELDS = [
    "updated_at", "previous_term_start", "previous_term_end", "previous_users", "previous_years",
    "term_start", "term_end", "users", "years", *NOT_RENEWING_CLEARED, *PLAN_CLEARED,
]
# Rule 22: a co-term extension keeps the plan, which is for the next renewal, still to come.
EXTENDED_FIELDS = [name for name in RENEWED_FIELDS if name not in PLAN_CLEARED]


def restored_columns(subscription, *, now):
    """renewed_columns undone (rule 21), once the subscription's latest term is cancelled:
    the previous term becomes the current again, the live one before it the previous."""
    live = list(
        Term.objects.filter(subscription_id=subscription.pk, cancelled_at__isnull=True)
        .order_by("-start_date", "-pk")[:2]
    )
    before = live[1] if len(live) > 1 else None
    return {
        "updated_at": now,
        "term_start": subscription.previous_term_start,
        "term_end": subscription.previous_term_end,
        "users": subscription.previous_users,
        "years": subscription.previous_years,
        "previous_term_start": before.start_date if before else None,
        "previous_term_end": before.end_date if before else None,
        "previous_users": before.users if before else None,
        "previous_years": before.years if before else None,
    }


RESTORED_FIELDS = [
    "updated_at", "term_start", "term_end", "users", "years", "previous_term_start",
    "previous_term_end", "previous_users", "previous_years",
]


def write_renewals(lines, *, actor, claimed=None, result=None, note="", field="users",
                   audit_action=audited.Action.RENEWAL):
    """Writes the renewals `lines` (PlannedRenewal, their subscriptions locked by the
    caller) with their audit log rows (rule 24; `audit_action`: the automatic renewal's
    own), and returns a WrittenRenewal per line, in order.

    `claimed`: the form token's row (idempotency), which keeps `result`; a "term_id" key in
    `result` is set to the written term's id (one line). A pool that cannot pay raises
    OperationRefused (`field` names the form field) and the caller's transaction rolls
    everything back.
    """
    if _fits_one_statement(lines):
        written = _write_one_in_one_statement(
            lines[0], actor=actor, claimed=claimed, result=result, note=note,
            audit_action=audit_action,
        )
        if written is not None:
            return [written]
    written = _write_by_statements(
        lines, actor=actor, claimed=claimed, result=result, note=note, field=field
    )
    audited.renewals(lines, written, actor=actor, action=audit_action)
    return written


def _fits_one_statement(lines):
    return (
        connection.vendor == "postgresql" and len(lines) == 1 and lines[0].pool_id is not None
    )


def queue_terms(lines, licenses, *, kind, actor, now=None):
    """Each line's new term (`licenses`: what each cost) and its subscription's columns
    once renewed (`updated_at`: `now`); returns the terms, in the lines' order. The terms
    of a renewal and of a co-term extension are written the same way, but an extension
    leaves the renewal plan (rule 22) in place."""
    now = now or timezone.now()
    terms = Term.objects.bulk_create([
        Term(
            subscription=line.subscription, kind=kind, start_date=line.start,
            end_date=line.end, users=line.users, years=line.years, licenses=cost,
            created_by=actor,
        )
        for line, cost in zip(lines, licenses, strict=True)
    ])
    Subscription.objects.bulk_update(
        [
            Subscription(pk=line.subscription.pk, **renewed_columns(
                line.subscription, start=line.start, end=line.end, users=line.users,
                years=line.years, now=now,
            ))
            for line in lines
        ],
        RENEWED_FIELDS if kind == TermKind.RENEWAL else EXTENDED_FIELDS,
        batch_size=500,
    )
    return terms


def _write_by_statements(lines, *, actor, claimed, result, note, field):
    now = timezone.now()
    terms = queue_terms(
        lines, [line.licenses for line in lines], kind=TermKind.RENEWAL, actor=actor, now=now
    )
    if claimed is not None:
        if result is not None and "term_id" in result:
            result = {**result, "term_id": terms[0].pk}
        remember(claimed, result)
    # The debits come last: a debit's UPDATE takes the pool's row lock, which every
    # renewal paid by the same organization waits for, and holds it until the commit.
    # Everything above locks only these subscriptions, so concurrent renewals of one pool
    # overlap it. A refusal still rolls all of it back.
    by_pool = {}
    for line, term in zip(lines, terms, strict=True):
        pool_id = line.pool_id or ledger.pool_for(*line.pool_key).pk
        by_pool.setdefault(pool_id, []).append((line, term))
    written = {}
    for pool_id in sorted(by_pool):
        pool_lines = by_pool[pool_id]
        movements = ledger.move_lines(
            LicensePool(pk=pool_id),
            [(-line.licenses, {"subscription": line.subscription, "term": term})
             for line, term in pool_lines],
            kind=MovementKind.RENEWAL, actor=actor, field=field, note=note,
        )
        for (_line, term), movement in zip(pool_lines, movements, strict=True):
            written[term.pk] = WrittenRenewal(
                term, movement.balance_after, pool_id, now
            )
    return [written[term.pk] for term in terms]


# A single renewal in one statement: the conditional debit of the pool first (its row
# lock, which every renewal of that pool waits for, is held from here to the commit only),
# then, only if it debited, the term, the subscription's new columns, the ledger line, the
# token's result and the audit log's row. When the pool cannot pay, nothing is written and
# the statement returns no row. Every column as `_write_by_statements` writes it. Nothing
# should run between this statement and the commit: every renewal of the pool waits.
_ONE_RENEWAL_SQL = """
WITH debit AS (
    UPDATE subscriptions_licensepool
    SET balance = balance - %(licenses)s, updated_at = %(now)s
    WHERE id = %(pool)s AND balance >= %(licenses)s
    RETURNING id, balance
), new_term AS (
    INSERT INTO subscriptions_term
        (subscription_id, kind, start_date, end_date, users, years, licenses,
         created_by_id, created_at)
    SELECT %(subscription)s, %(term_kind)s, %(start)s, %(end)s, %(users)s, %(years)s,
           %(licenses)s, %(actor)s::integer, %(now)s
    FROM debit
    RETURNING id
), renewed AS (
    UPDATE subscriptions_subscription
    SET previous_term_start = term_start, previous_term_end = term_end,
        previous_users = users, previous_years = years,
        term_start = %(start)s, term_end = %(end)s, users = %(users)s, years = %(years)s,
        not_renewing_reason = NULL, not_renewing_comment = '', not_renewing_at = NULL,
        not_renewing_by_id = NULL, renewal_users = NULL, renewal_years = NULL,
        updated_at = %(now)s
    FROM new_term
    WHERE subscriptions_subscription.id = %(subscription)s
), ledger AS (
    INSERT INTO subscriptions_licensemovement
        (pool_id, quantity, balance_after, kind, subscription_id, term_id, actor_id,
         created_at, note)
    SELECT debit.id, -%(licenses)s, debit.balance, %(movement_kind)s, %(subscription)s,
           new_term.id, %(actor)s::integer, %(now)s, %(note)s
    FROM debit, new_term
), remembered AS (
    UPDATE subscriptions_operationtoken
    SET result = {result}
    FROM new_term
    WHERE subscriptions_operationtoken.id = %(token)s
), audited AS (
    {audit}
)
SELECT new_term.id, debit.balance FROM debit, new_term
"""


def _write_one_in_one_statement(line, *, actor, claimed, result, note, audit_action):
    """PostgreSQL: one renewal's writes in one round trip (`_ONE_RENEWAL_SQL`). Returns its
    WrittenRenewal, or None when the pool cannot pay and nothing was written."""
    now = timezone.now()
    result_sql = "%(result)s::jsonb"
    if result is not None and "term_id" in result:
        result_sql += " || jsonb_build_object('term_id', new_term.id)"
    audit_sql, audit_params = audited.renewal_clause(
        line, actor=actor, action=audit_action, balance_after_sql="debit.balance",
        source="debit",
    )
    with connection.cursor() as cursor:
        cursor.execute(_ONE_RENEWAL_SQL.format(result=result_sql, audit=audit_sql), {
            **audit_params,
            "pool": line.pool_id,
            "licenses": line.licenses,
            "subscription": line.subscription.pk,
            "term_kind": TermKind.RENEWAL.value,
            "movement_kind": MovementKind.RENEWAL.value,
            "start": line.start,
            "end": line.end,
            "users": line.users,
            "years": line.years,
            "actor": getattr(actor, "pk", None),
            "now": now,
            "note": (note or "")[:500],
            "token": claimed.pk if claimed else None,
            "result": json.dumps(result if result is not None else {}),
        })
        row = cursor.fetchone()
    if row is None:
        return None
    term = Term(
        pk=row[0], subscription=line.subscription, kind=TermKind.RENEWAL,
        start_date=line.start, end_date=line.end, users=line.users, years=line.years,
        licenses=line.licenses, created_by=actor, created_at=now,
    )
    return WrittenRenewal(term, row[1], line.pool_id, now)
