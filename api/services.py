"""The API's writes from the portal and the command line: a user's tokens created and
revoked, each with its audit log row in the same transaction (docs/rules.md rule 24)."""

from django.db import transaction

from audit.models import Action
from audit.services import organization_of, record

from .models import ApiToken


@transaction.atomic
def token_create(*, user, name=""):
    """A new token for `user`: returns (token, key); the key is never stored."""
    token, key = ApiToken.issue(user, name)
    _record(Action.TOKEN_CREATED, token, before=None, after={"revoked": False})
    return token, key


@transaction.atomic
def token_revoke(*, token):
    """Revokes `token` once; revoking it again changes and records nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoke()
    _record(Action.TOKEN_REVOKED, locked, before={"revoked": False}, after={"revoked": True})
    return locked


def _record(action, token, *, before, after):
    # The token's owner, name and prefix name it: the key itself is never known here.
    record(
        action, organization=organization_of(token.user), target=token,
        label=f"{token.user.get_username()}: {token.name} ({token.prefix}…)",
        before=before, after=after,
    )
