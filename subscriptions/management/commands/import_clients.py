"""`manage.py import_clients FILE --partner P [--dry-run] [--no-debit]` (docs/interface.md).

All or nothing: any bad line, or a pool that cannot pay, rejects the whole file and the
command exits 1 with a report naming each bad line (`line N`, the header being line 1).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.context import as_command
from subscriptions import imports, services
from subscriptions.management import partner_from_argument


class Command(BaseCommand):
    help = (
        "Imports clients and their subscriptions from a CSV file "
        "(client;reseller;product;users;start_date;end_date) for one partner."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The CSV file ('-' reads stdin).")
        parser.add_argument("--partner", required=True, metavar="P", help="Partner name or id.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file, show the cost, write nothing."
        )
        parser.add_argument(
            "--no-debit",
            action="store_true",
            help="Contracts already paid: debit no pool; the ledger records a note instead.",
        )
        parser.add_argument("--note", default="", help="A note added to the ledger lines.")

    @as_command
    def handle(self, *args, file, partner, dry_run, no_debit, note, **options):
        partner = partner_from_argument(partner)
        text = self._read(file)
        debit = not no_debit
        checked = imports.check(text, partner=partner, debit=debit)
        if not checked.ok:
            self._refuse(imports.report_lines(checked))
        self._summary(checked)
        if dry_run:
            self.stdout.write("Dry run: nothing was imported.")
            return
        try:
            result = services.import_subscriptions(
                partner=partner, rows=checked.rows, debit=debit, note=note
            )
        except services.ImportRefused as refusal:
            self._refuse(imports.report_lines(refusal.plan))
        except services.OperationRefused as refusal:
            self._refuse([refusal.message])
        clients = len({subscription.client_id for subscription in result.subscriptions})
        self.stdout.write(
            f"Imported {len(result.subscriptions)} subscriptions for {clients} clients of "
            f"{partner.name}; {result.plan.licenses if debit else 0} licenses debited."
        )

    def _read(self, file):
        if file == "-":
            return imports.decode(sys.stdin.buffer.read())
        path = Path(file)
        try:
            return imports.decode(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None

    def _refuse(self, lines):
        for line in lines:
            self.stderr.write(line)
        raise CommandError(
            f"The file was refused ({len(lines)} problems): nothing was imported.", returncode=1
        )

    def _summary(self, checked):
        plan = checked.plan
        self.stdout.write(f"{len(checked.rows)} subscriptions to import for {plan.partner.name}.")
        for pool in plan.pools:
            self.stdout.write(
                f"  {pool.organization.name} / {pool.product.code}: {pool.subscriptions} "
                f"subscriptions, balance {pool.balance}, debit {pool.debit}, "
                f"after {pool.balance_after}"
            )
