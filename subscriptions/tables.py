"""The lists of the portal as django-tables2 declarations.

Every row of a subscription list carries the hooks of CONTRACT.md (data-subscription-id,
data-status, data-client-id, data-product, data-users, data-end, data-pool-id), taken from
the annotations of `selectors.subscription_rows`: no query per row. Every column sorts
with the pk as tie-breaker, so a page holds the same rows however often it is reloaded.
"""

import datetime
import hashlib
import html
import inspect
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .figures_cache import cached_figures
from .models import LicenseMovement
from .selectors import CURRENT_END_KEYS_MAX, Status, status_labels

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


def client_link(client_id, table):
    """The client record, with `?back=` the list as the user filtered, sorted and paged it,
    so the record's breadcrumb leads back to the same rows."""
    url = reverse("client_detail", args=[client_id])
    # The same for every row of a table: worked out once.
    if "_back_query" not in table.__dict__:
        request = getattr(table, "request", None)
        # The plain client list is where the record leads back by default.
        if request is None or request.get_full_path() == reverse("client_list"):
            table._back_query = ""
        else:
            table._back_query = f"?{urlencode({'back': request.get_full_path()})}"
    return url + table._back_query


def _html(value):
    """`conditional_escape` without Django's lazy-string check on every call: rows of 100
    cells made 12 000 of them a page (docs/benchmarks.md). Like it, the result is marked
    safe, so escaping it again leaves it as it is."""
    if hasattr(value, "__html__"):
        return value.__html__()
    # SafeString itself: mark_safe would check each call for a lazy string.
    return SafeString(html.escape(str(value)))


def _attributes_html(attrs):
    """What django-tables2's AttributeDict.as_html writes (None skipped), in one pass."""
    return " ".join(
        f'{key}="{_html(value)}"' for key, value in attrs.items() if value is not None
    )


def _sorted(*accessors):
    return (*accessors, "pk")


# --- fast rows ------------------------------------------------------------------------
# django-tables2 renders each cell through `inspect.signature` of its render function, a
# template per date cell and an attrs dict per cell: at 100 rows a page that was most of
# the page's time (docs/benchmarks.md). The tables below render their <tbody> here, with
# the same markup, resolving signatures and column attributes once per table instead of
# once per cell. Columns of a kind not handled here go through django-tables2 as before.

FAST_TABLE_TEMPLATE = "includes/fast_table.html"
_CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "table")


def _caller(function, available=_CELL_ARGUMENTS):
    """Calls `function` with the keyword arguments it declares among `available`."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        wanted = available
    else:
        wanted = tuple(name for name in available if name in parameters)
    return lambda **kwargs: function(**{name: kwargs[name] for name in wanted})


def _getter(accessor):
    parts = str(accessor).split("__")

    def get(record):
        value = record
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value() if callable(value) else value

    return get


class DeferredRowsPaginator(Paginator):
    """Fetches a page in two steps: its primary keys first, ORDER BY … LIMIT/OFFSET over
    narrow rows, then those rows in full. PostgreSQL computes the select list of every row
    an OFFSET skips, so a deep page (?page=2000) used to run the paying-pool subquery and
    build wide rows 50 000 times to throw them away (docs/benchmarks.md).

    A table may offer `plain_rows`: the same rows as its queryset, without the status and
    paying pool and their joins (the view sets it when no filter narrows the list). The
    count, and the keys unless the order is by status, are read from it: staff's page
    2 000 then walks the (client_name, product_name, id) index alone. A table of every
    subscription may also offer `current_end_keys` (`selectors.current_end_keys`): the keys
    of its pages in end date order, read off two indexes."""

    def _plain_rows(self):
        return getattr(getattr(self.object_list, "table", None), "plain_rows", None)

    @property
    def count(self):
        if "_count" not in self.__dict__:
            queryset = self._plain_rows()
            if queryset is None:
                queryset = getattr(getattr(self.object_list, "data", None), "data", None)
            if isinstance(queryset, QuerySet) and queryset.query.is_empty():
                self._count = 0
            elif isinstance(queryset, QuerySet):
                # Counting a filtered list classifies every row in scope (40 to 60 ms at
                # 100 000 clients): the count is kept until the data changes, keyed by
                # its SQL, which holds the scope, the filters and today's date.
                sql, params = queryset.order_by().query.sql_with_params()
                digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
                self._count = cached_figures(f"count-{digest}", None, queryset.count)
            else:
                self._count = super().count
        return self._count

    def _key_rows(self, queryset):
        """Where to read the page's keys from: `plain_rows` in the same order, unless the
        order needs an annotation that `plain_rows` lacks (the status)."""
        plain = self._plain_rows()
        if plain is None:
            return queryset
        missing = set(queryset.query.annotations) - set(plain.query.annotations)
        order = queryset.query.order_by
        if not all(isinstance(name, str) and name.lstrip("-") not in missing for name in order):
            return queryset
        return plain.order_by(*order)

    def page(self, number):
        rows = self.object_list
        queryset = getattr(getattr(rows, "data", None), "data", None)
        if not isinstance(queryset, QuerySet) or not hasattr(rows, "table"):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys_by_end = getattr(rows.table, "current_end_keys", None)
        order = tuple(queryset.query.order_by)
        if (
            keys_by_end is not None
            and order in (("current_end", "pk"), ("-current_end", "-pk"))
            and top <= CURRENT_END_KEYS_MAX
        ):
            keys = keys_by_end(
                offset=bottom, limit=top - bottom, descending=order[0].startswith("-")
            )
        else:
            keys = list(self._key_rows(queryset).values_list("pk", flat=True)[bottom:top])
        found = {record.pk: record for record in queryset.order_by().filter(pk__in=keys)}
        records = [found[key] for key in keys if key in found]
        page_rows = type(rows)(records, table=rows.table, pinned_data=rows.pinned_data)
        return self._get_page(page_rows, number, self)


# Format characters of a date written directly (`_plain_date_writer`), as dateformat does.
_DATE_PARTS = {
    "d": lambda date: f"{date.day:02d}",
    "j": lambda date: str(date.day),
    "m": lambda date: f"{date.month:02d}",
    "n": lambda date: str(date.month),
    "Y": lambda date: f"{date.year:04d}",
    "y": lambda date: f"{date.year % 100:02d}",
}


def _plain_date_writer(format_string):
    """For a format of day, month and year numbers and separators only ("d/m/Y",
    "m/d/Y"), a function writing a date as `dateformat.format` does, without parsing the
    format again for every cell (200 date cells a 100-row page); None for any other."""
    if any(char.isalpha() and char not in _DATE_PARTS or char == "\\" for char in format_string):
        return None
    parts = [_DATE_PARTS.get(char, char) for char in format_string]
    return lambda date: "".join(part(date) if callable(part) else part for part in parts)


def _date_renderer(column):
    """What `{{ value|date:"FORMAT" }}` of Date(Time)Column prints, local time included."""
    date_format = column.template_code.split('date:"', 1)[1].split('"', 1)[0]
    # The format of the language active while the table renders.
    write_date = _plain_date_writer(formats.get_format(date_format))

    def render(value, **_kwargs):
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return formats.date_format(value, date_format)
        if write_date is not None and isinstance(value, datetime.date):
            return write_date(value)
        return formats.date_format(value, date_format)

    return render


class FastRowsMixin:
    """Renders the rows of the current page in one pass (see the comment above)."""

    def _cell_renderers(self):
        renderers = []
        for bound in self.columns:
            column = bound.column
            td = bound.attrs["td"].as_html()
            link = bound.link
            plain = type(column) in (tables.Column, tables.DateColumn, tables.DateTimeColumn)
            custom = getattr(self, f"render_{bound.name}", None)
            if not (plain or custom) or (link and (link.attrs or not callable(link.url))):
                renderers.append((td, None, bound.name))
                continue
            if custom is not None:
                render = _caller(custom)
            elif isinstance(column, (tables.DateColumn, tables.DateTimeColumn)):
                render = _date_renderer(column)
            else:
                render = lambda value, **_kw: _html(formats.localize(value))  # noqa: E731
            renderers.append(
                (
                    td,
                    {
                        "get": _getter(bound.accessor),
                        "empty": column.empty_values,
                        "default": conditional_escape(bound.default),
                        "render": render,
                        "url": _caller(link.url, ("record", "table", "value")) if link else None,
                        "column": column,
                        "bound": bound,
                    },
                    bound.name,
                )
            )
        return renderers

    def _row_attr_callers(self):
        return {
            key: _caller(value, ("record", "table")) if callable(value) else value
            for key, value in self.row_attrs.items()
        }

    def fast_rows(self):
        """(row attributes as HTML, [(td attributes as HTML, cell HTML)]) per row."""
        renderers = self._cell_renderers()
        row_attrs = self._row_attr_callers()
        rows = self.paginated_rows
        for index, row in enumerate(rows):
            record = row.record
            attrs = {
                key: value(record=record, table=self) if callable(value) else value
                for key, value in row_attrs.items()
            }
            parity = "odd" if index % 2 else "even"
            attrs["class"] = f"{attrs['class']} {parity}" if attrs.get("class") else parity
            cells = []
            for td, spec, name in renderers:
                if spec is None:
                    cells.append((td, _html(row.get_cell(name))))
                    continue
                value = spec["get"](record)
                if value in spec["empty"]:
                    cells.append((td, spec["default"]))
                    continue
                kwargs = {
                    "value": value, "record": record, "column": spec["column"],
                    "bound_column": spec["bound"], "table": self,
                }
                content = _html(spec["render"](**kwargs))
                if spec["url"] is not None:
                    content = f'<a href="{_html(spec["url"](**kwargs))}">{content}</a>'
                cells.append((td, content))
            yield _attributes_html(attrs), cells

    def rows_html(self):
        parts = []
        for attrs, cells in self.fast_rows():
            parts.append(f"<tr {attrs}>")
            parts.extend(f"<td {td}>{cell}</td>" for td, cell in cells)
            parts.append("</tr>")
        if not parts and self.empty_text:
            parts.append(
                format_html(
                    '<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text
                )
            )
        return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


class SubscriptionRowsTable(FastRowsMixin, tables.Table):
    """Columns and row hooks shared by the client list and the renewals list."""

    client = tables.Column(
        verbose_name=_("Client name"),
        accessor="client__name",
        # The stored copies of the names (Subscription.client_name): an index serves them.
        order_by=_sorted("client_name", "product_name"),
        linkify=lambda record, table: client_link(record.client_id, table),
    )
    product = tables.Column(
        verbose_name=_("Product"), accessor="product__name", order_by=_sorted("product_name")
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
        }

    def __init__(self, *args, can_manage=False, **kwargs):
        self.can_manage = can_manage
        super().__init__(*args, **kwargs)

    def render_status(self, value, record):
        # Five badges, each translated once per table rather than once per row.
        key = (value, bool(record.not_renewing_reason))
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
        return badges[key]


class ClientListTable(SubscriptionRowsTable):
    """Liste des clients: one row per subscription, coloured by status."""

    # django-tables2 reads options from the class's own Meta only.
    class Meta(SubscriptionRowsTable.Meta):
        pass


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
        verbose_name=_("Subscription"), accessor="product__name", order_by=_sorted("product_name")
    )
    # No subscription to renew has a queued renewal, so its current term is its latest:
    # sorting on the plain columns lets PostgreSQL walk the (term_end, id) index and stop
    # after a page, instead of sorting every row to renew by the CASE of `current_end`.
    start = tables.DateColumn(
        verbose_name=_("Start date"), accessor="current_start", order_by=_sorted("term_start")
    )
    end = tables.DateColumn(
        verbose_name=_("End date"), accessor="current_end", order_by=_sorted("term_end")
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
        sequence = ("select", "...")

    def __init__(self, *args, can_manage=False, **kwargs):
        if not can_manage:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "select")
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
        if not self.can_manage:
            return ""
        return format_html(
            '<a class="btn btn-sm btn-primary" data-testid="renew" href="{}">{}</a>',
            reverse("renew", args=[record.pk]),
            _("Renew"),
        )


class MovementTable(FastRowsMixin, tables.Table):
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
        template_name = FAST_TABLE_TEMPLATE
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
