"""One-time form tokens (CONTRACT.md: every form that moves licenses carries one).

A token is issued by the server for one user and signed, so a forged or another user's
token is refused like a missing one, and an old one ("stale") is refused after
OPERATION_TOKEN_MAX_AGE. Its single use is enforced by OperationToken's unique key.
"""

import uuid

from django.conf import settings
from django.core import signing

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
