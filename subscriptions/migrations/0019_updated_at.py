"""`updated_at` on clients, subscriptions and pools, for the API's `updated_since`
(docs/api.md): set to the migration's time on the rows there are.

Added by SQL rather than `AddField`: on SQLite a NOT NULL column makes Django rebuild the
table, which drops the triggers that copy the client's names onto its subscriptions
(0005_client_copies). On PostgreSQL the default is only there to fill the rows (a
transaction-time default, so no table rewrite) and is dropped after.
"""

from django.db import migrations, models

# (model, indexed): the lists filtered by `updated_since` are indexed.
COLUMNS = [("client", True), ("subscription", True), ("licensepool", False)]


def _column(model):
    field = models.DateTimeField(auto_now=True, db_index=True)
    field.set_attributes_from_name("updated_at")
    field.model = model
    return field


def add_columns(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, indexed in COLUMNS:
        model = apps.get_model("subscriptions", name)
        table = schema_editor.quote_name(model._meta.db_table)
        if postgresql:
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN updated_at timestamp with time zone "
                "NOT NULL DEFAULT now()"
            )
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN updated_at DROP DEFAULT")
        else:
            # SQLite keeps a constant default in the column's definition; Django always
            # sends the value, so it never applies after this.
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN updated_at datetime NOT NULL "
                "DEFAULT '1970-01-01 00:00:00'"
            )
            schema_editor.execute(
                f"UPDATE {table} SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')"
            )
        if indexed:
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[_column(model)])
            )


def drop_columns(apps, schema_editor):
    for name, indexed in COLUMNS:
        model = apps.get_model("subscriptions", name)
        if indexed:
            schema_editor.execute(
                schema_editor._delete_index_sql(
                    model, schema_editor._create_index_name(
                        model._meta.db_table, ["updated_at"], suffix=""
                    )
                )
            )
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN updated_at")


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0018_auto_renew_due_covering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name=name,
                    name="updated_at",
                    field=models.DateTimeField(
                        auto_now=True, db_index=indexed, verbose_name="updated at"
                    ),
                    preserve_default=False,
                )
                for name, indexed in COLUMNS
            ],
        ),
    ]
