"""Server-side request forgery: a webhook may not reach the portal's own network.

A URL whose host is, or resolves to, a loopback, private, link-local, reserved or
multicast address is refused when the endpoint is saved and again before every POST (a
name may be pointed elsewhere after it was saved), unless WEBHOOK_ALLOW_PRIVATE is on
(DEBUG, `make run`, the tests' receivers on loopback).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The URL may not be reached; `reason` says why, for the log and the form."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _forbidden(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url):
    """Raises AddressRefused ("scheme", "unresolved" or "private") unless `url` may be
    posted to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("scheme")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise AddressRefused("unresolved") from error
    if any(_forbidden(info[4][0]) for info in infos):
        raise AddressRefused("private")
