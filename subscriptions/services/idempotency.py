"""Doing a write once however often it is asked: the forms' one-time tokens and the API's
`Idempotency-Key` (docs/interface.md).

Both claim their key first, in the writing transaction, with one INSERT … ON CONFLICT DO
NOTHING: a concurrent twin waits on the unique index until the first transaction ends,
then inserts nothing and reads what the first one did. They keep two tables because a
refusal means something else to each:
- a form token (OperationToken) is spent only by a write that happened: a refusal rolls
  its claim back, so the corrected form can be sent again with the same token;
- an API key (api.models.IdempotentRequest) keeps whatever was answered, refusals too, so
  the same key always gets the same answer; a new attempt needs a new key.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone

from api.models import IdempotentRequest

from ..models import OperationToken
from .errors import AlreadyDone

# --- the statement both claims use ------------------------------------------------------


def _insert_once(row, names, conflict):
    """(sql, params) of the INSERT of `row`'s fields `names` that returns its id, or no row
    when another row holds the same `conflict` fields. SQLite has had INSERT … ON CONFLICT
    … RETURNING since 3.35 (Debian 12 ships 3.40)."""
    model = type(row)
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in conflict)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({columns}) DO NOTHING RETURNING {quote('id')}"
    )
    params = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
    return sql, params


def _run(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


# --- the forms' one-time tokens ---------------------------------------------------------
#
# A token is issued by the server for one user and signed, so a forged or another user's
# token is refused like a missing one, and an old one ("stale") is refused after
# OPERATION_TOKEN_MAX_AGE.

_SALT = "subscriptions.operation-token"


def issue_token(user) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{user.pk}:{uuid.uuid4().hex}")


def token_is_valid(user, token) -> bool:
    if not token or not isinstance(token, str) or len(token) > 100:
        return False
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=settings.OPERATION_TOKEN_MAX_AGE
        )
    except signing.BadSignature:
        return False
    user_pk, _sep, _nonce = value.partition(":")
    return user_pk == str(user.pk)


@dataclass
class FormClaim:
    """A form token's claim, not run yet: `statement` (sql, params) can ride in another
    statement (a renewal's locked read) whose result hands its id to `settle`."""

    row: OperationToken
    statement: tuple

    def run(self):
        return self.settle(_run(*self.statement))

    def settle(self, token_id):
        """The claimed token's row, or AlreadyDone with what the first submission did."""
        if token_id is None:
            existing = OperationToken.objects.filter(key=self.row.key).first()
            raise AlreadyDone(existing.result if existing else {})
        self.row.pk = token_id
        return self.row


def form_claim(token, *, actor, operation):
    """The claim of the form's `token` for `operation` (None without a token)."""
    if not token:
        return None
    row = OperationToken(key=token, user=actor, operation=operation, result={})
    row.created_at = timezone.now()
    statement = _insert_once(
        row, ("key", "user", "operation", "result", "created_at"), conflict=("key",)
    )
    return FormClaim(row=row, statement=statement)


def claim_form_token(token, *, actor, operation):
    """Records the form's token first, so a second submission of the same form stops here
    with AlreadyDone. Returns the row to `remember` the result in (None without a token)."""
    claim = form_claim(token, actor=actor, operation=operation)
    return claim.run() if claim else None


def form_result(token, *, operation):
    """What the form's `token` did for `operation`, or None if it has not been used: for a
    screen that must answer a repeated submission before calling the service."""
    if not token:
        return None
    used = OperationToken.objects.filter(key=token, operation=operation).first()
    return None if used is None else used.result


def remember(claimed, result):
    """Stores what an operation did on its token, for a repeated submission to answer with."""
    if claimed:
        claimed.result = result
        claimed.save(update_fields=["result"])


# --- the API's Idempotency-Key ----------------------------------------------------------

MAX_KEY_LENGTH = IdempotentRequest._meta.get_field("key").max_length


class KeyReused(Exception):
    """The key was used by this user for another request."""


@dataclass
class Answer:
    status_code: int
    body: dict
    replayed: bool


def fingerprint(method, path, data):
    """What makes two requests the same one: method, path and body."""
    body = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def answer_once(*, user, key, fingerprint, operation):
    """Runs `operation()` → (status code, body) once per (user, key), in one transaction
    with the key's claim, and keeps its answer; the same key and request again get that
    answer back (`replayed`). KeyReused for the same key with another request."""
    with transaction.atomic():
        row = IdempotentRequest(user=user, key=key, fingerprint=fingerprint, status_code=0,
                                body={}, created_at=timezone.now())
        row_id = _run(*_insert_once(
            row, ("user", "key", "fingerprint", "status_code", "body", "created_at"),
            conflict=("user", "key"),
        ))
        if row_id is None:
            kept = IdempotentRequest.objects.get(user=user, key=key)
            if kept.fingerprint != fingerprint:
                raise KeyReused(key)
            return Answer(kept.status_code, kept.body, replayed=True)
        status_code, body = operation()
        IdempotentRequest.objects.filter(pk=row_id).update(status_code=status_code, body=body)
    return Answer(status_code, body, replayed=False)
