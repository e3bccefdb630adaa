"""The audit log as CSV (`?export=csv`, with the page's filters): every row in scope,
streamed in chunks, the values before and after as JSON.

Cells that a spreadsheet would run as a formula (a username tried at the login, a user
agent: text anyone can send) are written with a leading apostrophe, as OWASP advises
against CSV injection.
"""

import csv
import json
from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from subscriptions.dates import local_today

from .models import Action

CHUNK_SIZE = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json(value):
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                               default=str)


def _header():
    return [
        _("Date"), _("Action"), _("Action code"), _("Who"), _("Source"), _("IP address"),
        _("User agent"), _("Organization"), _("Object type"), _("Object id"),
        _("Concerning"), _("Before"), _("After"),
    ]


def _line(entry):
    try:
        label = Action(entry.action).label
    except ValueError:
        label = entry.action
    organization = entry.organization.name if entry.organization else entry.organization_name
    return [
        timezone.localtime(entry.created_at).isoformat(), label, entry.action,
        entry.actor_name, entry.source, entry.ip_address or "", entry.user_agent,
        organization, entry.object_type, entry.object_id, entry.object_label,
        _json(entry.before), _json(entry.after),
    ]


class _Echo:
    def write(self, value):
        return value


def _lines(rows, language):
    # A streamed body is produced after the view returned: keep the request's language.
    with translation.override(language):
        writer = csv.writer(_Echo())
        # The BOM lets spreadsheets recognise UTF-8.
        yield "\ufeff" + writer.writerow(_header())
        iterator = rows.iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(islice(iterator, CHUNK_SIZE)):
            yield "".join(
                writer.writerow([_safe(cell) for cell in _line(entry)]) for entry in chunk
            )


def export_csv(rows):
    response = StreamingHttpResponse(
        _lines(rows, translation.get_language()), content_type="text/csv; charset=utf-8"
    )
    filename = f"audit-{local_today().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
