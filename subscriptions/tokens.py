"""One-time form tokens (docs/interface.md: every form that moves licenses carries one),
kept here for the screens that import them; issued, checked and claimed in
`subscriptions.services.idempotency`."""

from .services.idempotency import issue_token, token_is_valid

__all__ = ["issue_token", "token_is_valid"]
