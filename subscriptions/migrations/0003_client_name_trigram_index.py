"""A trigram index for the name search of the lists (`?q=`, `icontains`).

Django's `icontains` is `UPPER(name) LIKE UPPER('%…%')` on PostgreSQL: no b-tree helps, so
every search read the whole client table.
A GIN index over `UPPER(name)` with `gin_trgm_ops` answers it from the index.

PostgreSQL only, and only where the pg_trgm extension can be had: creating an extension
may need rights a production role lacks; the search then still works, unindexed.
"""

from django.db import migrations

INDEX = "subscriptions_client_name_upper_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
            cursor.execute("SAVEPOINT portal_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no right to create it: search stays unindexed
                cursor.execute("ROLLBACK TO SAVEPOINT portal_trgm")
                return
            cursor.execute("RELEASE SAVEPOINT portal_trgm")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON subscriptions_client "
            "USING gin ((UPPER(name::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_ledger_append_only"),
    ]

    operations = [migrations.RunPython(create, drop)]
