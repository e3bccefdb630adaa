"""`manage.py run_auto_renewals [--today YYYY-MM-DD] [--dry-run]`, for a daily cron
(docs/deployment.md); rule 23 in docs/rules.md, the once-only rule in
subscriptions/services/auto_renewal.py. Safe to run on several nodes at once."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from audit.context import as_command
from subscriptions.services import auto_renewal


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from None


def describe(outcome):
    """One line per subscription, for the operator's log (English, like every command)."""
    subscription = outcome.subscription
    who = (
        f"subscription {subscription.pk} ({subscription.client.name}, "
        f"{subscription.product.code}, ending {subscription.term_end.isoformat()})"
    )
    quantity = f"{outcome.users} users x {outcome.years} years = {outcome.licenses} licenses"
    if outcome.outcome == auto_renewal.RENEWED:
        return f"renewed {who} until {outcome.end_date.isoformat()}: {quantity}"
    if outcome.outcome == auto_renewal.SHORT:
        return f"refused {who}: {quantity}, {outcome.missing} missing; retried tomorrow"
    if outcome.outcome == auto_renewal.SWITCHED_OFF:
        return (f"refused {who}: {quantity}, {outcome.missing} missing; grace period over, "
                "auto-renew switched off")
    if outcome.outcome == auto_renewal.WOULD_RENEW:
        return f"would renew {who} until {outcome.end_date.isoformat()}: {quantity}"
    if outcome.outcome == auto_renewal.WOULD_BE_SHORT:
        return f"would refuse {who}: {quantity}, {outcome.missing} missing"
    return f"skipped {who}: renewed, changed or taken by another run meanwhile"


class Command(BaseCommand):
    help = (
        "Renews every auto-renewing subscription due (ending within AUTO_RENEW_LEAD_DAYS, "
        "or expired), once per end date; tells the managers when a pool cannot pay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be renewed; write nothing."
        )
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="Run as if today were this day.")

    @as_command
    def handle(self, *args, dry_run, today, **options):
        today = _date(today) if today else None
        outcomes = auto_renewal.run_auto_renewals(today=today, dry=dry_run)
        for outcome in outcomes:
            self.stdout.write(describe(outcome))
        counts = {}
        for outcome in outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{prefix}{len(outcomes)} due" + (f" ({summary})." if summary else "."))
