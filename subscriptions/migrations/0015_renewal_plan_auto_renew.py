"""Rules 22 and 23: a subscription's renewal plan and auto-renew switch, the claims that
make an automatic renewal happen once per end date and the notices sent once a day.

SQLite rebuilds the subscriptions table to add a NOT NULL column and a check constraint,
which drops the triggers that keep the subscription's copies of the client's names
(0005): they are dropped first and made again after, as 0013 does. PostgreSQL adds the
columns in place and keeps its triggers.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _sqlite_copies(schema_editor, name):
    if schema_editor.connection.vendor != "sqlite":
        return
    copies = importlib.import_module("subscriptions.migrations.0005_client_copies")
    for statement in getattr(copies, name):
        schema_editor.execute(statement, params=None)


def drop_copy_triggers(apps, schema_editor):
    _sqlite_copies(schema_editor, "SQLITE_DROP")


def create_copy_triggers(apps, schema_editor):
    _sqlite_copies(schema_editor, "SQLITE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_auto_renew_default"),
        ("subscriptions", "0014_client_since_default"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_copy_triggers, create_copy_triggers),
        migrations.CreateModel(
            name="AutoRenewClaim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("term_end", models.DateField(verbose_name="end date renewed")),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="renewed at"
                    ),
                ),
            ],
            options={
                "verbose_name": "automatic renewal",
                "verbose_name_plural": "automatic renewals",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="AutoRenewNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("short", "The pool could not pay"),
                            ("off", "Auto-renew switched off"),
                        ],
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                (
                    "missing",
                    models.PositiveIntegerField(default=0, verbose_name="missing licenses"),
                ),
                ("recipients", models.PositiveIntegerField(default=0, verbose_name="recipients")),
                ("sent_at", models.DateTimeField(auto_now_add=True, verbose_name="sent at")),
            ],
            options={
                "verbose_name": "auto-renew notice",
                "verbose_name_plural": "auto-renew notices",
                "ordering": ["-sent_at", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="subscription",
            name="auto_renew",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="renews automatically"
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="renewal_users",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="users of the next renewal"
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="renewal_years",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="years of the next renewal"
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(("auto_renew", True)),
                fields=["term_end", "id"],
                name="subscription_auto_renew_due",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("renewal_users__isnull", True), ("renewal_years__isnull", True)),
                    models.Q(
                        ("renewal_users__gte", 1),
                        ("renewal_users__lte", 100000),
                        ("renewal_years__gte", 1),
                        ("renewal_years__lte", 5),
                    ),
                    _connector="OR",
                ),
                name="renewal_plan_whole",
            ),
        ),
        migrations.AddField(
            model_name="autorenewclaim",
            name="subscription",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="auto_renew_claims",
                to="subscriptions.subscription",
                verbose_name="subscription",
            ),
        ),
        migrations.AddField(
            model_name="autorenewclaim",
            name="term",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="subscriptions.term",
                verbose_name="term",
            ),
        ),
        migrations.AddField(
            model_name="autorenewnotice",
            name="subscription",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="auto_renew_notices",
                to="subscriptions.subscription",
                verbose_name="subscription",
            ),
        ),
        migrations.AddConstraint(
            model_name="autorenewclaim",
            constraint=models.UniqueConstraint(
                fields=("subscription", "term_end"), name="one_auto_renewal_per_end"
            ),
        ),
        migrations.AddConstraint(
            model_name="autorenewnotice",
            constraint=models.UniqueConstraint(
                fields=("subscription", "kind", "day"), name="one_auto_renew_notice_per_day"
            ),
        ),
        migrations.RunPython(create_copy_triggers, drop_copy_triggers),
    ]
