"""`manage.py check_ledger`: proves docs/rules.md rule 10 (a pool's balance is its ledger's sum)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Organization
from subscriptions.models import LicenseMovement, LicensePool, Product

# One query for every pool, however many: the running sum of each pool's lines (in the
# order they were written, which is id order since a line is inserted under the pool's
# row lock) must equal the balance_after each line recorded, and the total must equal the
# pool's balance.
QUERY = """
WITH running AS (
    SELECT pool_id, quantity, balance_after,
           SUM(quantity) OVER (PARTITION BY pool_id ORDER BY id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
    FROM {movement}
), per_pool AS (
    SELECT pool_id, SUM(quantity) AS total, COUNT(*) AS lines,
           SUM(CASE WHEN balance_after <> running_total THEN 1 ELSE 0 END) AS broken
    FROM running
    GROUP BY pool_id
)
SELECT p.id, o.name, pr.code, p.balance,
       COALESCE(pp.total, 0), COALESCE(pp.lines, 0), COALESCE(pp.broken, 0)
FROM {pool} p
JOIN {organization} o ON o.id = p.organization_id
JOIN {product} pr ON pr.id = p.product_id
LEFT JOIN per_pool pp ON pp.pool_id = p.id
ORDER BY p.id
"""


def ledger_report():
    """[(pool id, organization, product code, balance, ledger sum, lines, broken lines)]."""
    sql = QUERY.format(
        movement=LicenseMovement._meta.db_table,
        pool=LicensePool._meta.db_table,
        organization=Organization._meta.db_table,
        product=Product._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


class Command(BaseCommand):
    help = (
        "Verifies that every pool's balance equals the sum of its ledger lines, is not "
        "negative, and that each line's balance after is the running sum. Exit 1 otherwise."
    )

    def handle(self, *args, **options):
        rows = ledger_report()
        problems = []
        movements = 0
        for pool_id, organization, code, balance, total, lines, broken in rows:
            movements += lines
            reasons = []
            if balance != total:
                reasons.append(f"balance {balance} but its ledger sums to {total}")
            if balance < 0:
                reasons.append(f"negative balance {balance}")
            if broken:
                reasons.append(f"{broken} ledger line(s) with a wrong balance after")
            if reasons:
                problems.append(f"pool {pool_id} ({organization} — {code}): " + "; ".join(reasons))
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(problems)} of {len(rows)} pools do not match their ledger.", returncode=1
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger consistent: {len(rows)} pools, {movements} movements, "
                "every balance equals the sum of its movements."
            )
        )
