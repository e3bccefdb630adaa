"""`manage.py monthly_report [--month YYYY-MM] [--format table|csv|json]`: for the
publisher, per partner and product in one month (by default the last complete month):
renewals done, licenses consumed, subscriptions marked "not renewing" — marked during
the month, and marked with a term ending in the month — users added mid-term and
co-term extensions (see
`subscriptions.reports`)."""

import csv
import datetime
import json

from dateutil.relativedelta import relativedelta
from django.core.management.base import BaseCommand, CommandError

from subscriptions.dates import local_today
from subscriptions.reports import monthly_report

COLUMNS = (
    "partner", "partner_id", "product", "renewals", "new_subscriptions", "imported",
    "licenses_consumed", "marked_not_renewing", "not_renewing_ending", "addons",
    "addon_licenses", "automatic_renewals", "coterm_extensions",
)
TOTALS = COLUMNS[3:]


def _month(value):
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month must be YYYY-MM, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Per partner and product, for one month: renewals done, new and imported "
        "subscriptions, licenses consumed, and subscriptions marked not renewing "
        "(marked_not_renewing: marked during the month; not_renewing_ending: marked, term "
        "ending in the month; both count the marks standing when the report runs), and the "
        "add-ons (users added mid-term) standing and the licenses they debited, and the "
        "co-term extensions written during the month (coterm_extensions)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", metavar="YYYY-MM", help="The month (default: the last complete month)."
        )
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "csv", "json"), default="table"
        )

    def handle(self, *args, month, output_format, **options):
        month = _month(month) if month else local_today().replace(day=1) - relativedelta(months=1)
        lines = [line.as_dict() for line in monthly_report(month)]
        label = month.strftime("%Y-%m")
        if output_format == "json":
            self.stdout.write(json.dumps({"month": label, "lines": lines}, indent=2))
        elif output_format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=("month",) + COLUMNS,
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows({"month": label, **line} for line in lines)
        else:
            self._table(label, lines)

    def _table(self, label, lines):
        headers = ("Partner", "Product", "Renewals", "New", "Imported", "Licenses consumed",
                   "Not renewing (marked)", "Not renewing (ending)", "Add-ons",
                   "Add-on licenses", "Automatic renewals", "Co-term extensions")
        rows = [
            (line["partner"], line["product"], *(str(line[key]) for key in TOTALS))
            for line in lines
        ]
        totals = ("Total", "", *(str(sum(line[key] for line in lines)) for key in TOTALS))
        widths = [max(len(h), *(len(r[i]) for r in [*rows, totals])) for i, h in enumerate(headers)]
        self.stdout.write(f"Monthly report {label}")
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        for row in [*rows, totals]:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
