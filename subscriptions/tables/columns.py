"""What every table of the portal shares: the table's look, the status colours and badge,
the link to a client's record and the sort tie-breaker."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..status import Status, status_labels


def _column_label(bound_column):
    return bound_column.header


# On a phone each row is a card (`table-cards` in portal.css): a cell names its column
# in `data-label`, as the header row is out of sight there. A column's own "td"
# attributes replace the table's, so the ones below carry the label too.
TABLE_ATTRS = {
    "class": "table table-hover table-sm align-middle mb-0 table-cards",
    "thead": {"class": "table-light"},
    "td": {"data-label": _column_label},
}

# Figures read best right-aligned, their header with them (django-tables2 copies these
# attributes for each cell, so one dictionary serves every column).
FIGURE_ATTRS = {
    "td": {"class": "text-end", "data-label": _column_label},
    "th": {"class": "text-end"},
}

# The card's title on a phone (the client's name): no label, first, larger.
TITLE_ATTRS = {"td": {"class": "cell-title"}}

# The row's buttons: the bottom of the card on a phone, within the screen's width.
ACTION_ATTRS = {"td": {"class": "text-end cell-action"}, "th": {"class": "text-end"}}

# Rule 6's colours; the status is also written out in words in its own column.
STATUS_ROW_CLASSES = {
    Status.EXPIRING: "table-expiring",
    Status.EXPIRED: "table-danger",
    Status.NOT_STARTED: "table-not-started",
    Status.RENEWED: "table-renewed",
    Status.ACTIVE: "",
}

STATUS_BADGE_CLASSES = {
    Status.EXPIRING: "badge-expiring",
    Status.EXPIRED: "text-bg-danger",
    Status.NOT_STARTED: "badge-not-started",
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


# Stands for a row's id in markup worked out once per table (`per_row`): no real id has
# this many digits, and it reads the same escaped or not.
_ROW_ID = "98765432109876543210"


def per_row(table, key, build):
    """A function of a row's id giving what `build(_ROW_ID)` gives with that id in its
    place: the URL reversing, escaping and translating of a link are done once per table
    rather than once per row (a 100-row page reversed two URLs a row)."""
    made = table.__dict__.setdefault("_per_row", {})
    if key not in made:
        markup = build(_ROW_ID)
        safe = hasattr(markup, "__html__")
        made[key] = lambda pk: (mark_safe if safe else str)(  # noqa: S308 - escaped by build
            markup.replace(_ROW_ID, str(int(pk)))
        )
    return made[key]


def client_link(client_id, table):
    """The client record, with `?back=` the list as the user filtered, sorted and paged it,
    so the record's breadcrumb leads back to the same rows."""
    url = per_row(table, "client_detail", lambda pk: reverse("client_detail", args=[pk]))(
        client_id
    )
    # The same for every row of a table: worked out once.
    if "_back_query" not in table.__dict__:
        request = getattr(table, "request", None)
        # The plain client list is where the record leads back by default.
        if request is None or request.get_full_path() == reverse("client_list"):
            table._back_query = ""
        else:
            table._back_query = f"?{urlencode({'back': request.get_full_path()})}"
    return url + table._back_query


def pk_last(*accessors):
    """A column's sort, the pk last: rows that tie keep one order from page to page."""
    return (*accessors, "pk")
