"""The bulk loading of the generated clients: a batch of clients, their subscriptions and
terms in three INSERTs, then the pools paid by ONE ledger line each (`record_bulk_debit`),
after their partners were granted and their resellers allocated what it takes, so that
`check_ledger` holds as it does for the hand-made demo.
"""

from collections import defaultdict

from django.db import connection

from accounts.models import Organization

from .. import services
from ..dates import term_end
from ..models import Client, LicenseMovement, Subscription, Term
from .base import client_since


def insert_batch(batch, costs, *, today):
    """One batch of planned clients written, one INSERT per table; what each paying pool
    owes for it is added to `costs`."""
    # "Client since" is the first term's start (today for one that starts later), not the
    # day of the seed.
    clients = Client.objects.bulk_create([
        Client(name=g.name, partner_id=g.partner_id, reseller_id=g.reseller_id,
               created_at=client_since(min(g.terms[0][1], today)))
        for g in batch
    ])
    subscriptions = []
    for client, g in zip(clients, batch, strict=True):
        terms = [(kind, start, term_end(start, years), years) for kind, start, years in g.terms]
        _kind, start, end, years = terms[-1]
        previous = terms[-2] if len(terms) > 1 else None
        subscriptions.append(
            Subscription(
                client_id=client.pk,
                product_id=g.product_id,
                term_start=start,
                term_end=end,
                users=g.users,
                years=years,
                previous_term_start=previous[1] if previous else None,
                previous_term_end=previous[2] if previous else None,
                previous_users=g.users if previous else None,
                previous_years=previous[3] if previous else None,
                auto_renew=g.auto_renew,
            )
        )
        g.terms = terms
    subscriptions = Subscription.objects.bulk_create(subscriptions)
    term_rows = []
    for subscription, g in zip(subscriptions, batch, strict=True):
        paid_by = (g.reseller_id or g.partner_id, g.product_id)
        for kind, start, end, years in g.terms:
            licenses = g.users * years
            term_rows.append(
                Term(
                    subscription_id=subscription.pk,
                    kind=kind,
                    start_date=start,
                    end_date=end,
                    users=g.users,
                    years=years,
                    licenses=licenses,
                )
            )
            costs[paid_by]["debit"] += licenses
        # docs/interface.md: the pools can renew every generated client once more, for a year.
        costs[paid_by]["reserve"] += g.users
    Term.objects.bulk_create(term_rows)


def _grant_in_parts(partner, product, quantity, note):
    while quantity > 0:
        part = min(quantity, services.MAX_QUANTITY)
        services.grant_licenses(partner=partner, product=product, quantity=part, note=note)
        quantity -= part


def _allocate_in_parts(partner, reseller, product, quantity, note):
    while quantity > 0:
        part = min(quantity, services.MAX_QUANTITY)
        services.allocate_licenses(
            partner=partner, reseller=reseller, product=product, quantity=part,
            direction=services.GIVE, actor=None, note=note,
        )
        quantity -= part


def pay_for_generated(costs, products_by_id, note):
    organizations = Organization.objects.in_bulk({org_id for org_id, _p in costs})
    partners = Organization.objects.in_bulk(
        {o.parent_id or o.pk for o in organizations.values()}
    )
    # Each partner is granted, for each product, what it and its resellers need; then each
    # reseller gets its share; then every pool pays with one line.
    needed = defaultdict(int)
    for (org_id, product_id), cost in costs.items():
        organization = organizations[org_id]
        needed[(organization.parent_id or org_id, product_id)] += cost["debit"] + cost["reserve"]
    for (partner_id, product_id), quantity in sorted(needed.items()):
        _grant_in_parts(partners[partner_id], products_by_id[product_id], quantity, note)
    for (org_id, product_id), cost in sorted(costs.items()):
        organization = organizations[org_id]
        if organization.is_reseller:
            _allocate_in_parts(
                partners[organization.parent_id], organization, products_by_id[product_id],
                cost["debit"] + cost["reserve"], note,
            )
    for (org_id, product_id), cost in sorted(costs.items()):
        services.record_bulk_debit(
            organization_id=org_id, product_id=product_id, quantity=cost["debit"], note=note
        )


def refresh_planner_statistics():
    """Right after a bulk load PostgreSQL still believes the tables are nearly empty and
    plans nested loops over everything until autovacuum comes by."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in (Client, Subscription, Term, LicenseMovement)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(tables))
