"""The auto-renewing subscriptions' index carries the columns of their status and of the
licenses their renewal takes: the count of those to renew now, on the dashboard and the
licenses page (selectors/plans.auto_renew_due), reads the index alone instead of a heap
page per subscription (PostgreSQL; SQLite ignores the included columns)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0017_merge_lifecycle"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="subscription",
            name="subscription_auto_renew_due",
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(("auto_renew", True)),
                fields=["term_end", "id"],
                include=(
                    "not_renewing_reason", "client_partner", "client_reseller", "term_start",
                    "previous_term_end", "users", "renewal_users", "renewal_years",
                ),
                name="subscription_auto_renew_due",
            ),
        ),
    ]
