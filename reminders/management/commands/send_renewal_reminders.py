"""`manage.py send_renewal_reminders [--dry-run] [--today YYYY-MM-DD]`, for a daily cron
on one node (docs/deployment.md); see reminders.services for the once-only rule."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from reminders import services


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "E-mails each partner and reseller manager one digest of the subscriptions reaching "
        "90, 30 or 7 days before their end date, or expired; each reminder goes out once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be sent; send nothing."
        )
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="Run as if today were this day.")

    def handle(self, *args, dry_run, today, **options):
        today = _date(today) if today else None
        result = services.send_reminders(today=today, dry_run=dry_run)
        if dry_run:
            for reminder in result.reminders:
                self.stdout.write(services.describe(reminder))
            for digest in result.digests:
                self.stdout.write(
                    f"would send to {digest.user.email} ({digest.language}): "
                    f"{len(digest.reminders)} reminders"
                )
            self.stdout.write(
                f"Dry run: {len(result.reminders)} reminders in {len(result.digests)} digests; "
                "nothing sent."
            )
            return
        self.stdout.write(
            f"{len(result.reminders)} reminders sent in {result.sent} digests"
            + (f", {result.skipped} already taken by another run" if result.skipped else "")
            + (f", {result.failed} digests failed" if result.failed else "")
            + "."
        )
        if result.failed:
            raise CommandError(
                f"{result.failed} digests could not be sent; the reminders nobody received "
                "are retried on the next run."
            )
