"""The API's rate limit, counted in the database so that every app server counts the same
calls: N servers allow `API_RATE`, not N times it.

Each client (a token, a user signed in by session, an address) has one `RateCount` row:
the end of its current window and the calls made in it. A call adds one in a single
`INSERT … ON CONFLICT DO UPDATE … RETURNING` statement, the same text on PostgreSQL and
SQLite: the database serializes the calls of one client on its row, so two servers
cannot both take the last call of a window. The first call after a window has ended
opens a new one (`duration` long from that call), as DRF's cache-based throttle does
after a burst; within a window at most `num_requests` calls are let through, and a
refused call is told to come back when the window ends (`Retry-After`).

Rows of clients that went quiet are deleted whenever some client opens a new window:
one indexed range delete, so the table holds about the clients of the last window."""

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from rest_framework.throttling import SimpleRateThrottle

from .models import RateCount

# An address taken from X-Forwarded-For has no length limit; the key column has one.
_LONGEST_IDENT = 100


def _count_sql():
    quote = connection.ops.quote_name
    table, key, end, calls = (
        quote(name) for name in (RateCount._meta.db_table, "key", "window_end", "calls")
    )
    # Every expression of SET reads the row as it was before the statement, on both
    # databases: the window is judged on the old end, not on the one just written.
    return (
        f"INSERT INTO {table} ({key}, {end}, {calls}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{calls} = CASE WHEN {table}.{end} <= %s THEN 1 ELSE {table}.{calls} + 1 END, "
        f"{end} = CASE WHEN {table}.{end} <= %s THEN excluded.{end} ELSE {table}.{end} END "
        f"RETURNING {calls}, {end}"
    )


def count_call(key, now, duration):
    """Counts one call of `key` at `now` (seconds since the epoch) in a window of
    `duration` seconds; returns (calls in the current window, its end)."""
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(), [key, now + duration, now, now])
        calls, window_end = cursor.fetchone()
    if calls == 1:
        # A window opens once per client and duration: a rare enough moment to let go of
        # the clients whose windows have ended, the only rows nothing needs.
        RateCount.objects.filter(window_end__lt=now).delete()
    return calls, window_end


@dataclass(frozen=True)
class RateLimit:
    """Where a client stands after its call: what its window allows, what is left of it,
    and in how many seconds the window ends (the `RateLimit-*` headers)."""

    limit: int
    remaining: int
    reset: int


class RateLimitHeadersMiddleware:
    """Every API answer a call was counted for says where the client stands, so that an
    integration slows down before it is refused rather than after."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            response["RateLimit-Limit"] = str(rate_limit.limit)
            response["RateLimit-Remaining"] = str(rate_limit.remaining)
            response["RateLimit-Reset"] = str(rate_limit.reset)
        return response


class PerTokenRateThrottle(SimpleRateThrottle):
    """Calls per token (per user when signed in by session), `API_RATE` (e.g. 600/min).

    Read at each request, not at import, so an operator's setting always applies."""

    scope = "api_token"

    def get_rate(self):
        return settings.API_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        calls, self.window_end = count_call(self.key, self.now, self.duration)
        # Kept on Django's request, which the headers' middleware sees (DRF's wraps it).
        request._request.rate_limit = RateLimit(
            limit=self.num_requests,
            remaining=max(self.num_requests - calls, 0),
            reset=self.wait(),
        )
        return calls <= self.num_requests

    def wait(self):
        # At least one second: DRF rounds up, and a zero would invite an immediate retry.
        return max(1, math.ceil(self.window_end - self.now))

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and getattr(token, "pk", None):
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request) or ""
            if len(ident) > _LONGEST_IDENT:
                ident = "sha256-" + hashlib.sha256(ident.encode()).hexdigest()
        return f"{self.scope}:{ident}"
