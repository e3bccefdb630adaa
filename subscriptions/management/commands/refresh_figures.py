"""`manage.py refresh_figures`: rebuilds the dashboard's kept figures
(subscriptions/selectors/figures_kept.py).

Nothing needs it to stay right: every write records what it changed and the next read
brings the figures up to date. It moves work off a visitor: the first read of a day
rebuilds every row, so a cron job just after
midnight (the portal's time zone) saves it to the first partner who logs in. `--check`
compares the kept figures with a computation from every subscription, for ops who want
proof: exit 1 naming what differs.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from subscriptions.selectors import figures, figures_kept


class Command(BaseCommand):
    help = "Rebuilds the dashboard's kept figures now; --check compares them with a computation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true",
            help="Compare the kept figures with a computation from every subscription.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Figures are kept on PostgreSQL only: nothing to do here.")
            return
        if options["check"]:
            differences = figures.kept_differences()
            if differences:
                raise CommandError("Kept figures differ: " + ", ".join(differences))
            self.stdout.write(self.style.SUCCESS("Kept figures match a computation."))
            return
        figures_kept.rebuild()
        self.stdout.write(self.style.SUCCESS("Kept figures rebuilt."))
