"""`manage.py seed_demo`: the demo data of docs/interface.md, idempotent (subscriptions.demo)."""

import logging

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from audit.context import as_command
from subscriptions import demo
from subscriptions.selectors import figures_kept


class Command(BaseCommand):
    help = (
        "Loads the demo data (products, partners, resellers, pools, clients in every "
        "status; demo logins when DEBUG is on or with --force). Running it again adds "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clients", type=int, default=0, metavar="N",
            help="Also generate N clients in bulk (benchmarks); a second run with the same N "
            "adds nothing.",
        )
        parser.add_argument(
            "--seed", type=int, default=None, metavar="S",
            help="Seed of the generator of --clients, for reproducible data.",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Create the demo logins even when DEBUG is off.",
        )
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Do nothing when the database already holds an organization (make run).",
        )

    @as_command
    def handle(self, *args, clients, seed, force, if_empty, **options):
        if not 0 <= clients <= demo.MAX_GENERATED:
            raise CommandError(f"--clients must be from 0 to {demo.MAX_GENERATED}, not {clients}.")
        if if_empty and Organization.objects.exists():
            self.stdout.write("The database already holds data: no demo data loaded.")
            return
        # The services log each operation for ops; seeding makes hundreds of them.
        operations_log = logging.getLogger("portal.operations")
        level = operations_log.level
        if options["verbosity"] < 2:
            operations_log.setLevel(logging.WARNING)
        try:
            report = demo.seed(clients=clients, seed=seed, force=force)
        finally:
            operations_log.setLevel(level)
        for line in report.lines:
            self.stdout.write(line)
        if report.users_created:
            self.stdout.write(
                "Demo logins created (password = login): " + ", ".join(report.users_created)
            )
        if report.users_skipped:
            self.stdout.write(
                "DEBUG is off: the demo logins were not created (use --force to create them)."
            )
        # Built now rather than by the first visit (subscriptions/selectors/figures_kept.py).
        figures_kept.rebuild()
        short = demo.balances_below_minimum()
        if short:
            raise CommandError(
                "Demo pools under the minimum: " + ", ".join(str(pool) for pool in short)
            )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
