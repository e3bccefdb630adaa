"""Helpers the management commands share: arguments that name a partner or a product."""

from django.core.management.base import CommandError

from accounts.models import Organization, OrganizationKind
from subscriptions.models import Product

MAX_ID = 2**63 - 1


def _clean(value, what):
    value = (value or "").strip()
    # PostgreSQL refuses NUL in text: say so instead of failing inside the query.
    if "\x00" in value or len(value) > 200:
        raise CommandError(f"Unknown {what}: {value[:40]!r}.")
    return value


def _as_id(value):
    """An id when the argument is plain ASCII digits within the column's range."""
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


def partner_from_argument(value):
    """A partner named by its id or its name (case-insensitive); a clear error otherwise."""
    value = _clean(value, "partner")
    partners = Organization.objects.filter(kind=OrganizationKind.PARTNER)
    pk = _as_id(value)
    if pk is not None:
        partner = partners.filter(pk=pk).first()
        if partner is not None:
            return partner
    matches = list(partners.filter(name__iexact=value)[:2])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CommandError(f"Several partners are named {value!r}: give the id.")
    other = Organization.objects.filter(name__iexact=value).first()
    if other is None and pk is not None:
        other = Organization.objects.filter(pk=pk).first()
    if other is not None:
        raise CommandError(f"{other.name!r} is a {other.kind}, not a partner.")
    raise CommandError(f"Unknown partner: {value!r} (give a partner's name or id).")


def product_from_argument(value):
    code = _clean(value, "product code")
    product = Product.objects.filter(code__iexact=code).first()
    if product is None:
        known = ", ".join(Product.objects.order_by("code").values_list("code", flat=True))
        raise CommandError(f"Unknown product code: {code!r} (known: {known or 'none'}).")
    return product
