"""The lists of the portal as django-tables2 declarations.

Every row of a subscription list carries the hooks of CONTRACT.md (data-subscription-id,
data-status, data-client-id, data-product, data-users, data-end, data-pool-id), taken from
the annotations of `selectors.subscription_rows`: no query per row. Every column sorts
with the pk as tie-breaker, so a page holds the same rows however often it is reloaded.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import LicenseMovement
from .selectors import Status, status_labels

TABLE_ATTRS = {
    "class": "table table-hover table-sm align-middle mb-0",
    "thead": {"class": "table-light"},
}

# Rule 6's colours; the status is also written out in words in its own column.
STATUS_ROW_CLASSES = {
    Status.EXPIRING: "table-expiring",
    Status.EXPIRED: "table-danger",
    Status.NOT_STARTED: "table-info",
    Status.RENEWED: "table-renewed",
    Status.ACTIVE: "",
}

STATUS_BADGE_CLASSES = {
    Status.EXPIRING: "badge-expiring",
    Status.EXPIRED: "text-bg-danger",
    Status.NOT_STARTED: "text-bg-info",
    Status.RENEWED: "text-bg-success",
    Status.ACTIVE: "text-bg-light border",
}


def status_badge(status):
    label = status_labels().get(status, status)
    badge = format_html(
        '<span class="badge status-badge {}">{}</span>', STATUS_BADGE_CLASSES.get(status, ""), label
    )
    if status == Status.RENEWED:
        return format_html(
            '<span class="text-success fw-bold me-1" role="img" aria-label="{}" title="{}">'
            "✓</span>{}",
            label,
            label,
            badge,
        )
    return badge


def _sorted(*accessors):
    return (*accessors, "pk")


class SubscriptionRowsTable(tables.Table):
    """Columns and row hooks shared by the client list and the renewals list."""

    client = tables.Column(
        verbose_name=_("Client name"),
        accessor="client__name",
        order_by=_sorted("client__name"),
        linkify=lambda record: reverse("client_detail", args=[record.client_id]),
    )
    product = tables.Column(
        verbose_name=_("Product"), accessor="product__name", order_by=_sorted("product__name")
    )
    reseller = tables.Column(
        verbose_name=_("Reseller name"),
        accessor="client__reseller__name",
        order_by=_sorted("client__reseller__name"),
        default="—",
    )
    start = tables.DateColumn(
        verbose_name=_("Start date"), accessor="current_start", order_by=_sorted("current_start")
    )
    end = tables.DateColumn(
        verbose_name=_("End date"), accessor="current_end", order_by=_sorted("current_end")
    )
    years = tables.Column(
        verbose_name=_("Duration (years)"),
        accessor="current_years",
        order_by=_sorted("current_years"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    users = tables.Column(
        verbose_name=_("Users"),
        accessor="current_users",
        order_by=_sorted("current_users"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    status = tables.Column(verbose_name=_("Status"), accessor="status", order_by=_sorted("status"))

    class Meta:
        attrs = TABLE_ATTRS
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
        }

    def __init__(self, *args, can_manage=False, **kwargs):
        self.can_manage = can_manage
        super().__init__(*args, **kwargs)

    def render_status(self, value):
        return status_badge(value)


class ClientListTable(SubscriptionRowsTable):
    """Liste des clients: one row per subscription, coloured by status."""

    # django-tables2 reads options from the class's own Meta only.
    class Meta(SubscriptionRowsTable.Meta):
        pass


class RenewalTable(SubscriptionRowsTable):
    """Clients à renouveler, with the column titles of the user documentation."""

    product = tables.Column(
        verbose_name=_("Subscription"), accessor="product__name", order_by=_sorted("product__name")
    )
    users = tables.Column(
        verbose_name=_("To renew"),
        accessor="current_users",
        order_by=_sorted("current_users"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    renew = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )

    class Meta(SubscriptionRowsTable.Meta):
        empty_text = _("Nothing to renew: no subscription is expiring or expired.")

    def render_renew(self, record):
        if not self.can_manage:
            return ""
        return format_html(
            '<a class="btn btn-sm btn-primary" data-testid="renew" href="{}">{}</a>',
            reverse("renew", args=[record.pk]),
            _("Renew"),
        )


class MovementTable(tables.Table):
    """The ledger: one append-only line per balance change."""

    created_at = tables.DateTimeColumn(
        verbose_name=_("Date"), format="SHORT_DATETIME_FORMAT", order_by=_sorted("created_at")
    )
    organization = tables.Column(
        verbose_name=_("Organization"),
        accessor="pool__organization__name",
        order_by=_sorted("pool__organization__name"),
    )
    product = tables.Column(
        verbose_name=_("Product"),
        accessor="pool__product__name",
        order_by=_sorted("pool__product__name"),
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=_sorted("kind"))
    quantity = tables.Column(
        verbose_name=_("Licenses"),
        order_by=_sorted("quantity"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    balance_after = tables.Column(
        verbose_name=_("Balance after"),
        order_by=_sorted("balance_after"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    detail = tables.Column(
        verbose_name=_("Concerning"), accessor="pk", orderable=False, empty_values=()
    )
    actor = tables.Column(
        verbose_name=_("By"), accessor="actor__username", order_by=_sorted("actor__username"),
        default="—",
    )
    note = tables.Column(verbose_name=_("Note"), orderable=False, default="")

    class Meta:
        model = LicenseMovement
        fields = []
        attrs = TABLE_ATTRS
        order_by_field = "sort"
        empty_text = _("No ledger line matches these filters.")
        row_attrs = {
            "data-movement-id": lambda record: record.pk,
            "data-pool-id": lambda record: record.pool_id,
            "data-quantity": lambda record: record.quantity,
        }

    def render_kind(self, record):
        return record.get_kind_display()

    def render_quantity(self, value):
        css = "text-success" if value > 0 else "text-danger"
        return format_html('<span class="{} fw-semibold">{}</span>', css, f"{value:+d}")

    def render_detail(self, record):
        if record.subscription_id:
            client = record.subscription.client
            return format_html(
                '<a href="{}">{}</a>',
                reverse("client_detail", args=[client.pk]),
                client.name,
            )
        if record.counterpart_id:
            return record.counterpart.organization.name
        return "—"
