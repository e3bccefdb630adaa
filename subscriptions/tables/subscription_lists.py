"""The client list and the renewals list: one row per subscription, coloured by status.

Every row carries the hooks of docs/interface.md (data-subscription-id, data-status,
data-client-id, data-product, data-users, data-end, data-pool-id), taken from the
annotations of `selectors.subscription_rows`: no query per row. Every column sorts with
the pk as tie-breaker, so a page holds the same rows however often it is reloaded.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..status import Status
from .columns import (
    ACTION_ATTRS,
    FIGURE_ATTRS,
    STATUS_ROW_CLASSES,
    TABLE_ATTRS,
    TITLE_ATTRS,
    client_link,
    per_row,
    pk_last,
    status_badge,
)
from .fast_rows import FAST_TABLE_TEMPLATE, FastRowsMixin

# The model fields the rows show, beside the annotations of `selectors.subscription_rows`
# (status, current term, paying pool): a page of 100 rows built every other field of each
# subscription, client, reseller and product for nothing.
ROW_FIELDS = (
    "client__name",
    "client__reseller__name",
    "product__code",
    "product__name",
    "not_renewing_reason",
    "auto_renew",
)


class SubscriptionRowsTable(FastRowsMixin, tables.Table):
    """Columns and row hooks shared by the client list and the renewals list."""

    client = tables.Column(
        verbose_name=_("Client name"),
        accessor="client__name",
        # The stored copies of the names (Subscription.client_name): an index serves them.
        order_by=pk_last("client_name", "product_name"),
        linkify=lambda record, table: client_link(record.client_id, table),
        attrs=TITLE_ATTRS,
    )
    product = tables.Column(
        verbose_name=_("Product"), accessor="product__name", order_by=pk_last("product_name")
    )
    reseller = tables.Column(
        verbose_name=_("Reseller name"),
        accessor="client__reseller__name",
        order_by=pk_last("client__reseller__name"),
        default="—",
    )
    start = tables.DateColumn(
        verbose_name=_("Start date"), accessor="current_start", order_by=pk_last("current_start")
    )
    end = tables.DateColumn(
        verbose_name=_("End date"), accessor="current_end", order_by=pk_last("current_end")
    )
    years = tables.Column(
        verbose_name=_("Duration (years)"),
        accessor="current_years",
        order_by=pk_last("current_years"),
        attrs=FIGURE_ATTRS,
    )
    users = tables.Column(
        verbose_name=_("Users"),
        accessor="current_users",
        order_by=pk_last("current_users"),
        attrs=FIGURE_ATTRS,
    )
    status = tables.Column(verbose_name=_("Status"), accessor="status", order_by=pk_last("status"))

    class Meta:
        attrs = TABLE_ATTRS
        template_name = FAST_TABLE_TEMPLATE
        order_by_field = "sort"
        empty_text = _("No subscription matches these filters.")
        row_attrs = {
            "data-subscription-id": lambda record: record.pk,
            "data-status": lambda record: record.status,
            "data-client-id": lambda record: record.client_id,
            "data-product": lambda record: record.product.code,
            "data-users": lambda record: record.current_users,
            "data-end": lambda record: record.current_end.isoformat(),
            "data-pool-id": lambda record: record.pool_id or "",
            "class": lambda record: STATUS_ROW_CLASSES.get(record.status, ""),
            # Rule 15: a marked row keeps its status and colour, plus this marker.
            "data-not-renewing": lambda record: "1" if record.not_renewing_reason else None,
            # Rule 23: it renews by itself when it falls due.
            "data-auto-renew": lambda record: "1" if record.auto_renew else None,
        }

    def __init__(self, *args, can_manage=False, **kwargs):
        self.can_manage = can_manage
        super().__init__(*args, **kwargs)

    def render_status(self, value, record):
        # Five badges, each translated once per table rather than once per row.
        key = (value, bool(record.not_renewing_reason), bool(record.auto_renew))
        badges = self.__dict__.setdefault("_badges", {})
        if key not in badges:
            badges[key] = status_badge(value)
            if record.not_renewing_reason:
                badges[key] = format_html(
                    '{} <span class="badge text-bg-dark" data-testid="not-renewing-badge">{}'
                    "</span>",
                    badges[key],
                    _("Not renewing"),
                )
            if record.auto_renew:
                badges[key] = format_html(
                    '{} <span class="badge text-bg-info" data-testid="auto-renew-badge">'
                    '<span aria-hidden="true">⟳</span> {}</span>',
                    badges[key],
                    _("Auto-renew"),
                )
        return badges[key]


def _add_users_html(pk):
    return format_html(
        '<a class="btn btn-sm btn-outline-primary" data-testid="add-users" href="{}">{}</a>',
        reverse("add_users", args=[pk]),
        _("Add users"),
    )


def add_users_link(record, table):
    """Rule 19's row action, on the rows whose status allows adding users."""
    if record.status not in Status.ADDABLE:
        return ""
    return per_row(table, "add_users", _add_users_html)(record.pk)


class ClientListTable(SubscriptionRowsTable):
    """Liste des clients: one row per subscription, coloured by status."""

    actions = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs=ACTION_ATTRS,
        exclude_from_export=True,
    )

    # django-tables2 reads options from the class's own Meta only.
    class Meta(SubscriptionRowsTable.Meta):
        pass

    def __init__(self, *args, can_manage=False, **kwargs):
        if not can_manage:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "actions")
        super().__init__(*args, can_manage=can_manage, **kwargs)

    def render_actions(self, record):
        return add_users_link(record, self)


def _renew_html(pk):
    return format_html(
        '<a class="btn btn-sm btn-primary" data-testid="renew" href="{}">{}</a>',
        reverse("renew", args=[pk]),
        _("Renew"),
    )


class RenewalTable(SubscriptionRowsTable):
    """Clients à renouveler, with the column titles of the user documentation."""

    # Bulk renewal (rule 13): the box belongs to the form around the table, which POSTs
    # the ticked ids to /renewals/bulk/. Managers only.
    select = tables.Column(
        verbose_name=_("Select"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "bulk-select"}, "th": {"class": "bulk-select"}},
    )

    product = tables.Column(
        verbose_name=_("Subscription"), accessor="product__name", order_by=pk_last("product_name")
    )
    # No subscription to renew has a queued renewal, so its current term is its latest:
    # sorting on the plain columns lets PostgreSQL walk the (term_end, id) index and stop
    # after a page, instead of sorting every row to renew by the CASE of `current_end`.
    start = tables.DateColumn(
        verbose_name=_("Start date"), accessor="current_start", order_by=pk_last("term_start")
    )
    end = tables.DateColumn(
        verbose_name=_("End date"), accessor="current_end", order_by=pk_last("term_end")
    )
    users = tables.Column(
        verbose_name=_("To renew"),
        accessor="current_users",
        order_by=pk_last("current_users"),
        attrs=FIGURE_ATTRS,
    )
    renew = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs=ACTION_ATTRS,
    )

    class Meta(SubscriptionRowsTable.Meta):
        empty_text = _("Nothing to renew: no subscription is expiring or expired.")
        sequence = ("select", "...")

    def __init__(self, *args, can_manage=False, **kwargs):
        if not can_manage:
            # A read-only user can act on no row: no boxes, and no empty Actions column.
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "select", "renew")
        super().__init__(*args, can_manage=can_manage, **kwargs)

    def render_select(self, record):
        return format_html(
            '<input type="checkbox" class="form-check-input" name="subscriptions" value="{}" '
            'aria-label="{}">',
            record.pk,
            _("Select %(client)s (%(product)s)")
            % {"client": record.client.name, "product": record.product.name},
        )

    def render_renew(self, record):
        renew = per_row(self, "renew", _renew_html)(record.pk)
        if record.status in Status.ADDABLE:
            return format_html("{} {}", renew, add_users_link(record, self))
        return renew
