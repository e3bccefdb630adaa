"""The client's name folded once when written (`name_folded`, a stored generated column:
`portal_fold(name)`), which the lists' and the API's name search compare instead of
folding every candidate's name again; the search's trigram index moves onto it
(PostgreSQL, where pg_trgm is installed).

SQLite adds a stored generated column by rebuilding the table, which drops the triggers
that copy the client's names onto its subscriptions (0005_client_copies): they are made
again after, as 0013 does.
"""

import importlib

from django.db import migrations, models

import portal.names

OLD_INDEX = "subscriptions_client_name_fold_trgm"
INDEX = "subscriptions_client_name_folded_trgm"


def _copies():
    return importlib.import_module("subscriptions.migrations.0005_client_copies")


def _sqlite_triggers(schema_editor, statements):
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement, params=None)


def drop_copy_triggers(apps, schema_editor):
    _sqlite_triggers(schema_editor, _copies().SQLITE_DROP)


def create_copy_triggers(apps, schema_editor):
    _sqlite_triggers(schema_editor, _copies().SQLITE)


def _has_pg_trgm(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _index(schema_editor, drop, create):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {drop}")
    if _has_pg_trgm(connection):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {create[0]} ON subscriptions_client "
            f"USING gin ({create[1]} gin_trgm_ops)"
        )


def index_stored(apps, schema_editor):
    _index(schema_editor, OLD_INDEX, (INDEX, "name_folded"))


def index_computed(apps, schema_editor):
    _index(schema_editor, INDEX, (OLD_INDEX, "portal_fold(name)"))


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0019_updated_at"),
    ]

    operations = [
        migrations.RunPython(drop_copy_triggers, create_copy_triggers),
        migrations.AddField(
            model_name="client",
            name="name_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=portal.names.Folded("name"),
                output_field=models.CharField(max_length=200),
                verbose_name="name without accents",
            ),
        ),
        migrations.RunPython(create_copy_triggers, drop_copy_triggers),
        migrations.RunPython(index_stored, index_computed),
    ]
