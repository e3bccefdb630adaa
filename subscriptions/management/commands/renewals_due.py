"""`manage.py renewals_due`: the subscriptions to renew, as on the *Clients à renouveler*
screen, for ops and scripts (table, CSV or JSON on stdout)."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from subscriptions.management import partner_from_argument
from subscriptions.selectors import renewals_due

MAX_WINDOW_MONTHS = 24
COLUMNS = (
    "id", "client", "client_id", "partner", "reseller", "product", "users", "years",
    "start_date", "end_date", "status", "pool_id",
)


def _record(row):
    # The current term: a renewal is never queued on a row to renew, but the screens
    # show current_* and so do we.
    return {
        "id": row.pk,
        "client": row.client.name,
        "client_id": row.client_id,
        "partner": row.client.partner.name,
        "reseller": row.client.reseller.name if row.client.reseller_id else "",
        "product": row.product.code,
        "users": row.current_users,
        "years": row.current_years,
        "start_date": row.current_start.isoformat(),
        "end_date": row.current_end.isoformat(),
        "status": row.due_status,
        "pool_id": row.pool_id,
    }


class Command(BaseCommand):
    help = "Lists the subscriptions to renew (expiring or expired), oldest end date first."

    def add_arguments(self, parser):
        parser.add_argument("--partner", metavar="P", help="Only this partner (name or id) "
                            "and its resellers.")
        parser.add_argument(
            "--within-months", type=int, default=None, metavar="M",
            help="Renewal window in months instead of the configured one(s).",
        )
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "csv", "json"), default="table",
            help="Output format (default: table).",
        )

    def handle(self, *args, partner, within_months, output_format, **options):
        if within_months is not None and not 1 <= within_months <= MAX_WINDOW_MONTHS:
            raise CommandError(
                f"--within-months must be from 1 to {MAX_WINDOW_MONTHS}, not {within_months}."
            )
        partner = partner_from_argument(partner) if partner is not None else None
        rows = renewals_due(partner=partner, window_months=within_months)
        records = (_record(row) for row in rows.iterator(chunk_size=2000))
        getattr(self, f"_write_{output_format}")(records)

    def _write_json(self, records):
        # Streamed: a large channel's list is never held whole in memory.
        self.stdout.write("[", ending="")
        for index, record in enumerate(records):
            self.stdout.write(("," if index else "") + "\n" + json.dumps(record), ending="")
        self.stdout.write("\n]")

    def _write_csv(self, records):
        writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)

    def _write_table(self, records):
        headers = ("ID", "Client", "Product", "Reseller", "Start", "End", "Years", "Users",
                   "Status")
        records_kept = list(records)
        lines = [
            (str(r["id"]), r["client"], r["product"], r["reseller"], r["start_date"],
             r["end_date"], str(r["years"]), str(r["users"]), r["status"])
            for r in records_kept
        ]
        widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(headers)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        for line in lines:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))
        companies = len({r["client_id"] for r in records_kept})
        self.stdout.write(f"{len(lines)} subscriptions to renew, {companies} companies.")
