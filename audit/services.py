"""The audit log's one write (docs/rules.md rule 24): `record(...)`, called by every
service that changes something or touches security, inside its own transaction, so a
rolled-back operation leaves no row and a committed one always has its row.

Who and from where come from the call when it knows them (the service's `actor`) and
otherwise from `audit.context` (the request's user, IP address and user agent, or the
command that runs). `entry(...)` builds the same row unsaved, for `record_many`, which
writes many in one statement (a bulk renewal: one row per subscription, one INSERT).
"""

from django.db import connection

from accounts.models import Organization, Scope

from . import context
from .models import Action, AuditEntry

__all__ = [
    "Action", "entry", "insert_clause", "record", "record_many", "organization_of", "owner_of",
]


def _actor(actor, origin):
    if actor is not None:
        return actor
    user = origin.user
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _actor_name(user, origin):
    if user is not None:
        return user.get_username()
    if origin.command:
        return f"{context.SYSTEM}: {origin.command}"
    return context.SYSTEM


def organization_of(user):
    """The organization a user acts for (None for publisher staff and the unattached)."""
    if user is None:
        return None
    scope = Scope.for_user(user)
    if scope.organization_id is None:
        return None
    return Organization(pk=scope.organization_id, name=scope.organization_name)


def owner_of(subscription):
    """The organization a subscription's row belongs to: its client's reseller, or its
    partner (the copies on the row: no query)."""
    return subscription.client_reseller_id or subscription.client_partner_id


def _object(target, object_type, object_id, label):
    if target is not None:
        object_type = object_type or target._meta.model_name
        object_id = object_id if object_id not in (None, "") else target.pk
        label = label or str(target)
    return object_type or "", "" if object_id is None else str(object_id), (label or "")[:300]


def entry(action, *, actor=None, organization=None, target=None, object_type="",
          object_id=None, label="", before=None, after=None, actor_name=""):
    """An unsaved row: `action` (an `Action` value), `actor` (a user; None: the
    context's), `organization` (the Organization it concerns, or its id; None: the actor's),
    `target` (the model instance it concerns, or `object_type`/`object_id`/`label`),
    `before`/`after` (JSON-ready values); `actor_name` when no user acts
    but a name is known (the username a failed login tried)."""
    origin = context.current()
    user = _actor(actor, origin)
    if organization is None:
        organization = organization_of(user)
    object_type, object_id, label = _object(target, object_type, object_id, label)
    return AuditEntry(
        action=str(action),
        actor=user,
        actor_name=(actor_name or _actor_name(user, origin))[:200],
        source=origin.source[:100],
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        organization_id=(
            organization if isinstance(organization, int) else getattr(organization, "pk", None)
        ),
        organization_name=(getattr(organization, "name", "") or "")[:200],
        object_type=object_type,
        object_id=object_id,
        object_label=label,
        before=before,
        after=after,
    )


def record(action, **fields):
    """Writes one row now, in the caller's transaction (see `entry` for the fields)."""
    row = entry(action, **fields)
    row.save()
    return row


def record_many(rows):
    """Writes rows built by `entry` in one INSERT."""
    return AuditEntry.objects.bulk_create(rows)


def insert_clause(row, *, merge_before="", merge_after="", source="", prefix="audit_"):
    """The unsaved `row` (from `entry`) as an `INSERT … SELECT` to run inside another
    statement, as a data-modifying WITH clause, and its named parameters (each named
    `prefix` + column). `merge_before`/`merge_after`: jsonb SQL expressions merged into the
    row's before/after, over `source` (a FROM list of that statement): values only known
    once it ran, such as a pool's balance after its debit. PostgreSQL only."""
    columns, values, params = [], [], {}
    merges = {"before": merge_before, "after": merge_after}
    for field in AuditEntry._meta.concrete_fields:
        if field.primary_key:
            continue
        name = f"{prefix}{field.column}"
        params[name] = field.get_db_prep_save(field.pre_save(row, add=True), connection)
        # Typed: a parameter of a SELECT list has no type of its own where the statement
        # is bound on the server (a prepared statement).
        value = f"CAST(%({name})s AS {field.db_type(connection)})"
        if merges.get(field.name):
            value = f"COALESCE({value}, '{{}}'::jsonb) || {merges[field.name]}"
        columns.append(connection.ops.quote_name(field.column))
        values.append(value)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)} "
        f"({', '.join(columns)}) SELECT {', '.join(values)}"
        + (f" FROM {source}" if source else "")
    )
    return sql, params
