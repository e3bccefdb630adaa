"""*Liste des clients* by company: one row per client, coloured by its most urgent
subscription (selectors.companies), each of its products as a badge in the colour of
that subscription's status.

The rows are dicts grouped by the database; the page's products come in one more query
(`load_products`), so the page reads as many rows as it shows. Every column sorts with
the client's id as tie-breaker.
"""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ..selectors.companies import company_products
from ..status import status_labels
from .columns import (
    FIGURE_ATTRS,
    STATUS_BADGE_CLASSES,
    STATUS_ROW_CLASSES,
    TABLE_ATTRS,
    TITLE_ATTRS,
    client_link,
    status_badge,
)
from .paginator import DeferredRowsPaginator

_AUTO_RENEW_ATTR = mark_safe(' data-auto-renew="1"')


def _by_client(*accessors):
    return (*accessors, "client_id")


class CompanyPaginator(DeferredRowsPaginator):
    """The count kept as the subscription lists keep theirs (counting groups every row in
    scope); a page is the grouped query itself, ordered and limited in SQL."""

    page = Paginator.page


class CompanyTable(tables.Table):
    client = tables.Column(
        verbose_name=_("Client name"),
        accessor="client_name",
        order_by=_by_client("client_name"),
        linkify=lambda record, table: client_link(record["client_id"], table),
        attrs=TITLE_ATTRS,
    )
    reseller = tables.Column(
        verbose_name=_("Reseller name"),
        accessor="client_reseller_id",
        order_by=_by_client("client__reseller__name"),
        exclude_from_export=True,
    )
    products = tables.Column(
        verbose_name=_("Products"),
        accessor="client_id",
        orderable=False,
        exclude_from_export=True,
    )
    end = tables.DateColumn(
        verbose_name=_("First end date"), accessor="first_end", order_by=_by_client("first_end")
    )
    users = tables.Column(
        verbose_name=_("Users"),
        accessor="users",
        order_by=_by_client("users"),
        attrs=FIGURE_ATTRS,
    )
    status = tables.Column(
        verbose_name=_("Status"), accessor="status", order_by=_by_client("urgency")
    )

    class Meta:
        attrs = TABLE_ATTRS
        template_name = "django_tables2/bootstrap5-responsive.html"
        order_by_field = "sort"
        empty_text = _("No client matches these filters.")
        row_attrs = {
            "data-client-id": lambda record: record["client_id"],
            "data-status": lambda record: record["status"],
            "data-testid": "company-row",
            # Rule 23, as on the subscription rows: one of its subscriptions listed renews
            # automatically (each product badge says which).
            "data-auto-renew": lambda record: "1" if record.get("auto_renew") else None,
            "class": lambda record: STATUS_ROW_CLASSES.get(record["status"], ""),
        }

    def __init__(self, *args, subscription_rows, can_manage=False, **kwargs):
        self.subscription_rows = subscription_rows
        self.can_manage = can_manage
        self.products_by_client = {}
        self.resellers = {}
        super().__init__(*args, **kwargs)

    def load_products(self):
        """The products of the page's clients (after paginating): one query."""
        client_ids = [row.record["client_id"] for row in self.paginated_rows]
        if not client_ids:
            return
        self.products_by_client, self.resellers = company_products(
            self.subscription_rows, client_ids
        )

    def render_reseller(self, record):
        return self.resellers.get(record["client_id"]) or "—"

    def render_products(self, record):
        labels = status_labels()
        auto_renew = format_html(
            ' <span aria-hidden="true">⟳</span><span class="visually-hidden">, {}</span>',
            _("Auto-renew"),
        )
        return format_html(
            '<span class="d-inline-flex flex-wrap gap-1">{}</span>',
            format_html_join(
                "",
                '<span class="badge status-badge {}" data-product="{}" data-status="{}"{} '
                'title="{}">{}<span class="visually-hidden"> ({})</span>{}</span>',
                (
                    (
                        STATUS_BADGE_CLASSES.get(status, ""),
                        code,
                        status,
                        _AUTO_RENEW_ATTR if renews else "",
                        labels.get(status, status),
                        name,
                        labels.get(status, status),
                        auto_renew if renews else "",
                    )
                    for code, name, status, renews in self.products_by_client.get(
                        record["client_id"], ()
                    )
                ),
            ),
        )

    def render_status(self, value):
        return status_badge(value)
