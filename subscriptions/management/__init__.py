"""Helpers the management commands share: arguments that name a partner or a product."""

from django.core.management.base import CommandError

from accounts.models import Organization, OrganizationKind
from subscriptions.models import Product


def partner_from_argument(value):
    """A partner named by its id or its name (case-insensitive); a clear error otherwise."""
    value = (value or "").strip()
    partners = Organization.objects.filter(kind=OrganizationKind.PARTNER)
    if value.isdigit():
        partner = partners.filter(pk=int(value)).first()
        if partner is not None:
            return partner
    matches = list(partners.filter(name__iexact=value)[:2])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CommandError(f"Several partners are named {value!r}: give the id.")
    other = Organization.objects.filter(name__iexact=value).first()
    if other is None and value.isdigit():
        other = Organization.objects.filter(pk=int(value)).first()
    if other is not None:
        raise CommandError(f"{other.name!r} is a {other.kind}, not a partner.")
    raise CommandError(f"Unknown partner: {value!r} (give a partner's name or id).")


def product_from_argument(value):
    code = (value or "").strip()
    product = Product.objects.filter(code__iexact=code).first()
    if product is None:
        known = ", ".join(Product.objects.order_by("code").values_list("code", flat=True))
        raise CommandError(f"Unknown product code: {code!r} (known: {known or 'none'}).")
    return product
