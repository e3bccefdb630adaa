"""Import files (docs/interface.md `import_clients`): parsing and the report; the writes are
`services.import_subscriptions`.

The format: a header `client;reseller;product;users;start_date;end_date` (`,` also
accepted), one subscription per line; `reseller` may be empty (the partner manages the
client) and must otherwise be one of the partner's resellers, by name or id; `product` is a
product code; dates are ISO (2026-01-31) or French (31/01/2026). Line numbers count the
header as line 1, as a spreadsheet does.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.models import Organization, OrganizationKind

from . import services
from .models import Product

HEADER = ("client", "reseller", "product", "users", "start_date", "end_date")
# Past this, the portal refuses the upload (the command has no limit).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class Checked:
    """A parsed and checked file: its rows, the plan (costs per pool) and every error."""

    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line or None, message)
    plan: services.ImportPlan | None = None

    @property
    def shortfalls(self):
        return self.plan.shortfalls if self.plan else []

    @property
    def ok(self):
        return not self.errors and not self.shortfalls and bool(self.rows)


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM spreadsheets add), else Windows-1252, which French
    spreadsheet exports still use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_date(value):
    value = (value or "").strip()
    for parse in (
        datetime.date.fromisoformat,
        lambda v: datetime.datetime.strptime(v, "%d/%m/%Y").date(),
    ):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


# How dates are written in a file (module docstring); a value of this shape that is no
# day of the calendar (31/02/2026) is impossible, a different mistake from a badly written one.
_DATE_SHAPES = (re.compile(r"\d{4}-\d{2}-\d{2}"), re.compile(r"\d{1,2}/\d{1,2}/\d{4}"))


def _is_impossible_date(value):
    value = (value or "").strip()
    return parse_date(value) is None and any(shape.fullmatch(value) for shape in _DATE_SHAPES)


def _start_date_problem(value):
    if _is_impossible_date(value):
        return _("the start date %(date)s is impossible: there is no such day.") % {
            "date": value.strip()
        }
    return _("the start date must be YYYY-MM-DD or DD/MM/YYYY.")


def _end_date_problem(value):
    if _is_impossible_date(value):
        return _("the end date %(date)s is impossible: there is no such day.") % {
            "date": value.strip()
        }
    return _("the end date must be YYYY-MM-DD or DD/MM/YYYY.")


def line_label(line):
    return _("line %(line)s") % {"line": line}


def _delimiter(header_line):
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def parse(text, *, partner):
    """Rows with their references resolved, and the errors of the lines that are not."""
    checked = Checked()
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first_line))
    header = next(reader, None)
    if header is None or tuple(cell.strip().lower() for cell in header) != HEADER:
        checked.errors.append(
            (1, _("the header must be %(header)s.") % {"header": ";".join(HEADER)})
        )
        return checked
    resellers = list(
        Organization.objects.filter(kind=OrganizationKind.RESELLER, parent=partner)
    )
    by_name = {reseller.name.casefold(): reseller for reseller in resellers}
    by_id = {str(reseller.pk): reseller for reseller in resellers}
    products = {product.code.casefold(): product for product in Product.objects.all()}
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            checked.errors.append((reader.line_num, _("unreadable line (%(error)s).")
                                   % {"error": error}))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if any("\x00" in cell for cell in record):
            # PostgreSQL refuses NUL in text: a clear line error, not a database error.
            checked.errors.append((line, _("the line holds a NUL character.")))
            continue
        if len(record) != len(HEADER):
            checked.errors.append(
                (line, _("%(found)s columns instead of %(expected)s.")
                 % {"found": len(record), "expected": len(HEADER)})
            )
            continue
        client, reseller_name, product_code, users, start, end = (c.strip() for c in record)
        problems = []
        reseller = None
        if reseller_name:
            reseller = by_name.get(reseller_name.casefold()) or by_id.get(reseller_name)
            if reseller is None:
                problems.append(
                    _("%(reseller)s is not a reseller of %(partner)s.")
                    % {"reseller": reseller_name, "partner": partner.name}
                )
        product = products.get(product_code.casefold())
        if product is None:
            problems.append(_("unknown product code %(code)s.") % {"code": product_code or "—"})
        try:
            users_count = int(users)
        except ValueError:
            users_count = None
            problems.append(_("the number of users must be a whole number."))
        start_date, end_date = parse_date(start), parse_date(end)
        if start_date is None:
            problems.append(_start_date_problem(start))
        if end_date is None:
            problems.append(_end_date_problem(end))
        if problems:
            checked.errors.extend((line, problem) for problem in problems)
            continue
        checked.rows.append(
            services.ImportRow(
                line=line,
                client=client,
                reseller=reseller,
                product=product,
                users=users_count,
                start_date=start_date,
                end_date=end_date,
            )
        )
    return checked


def check(text, *, partner, debit=True, reseller=None):
    """Parses, then checks the rules and each pool's balance: the whole report, no write.

    `reseller`: a reseller's own import (from the portal): every client is its own, the
    column may be empty or name it, and naming another reseller is a bad line.
    """
    checked = parse(text, partner=partner)
    if checked.errors and any(line == 1 for line, _message in checked.errors):
        return checked
    if reseller is not None:
        for row in checked.rows:
            if row.reseller is not None and row.reseller.pk != reseller.pk:
                checked.errors.append(
                    (row.line, _("you may import clients of %(reseller)s only.")
                     % {"reseller": reseller.name})
                )
            row.reseller = reseller
        bad = {line for line, _message in checked.errors}
        checked.rows = [row for row in checked.rows if row.line not in bad]
    checked.plan = services.plan_import(partner=partner, rows=checked.rows, debit=debit)
    checked.errors.extend(checked.plan.errors)
    bad_lines = {line for line, _message in checked.plan.errors}
    checked.rows = [row for row in checked.rows if row.line not in bad_lines]
    checked.errors.sort(key=lambda error: (error[0] or 0))
    if not checked.rows and not checked.errors:
        checked.errors.append((None, _("The file holds no subscription to import.")))
    return checked


def report_lines(checked_or_plan):
    """`line N: why` for each bad line, then one line per pool that cannot pay."""
    lines = [
        f"{line_label(line)}: {message}" if line else message
        for line, message in checked_or_plan.errors
    ]
    lines.extend(services.shortfall_message(pool) for pool in checked_or_plan.shortfalls)
    return lines


def run_import(text, *, partner, actor=None, debit=True, token=None, note="", reseller=None):
    """Checks the file, then imports it in one transaction; raises ImportRefused with the
    whole report when anything is wrong (a concurrent debit included)."""
    checked = check(text, partner=partner, debit=debit, reseller=reseller)
    if not checked.ok:
        raise services.ImportRefused(checked)
    return services.import_subscriptions(
        partner=partner, rows=checked.rows, actor=actor, debit=debit, token=token, note=note
    )
