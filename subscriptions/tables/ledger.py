"""The ledger: one append-only line per balance change, with its hooks of
docs/interface.md (data-movement-id, data-pool-id, data-quantity)."""

import django_tables2 as tables
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.numbers import figure

from ..models import LicenseMovement
from ..notes import note_text
from .columns import FIGURE_ATTRS, TABLE_ATTRS, TITLE_ATTRS, pk_last
from .fast_rows import FAST_TABLE_TEMPLATE, FastRowsMixin


class MovementTable(FastRowsMixin, tables.Table):
    """The ledger: one append-only line per balance change."""

    created_at = tables.DateTimeColumn(
        verbose_name=_("Date"),
        format="SHORT_DATETIME_FORMAT",
        order_by=pk_last("created_at"),
        attrs=TITLE_ATTRS,
    )
    organization = tables.Column(
        verbose_name=_("Organization"),
        accessor="pool__organization__name",
        order_by=pk_last("pool__organization__name"),
    )
    product = tables.Column(
        verbose_name=_("Product"),
        accessor="pool__product__name",
        order_by=pk_last("pool__product__name"),
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=pk_last("kind"))
    quantity = tables.Column(
        verbose_name=_("Licenses"),
        order_by=pk_last("quantity"),
        attrs=FIGURE_ATTRS,
    )
    balance_after = tables.Column(
        verbose_name=_("Balance after"),
        order_by=pk_last("balance_after"),
        attrs=FIGURE_ATTRS,
    )
    detail = tables.Column(
        verbose_name=_("Concerning"), accessor="pk", orderable=False, empty_values=()
    )
    actor = tables.Column(
        verbose_name=_("By"), accessor="actor__username", order_by=pk_last("actor__username"),
        default="—",
    )
    note = tables.Column(verbose_name=_("Note"), orderable=False, default="")

    class Meta:
        model = LicenseMovement
        fields = []
        attrs = TABLE_ATTRS
        template_name = FAST_TABLE_TEMPLATE
        order_by_field = "sort"
        empty_text = _("No ledger line matches these filters.")
        row_attrs = {
            "data-movement-id": lambda record: record.pk,
            "data-pool-id": lambda record: record.pool_id,
            "data-quantity": lambda record: record.quantity,
        }

    def render_note(self, value):
        return note_text(value)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_quantity(self, value):
        css = "text-success" if value > 0 else "text-danger"
        signed = ("+" if value > 0 else "") + figure(value)
        return format_html('<span class="{} fw-semibold">{}</span>', css, signed)

    def render_detail(self, record):
        client = record.subscription.client if record.subscription_id else _cotermed(record)
        if client is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("client_detail", args=[client.pk]),
                client.name,
            )
        if record.counterpart_id:
            return record.counterpart.organization.name
        return "—"


def _cotermed(record):
    """The client a co-terming's debit paid for (one line for several subscriptions), or
    None for any other line."""
    try:
        return record.coterm_debit.coterming.client
    except ObjectDoesNotExist:
        return None
