"""CSV and Excel exports of the subscription lists, with the filters and the sort applied.

The columns are the table's own (same titles as on screen, in the user's language), the
rows are the table's queryset, already scoped with `visible_to(user)` and filtered by the
view: an export never holds a row the user could not see in the list.

Size: both formats hold every row and read them in chunks (`iterator()`, a server-side
cursor on PostgreSQL), so 100 000 rows never sit in memory at once. CSV streams its lines
as they are written; an XLSX file is a zip that can only be closed once every row is in
it, so openpyxl's write-only workbook writes the rows to disk as they come (its sheet
goes to a temporary file, never into memory), then the finished file is sent from a
temporary file, block by block, and removed once sent.
"""

import csv
import datetime
import tempfile
from itertools import islice

from django.http import FileResponse, StreamingHttpResponse
from django.utils import formats, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .dates import local_today
from .status import status_labels

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
EXPORT_PARAMETER = "export"
CHUNK_SIZE = 2000
# Actions (links, buttons) mean nothing in a file.
NOT_EXPORTED = frozenset({"renew", "select"})

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def requested_format(request):
    """The export format asked for with `?export=csv|xlsx`, or None for the HTML page."""
    value = request.GET.get(EXPORT_PARAMETER)
    return value if value in FORMATS else None


def _columns(table):
    """(name, database path, title) of each exported column. The lists' columns are all
    database paths (`client__name`, annotations such as `current_end`), so rows are read
    with `values()`: no model instance per row, which matters at 100 000 rows."""
    return [
        (column.name, str(column.accessor or column.name), str(column.header))
        for column in table.columns
        if column.name not in NOT_EXPORTED and not column.column.exclude_from_export
    ]


def _ordered_rows(request, table):
    """The table's rows in the order `?sort=` asks for, like the page; never paginated."""
    order_by = [value for value in request.GET.getlist(table.prefixed_order_by_field) if value]
    if order_by:
        table.order_by = order_by
    return table.data.data


def _values(columns, record, cell, labels):
    # The raw values, not the cells' HTML: numbers and dates stay numbers and dates.
    return [cell(name, record[path], labels) for name, path, _h in columns]


class _Labels(dict):
    """Status labels, and each date formatted once: formatting is the slow part of a
    100 000-row CSV, and the same few hundred dates come back on every page of rows."""

    def __init__(self):
        super().__init__(status_labels())
        self.dates = {}

    def date(self, value, format_name):
        key = (value, format_name)
        if key not in self.dates:
            self.dates[key] = formats.date_format(value, format_name)
        return self.dates[key]


def _csv_cell(name, value, labels):
    if value is None:
        return ""
    if name == "status":
        return str(labels.get(value, value))
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return labels.date(value, "SHORT_DATE_FORMAT")
    return str(value)


def _xlsx_cell(name, value, labels):
    if value is None:
        return ""
    if name == "status":
        return str(labels.get(value, value))
    if isinstance(value, datetime.datetime):
        # openpyxl cannot write time zones; the local wall-clock time is what people read.
        return value.replace(tzinfo=None)
    if isinstance(value, int | datetime.date):
        return value
    return str(value)


def _filename(basename, export_format):
    return f"{basename}-{local_today().isoformat()}.{export_format}"


def _csv_delimiter():
    # Spreadsheets set to French read ";" (the decimal separator is ","); English ones ",".
    return ";" if (translation.get_language() or "").startswith("fr") else ","


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def _chunks(rows):
    iterator = rows.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        yield chunk


def _csv_lines(columns, rows, language, delimiter):
    # A streamed body is produced after the view returned: keep the request's language.
    with translation.override(language):
        labels = _Labels()
        writer = csv.writer(_Echo(), delimiter=delimiter)
        # The BOM lets spreadsheets recognise UTF-8 (accents in client names).
        yield "\ufeff" + writer.writerow([header for _name, _accessor, header in columns])
        for chunk in _chunks(rows):
            yield "".join(
                writer.writerow(_values(columns, record, _csv_cell, labels)) for record in chunk
            )


def export_table(request, table, *, basename, title):
    """The response for `?export=`: the table's filtered, sorted rows as a file."""
    export_format = requested_format(request)
    columns = _columns(table)
    rows = _ordered_rows(request, table).values(*(path for _name, path, _h in columns))
    filename = _filename(basename, export_format)
    if export_format == CSV:
        response = StreamingHttpResponse(
            _csv_lines(columns, rows, translation.get_language(), _csv_delimiter()),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = FileResponse(_xlsx(columns, rows, title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _sheet_title(title):
    # Excel limits a sheet title to 31 characters and refuses some characters in it.
    return "".join(c for c in str(title) if c not in "[]:*?/\\")[:31] or "Export"


def _xlsx(columns, rows, title):
    """The workbook in an open temporary file, at its start: FileResponse sends it in
    blocks and closes it, which deletes it. Memory holds one chunk of rows at a time."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    headers = []
    for _name, _accessor, header in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        headers.append(cell)
    sheet.append(headers)
    labels = _Labels()
    for chunk in _chunks(rows):
        for record in chunk:
            sheet.append(_values(columns, record, _xlsx_cell, labels))
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target
