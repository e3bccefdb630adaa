"""The audit log's table (docs/interface.md "Audit log"): one row per entry with its
hooks `data-testid="audit-row"` and `data-action`."""

import json

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from subscriptions.tables.columns import TABLE_ATTRS, TITLE_ATTRS, pk_last

from .models import AuditEntry

# What the "Changes" cell shows of each value before it is cut: the CSV holds it all.
VALUE_SHOWN = 80


def _shown(value):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"


def changes(before, after):
    """(key, before, after) of each value a row records, before and after side by side."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys]


class AuditTable(tables.Table):
    created_at = tables.DateTimeColumn(
        verbose_name=_("Date"), format="SHORT_DATETIME_FORMAT",
        order_by=pk_last("created_at"), attrs=TITLE_ATTRS,
    )
    action = tables.Column(verbose_name=_("Action"), order_by=pk_last("action"))
    actor_name = tables.Column(
        verbose_name=_("Who"), order_by=pk_last("actor_name"), default="—"
    )
    organization = tables.Column(
        verbose_name=_("Organization"), accessor="organization_name", orderable=False,
        empty_values=(),
    )
    object_label = tables.Column(verbose_name=_("Concerning"), orderable=False, default="—")
    changes = tables.Column(
        verbose_name=_("Before → after"), accessor="pk", orderable=False, empty_values=()
    )
    origin = tables.Column(
        verbose_name=_("Source"), accessor="source", orderable=False, empty_values=()
    )

    class Meta:
        model = AuditEntry
        fields = []
        attrs = TABLE_ATTRS
        order_by_field = "sort"
        empty_text = _("No entry in the audit log.")
        row_attrs = {
            "data-testid": "audit-row",
            "data-action": lambda record: record.action,
            "data-entry-id": lambda record: record.pk,
        }

    def render_action(self, record):
        return record.get_action_display()

    def render_organization(self, record):
        if record.organization_id and record.organization is not None:
            return record.organization.name
        return record.organization_name or "—"

    def render_changes(self, record):
        rows = changes(record.before, record.after)
        if not rows:
            return "—"
        return format_html(
            '<ul class="list-unstyled small mb-0">{}</ul>',
            format_html_join(
                "", "<li><span class=\"text-body-secondary\">{}</span> {}</li>",
                (
                    (f"{key}:" if key else "",
                     _arrow(before, after))
                    for key, before, after in rows
                ),
            ),
        )

    def render_origin(self, record):
        address = record.ip_address or ""
        return format_html(
            '<span class="small">{}</span>{}', record.source or "—",
            format_html('<br><span class="small text-body-secondary" title="{}">{}</span>',
                        record.user_agent, address) if address else "",
        )


def _arrow(before, after):
    if before is None:
        return _shown(after)
    if after is None:
        return format_html("<s>{}</s>", _shown(before))
    return format_html("{} → {}", _shown(before), _shown(after))
