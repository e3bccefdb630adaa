"""Client, product and subscription names sorted in French alphabetical order, and the
client name search ignoring case and accents (portal/names.py; accounts 0003 made the
collation and `portal_fold`).

The name columns take the collation `french`: every ORDER BY on them (the lists' sort by
client, their indexes, the API) follows it. The triggers that keep the subscription's
copies of the names (0005) name these columns, so they are dropped while the columns
change and made again: PostgreSQL refuses to change a column a trigger's WHEN names, and
SQLite rebuilds the tables, dropping their triggers.

On PostgreSQL the search's trigram index (0003) is replaced by one over `portal_fold(name)`,
what the search now compares; as before, only where pg_trgm is installed.
"""

import importlib

from django.db import migrations, models

COLLATION = "french"
OLD_INDEX = "subscriptions_client_name_upper_trgm"
INDEX = "subscriptions_client_name_fold_trgm"


def _copies():
    return importlib.import_module("subscriptions.migrations.0005_client_copies")


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop_copy_triggers(apps, schema_editor):
    copies = _copies()
    vendor = schema_editor.connection.vendor
    _run(schema_editor, copies.POSTGRESQL_DROP if vendor == "postgresql" else copies.SQLITE_DROP)


def create_copy_triggers(apps, schema_editor):
    copies = _copies()
    vendor = schema_editor.connection.vendor
    _run(schema_editor, copies.POSTGRESQL if vendor == "postgresql" else copies.SQLITE)


def _has_pg_trgm(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def index_folded_names(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
    if _has_pg_trgm(connection):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON subscriptions_client "
            "USING gin (portal_fold(name) gin_trgm_ops)"
        )


def index_upper_names(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    if _has_pg_trgm(connection):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON subscriptions_client "
            "USING gin ((UPPER(name::text)) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_french_names"),
        ("subscriptions", "0012_figureday_payer_derived"),
    ]

    operations = [
        migrations.RunPython(drop_copy_triggers, create_copy_triggers),
        migrations.AlterField(
            model_name="client",
            name="name",
            field=models.CharField(db_collation=COLLATION, max_length=200, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="product",
            name="name",
            field=models.CharField(db_collation=COLLATION, max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="client_name",
            field=models.CharField(
                db_collation=COLLATION, default="", editable=False, max_length=200
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="product_name",
            field=models.CharField(
                db_collation=COLLATION, default="", editable=False, max_length=100
            ),
        ),
        migrations.RunPython(create_copy_triggers, drop_copy_triggers),
        migrations.RunPython(index_folded_names, index_upper_names),
    ]
