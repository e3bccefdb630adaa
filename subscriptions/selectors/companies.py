"""*Liste des clients* by company (docs/interface.md, `/clients/?by=company`): one row per
client over the subscription rows a list shows, coloured by its most urgent subscription.

The grouping is done by the database, over the rows already scoped and filtered and
classified by `status.status_expression` (rule 6): a page is one GROUP BY ordered and
limited in SQL, and its products one more query, whatever the number of clients.
"""

from django.db.models import Case, CharField, Count, IntegerField, Max, Min, Sum, Value, When
from django.db.models.functions import Cast

from ..dates import local_today
from ..status import Status, status_rank_expression

# The most urgent first: what the seed colours a company by ("les sociétés en rouge…").
URGENCY = (Status.EXPIRED, Status.EXPIRING, Status.NOT_STARTED, Status.RENEWED, Status.ACTIVE)


def _status_of_rank():
    return Case(
        *(When(urgency=rank, then=Value(status)) for rank, status in enumerate(URGENCY)),
        output_field=CharField(),
    )


def company_rows(subscription_rows, *, today=None):
    """One dict per client of `subscription_rows` (annotated by `with_status`, already
    filtered): `client_id`, `client_name`, `client_reseller_id`, `urgency` (the rank in
    URGENCY of its most urgent subscription), `status`, `first_end` (the earliest current
    end), `users` (the current users summed), `subscriptions` (how many rows) and
    `auto_renew` (1 when one of them renews automatically, rule 23; else 0).

    Grouped by the stored copy of the name first: sorted by name, PostgreSQL can walk the
    (client_name, …) index and stop after a page of clients."""
    today = today or local_today()
    return (
        subscription_rows.order_by()
        .values("client_name", "client_id", "client_reseller_id")
        .annotate(
            urgency=Min(status_rank_expression(today, URGENCY)),
            first_end=Min("current_end"),
            users=Sum("current_users"),
            subscriptions=Count("pk"),
            auto_renew=Max(Cast("auto_renew", IntegerField())),
        )
        .annotate(status=_status_of_rank())
    )


def company_products(subscription_rows, client_ids):
    """For the clients of a page, in one query: {client id: [(product code, product name,
    status, auto-renewing), …]} (one per subscription, in name order) and {client id:
    reseller name}."""
    products = {client_id: [] for client_id in client_ids}
    resellers = {}
    rows = (
        subscription_rows.filter(client_id__in=client_ids)
        .order_by("client_id", "product_name", "pk")
        .values_list(
            "client_id", "product__code", "product_name", "status", "client__reseller__name",
            "auto_renew",
        )
    )
    for client_id, code, name, status, reseller, auto_renew in rows:
        products[client_id].append((code, name, status, auto_renew))
        resellers[client_id] = reseller
    return products, resellers
