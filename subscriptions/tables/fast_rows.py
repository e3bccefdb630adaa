"""The rows of a page rendered in one pass (`FastRowsMixin`).

django-tables2 renders each cell through `inspect.signature` of its render function, a
template per date cell and an attrs dict per cell: at 100 rows a page that was most of
the page's time. The tables of the portal render their <tbody> here, with the same
markup, resolving signatures and column attributes once per table instead of once per
cell. Columns of a kind not handled here go through django-tables2 as before.
"""

import datetime
import html
import inspect

import django_tables2 as tables
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

FAST_TABLE_TEMPLATE = "includes/fast_table.html"
_CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "table")


def _caller(function, available=_CELL_ARGUMENTS):
    """Calls `function` with the keyword arguments it declares among `available`, picked
    from the dict of them it is given (one dict per cell or row, not one per call)."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        wanted = available
    else:
        wanted = tuple(name for name in available if name in parameters)
    if len(wanted) == 1:
        [name] = wanted
        return lambda arguments: function(**{name: arguments[name]})
    return lambda arguments: function(**{name: arguments[name] for name in wanted})


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


def _html(value):
    """`conditional_escape` without Django's lazy-string check on every call: rows of 100
    cells make 12 000 of them a page. Like it, the result is marked safe, so escaping it
    again leaves it as it is."""
    if hasattr(value, "__html__"):
        return value.__html__()
    # SafeString itself: mark_safe would check each call for a lazy string.
    return SafeString(html.escape(str(value)))


def _attributes_html(attrs):
    """What django-tables2's AttributeDict.as_html writes (None skipped), in one pass."""
    return " ".join(
        f'{key}="{_html(value)}"' for key, value in attrs.items() if value is not None
    )



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

    def render(value):
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return formats.date_format(value, date_format)
        if write_date is not None and isinstance(value, datetime.date):
            return write_date(value)
        return formats.date_format(value, date_format)

    return render


class FastRowsMixin:
    """Renders the rows of the current page in one pass (see the module's docstring)."""

    def _cell_renderers(self):
        """(td attributes as HTML, a function of the record giving the cell's HTML, or
        None when django-tables2 renders the cell, column name) per column."""
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
            renderers.append((td, self._cell(bound, custom, link), bound.name))
        return renderers

    def _cell(self, bound, custom, link):
        get, empty = _getter(bound.accessor), bound.column.empty_values
        default = conditional_escape(bound.default)
        if custom is None and link is None:
            # The value alone makes the cell: no arguments to gather.
            if isinstance(bound.column, (tables.DateColumn, tables.DateTimeColumn)):
                write = _date_renderer(bound.column)
            else:
                write = formats.localize

            def cell(record):
                value = get(record)
                return default if value in empty else _html(write(value))

            return cell
        render = _caller(custom) if custom is not None else (
            lambda arguments: formats.localize(arguments["value"])
        )
        url = _caller(link.url, ("record", "table", "value")) if link else None
        column, table = bound.column, self

        def cell(record):
            value = get(record)
            if value in empty:
                return default
            arguments = {
                "value": value, "record": record, "column": column,
                "bound_column": bound, "table": table,
            }
            content = _html(render(arguments))
            if url is not None:
                content = f'<a href="{_html(url(arguments))}">{content}</a>'
            return content

        return cell

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
            arguments = {"record": record, "table": self}
            attrs = {
                key: value(arguments) if callable(value) else value
                for key, value in row_attrs.items()
            }
            parity = "odd" if index % 2 else "even"
            attrs["class"] = f"{attrs['class']} {parity}" if attrs.get("class") else parity
            yield _attributes_html(attrs), [
                (td, _html(row.get_cell(name)) if cell is None else cell(record))
                for td, cell, name in renderers
            ]

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
