"""Where an action comes from, without handing the request down to every service: the
request's user, IP address and user agent (set by `AuditContextMiddleware`), the API's
token user once it is known, or a command's name (`system_actor`).

A context variable, so each request (thread or task) has its own and nothing leaks from
one request into the next.
"""

import contextlib
import contextvars
import functools
from dataclasses import dataclass, replace

WEB = "web"
API = "api"
SYSTEM = "system"
USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class Origin:
    source: str = SYSTEM
    ip_address: str | None = None
    user_agent: str = ""
    user: object = None
    # A command's name when no user acts ("system: run_auto_renewals").
    command: str = ""


_NOWHERE = Origin()
_current = contextvars.ContextVar("audit_origin", default=None)


def current():
    return _current.get() or _NOWHERE


def origin_of(request, *, user=None):
    """The origin of a request: its address (the peer's, as django-axes reads it) and
    its user agent, cut to what the log keeps."""
    path = getattr(request, "path", "") or ""
    return Origin(
        source=API if path.startswith("/api/") else WEB,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_LENGTH],
        user=user,
    )


@contextlib.contextmanager
def using(origin):
    token = _current.set(origin)
    try:
        yield origin
    finally:
        _current.reset(token)


def system_actor(command):
    """What a management command runs under: no user, the command's name."""
    return using(Origin(source=command, command=command))


def with_user(user):
    """The API authenticates in the view, after the middleware: its user joins the
    request's origin there."""
    _current.set(replace(current(), user=user))


class AuditContextMiddleware:
    """Holds the request's origin for the services it calls (after the authentication
    middleware, so a session's user is known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with using(origin_of(request, user=getattr(request, "user", None))):
            return self.get_response(request)


def as_command(handle):
    """A command's `handle` run under its own name as the system actor."""
    name = handle.__module__.rpartition(".")[2]

    @functools.wraps(handle)
    def wrapped(*args, **kwargs):
        with system_actor(name):
            return handle(*args, **kwargs)

    return wrapped
