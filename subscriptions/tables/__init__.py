"""The lists of the portal as django-tables2 declarations, one module per screen family:

- `subscription_lists`: the client list and the renewals list;
- `ledger`: the ledger's lines (licence movements);
- `columns`: what they share (look, status colours and badge, client link, sort);
- `fast_rows`: their rows rendered in one pass; `paginator`: their pages, keys first.
"""

from .columns import (
    STATUS_BADGE_CLASSES,
    STATUS_ROW_CLASSES,
    TABLE_ATTRS,
    client_link,
    status_badge,
)
from .fast_rows import FAST_TABLE_TEMPLATE, FastRowsMixin, _plain_date_writer
from .ledger import MovementTable
from .paginator import DeferredRowsPaginator
from .subscription_lists import ClientListTable, RenewalTable, SubscriptionRowsTable

__all__ = [
    "FAST_TABLE_TEMPLATE",
    "STATUS_BADGE_CLASSES",
    "STATUS_ROW_CLASSES",
    "TABLE_ATTRS",
    "ClientListTable",
    "DeferredRowsPaginator",
    "FastRowsMixin",
    "MovementTable",
    "RenewalTable",
    "SubscriptionRowsTable",
    "_plain_date_writer",
    "client_link",
    "status_badge",
]
