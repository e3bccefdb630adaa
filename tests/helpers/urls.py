"""Every address of the project, one per URL pattern (the admin's and the API's included),
for the tests that walk them all."""

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize


def _regexes(patterns, prefix=""):
    for entry in patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$").removesuffix(r"\Z")
        if isinstance(entry, URLResolver):
            yield from _regexes(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern):
            yield regex


def every_address(sample_id):
    """One concrete address per pattern: its first alternative, each parameter the sample
    id (an id that exists, so detail pages are reached, not only their 404); a pattern whose
    final slash is optional (the API's) gives both addresses."""
    addresses = set()
    for regex in _regexes(get_resolver().url_patterns):
        for template, parameters in normalize(regex):
            address = "/" + template % {name: sample_id for name in parameters}
            addresses.add(address)
            if regex.endswith("/?"):
                addresses.add(address + "/")
    return sorted(addresses)
