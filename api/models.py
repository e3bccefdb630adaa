"""API tokens (one user, many tokens, each shown once and stored hashed), the answers
kept for `Idempotency-Key` replays and the calls counted against the rate limit."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    # A key is 40 random bytes: a fast hash is enough, nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=KEY_PREFIX_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.prefix}…"

    @classmethod
    def issue(cls, user, name=""):
        """A new token for `user`: returns (token, key); the key is never stored."""
        key = secrets.token_urlsafe(40)
        token = cls.objects.create(
            user=user, name=(name or "")[:100], prefix=key[:KEY_PREFIX_LENGTH],
            key_hash=hash_key(key),
        )
        return token, key

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class IdempotentRequest(models.Model):
    """A write carried out through the API with an `Idempotency-Key`: the same key from the
    same user gets this answer again instead of a second debit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_user_key")
        ]

    def __str__(self):
        return f"{self.user} {self.key}"


class RateCount(models.Model):
    """The calls one client (a token, a user, an address) made in its current window of
    `API_RATE`. Kept in the database so that every app server counts the same calls
    (api/throttling.py writes it in one statement)."""

    key = models.CharField(max_length=150, primary_key=True)
    # Seconds since the epoch, as the throttle's clock gives them: compared and added in
    # the same statement on PostgreSQL and SQLite alike.
    window_end = models.FloatField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        # Idle clients' rows are deleted by their end (api/throttling.py).
        indexes = [models.Index(fields=["window_end"], name="api_ratecount_window_end")]

    def __str__(self):
        return f"{self.key}: {self.calls}"
