"""French names (portal/names.py): the collation `french` and the function `portal_fold`
on PostgreSQL, and organization names sorted in French alphabetical order.

SQLite has both from the connection (portal/names.py registers them on every one).
PostgreSQL: an ICU collation for French, and `portal_fold`, `lower(unaccent(…))` declared
IMMUTABLE so that an index can hold it (unaccent() itself is only STABLE, as its
dictionary could change; ours never does). The unaccent extension is created if missing
(it is a trusted extension: a database owner may create it).
"""

from django.db import migrations, models

COLLATION = "french"

FOLD = """
CREATE OR REPLACE FUNCTION portal_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, $1)) $$
"""


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE COLLATION IF NOT EXISTS {COLLATION} (provider = icu, locale = 'fr')"
        )
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        # The function names unaccent by its schema: an IMMUTABLE function must not
        # depend on the caller's search_path.
        cursor.execute(
            "SELECT quote_ident(nspname) FROM pg_extension"
            " JOIN pg_namespace ON pg_namespace.oid = extnamespace WHERE extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
        cursor.execute(FOLD.format(schema=schema))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_fold(text)")
    schema_editor.execute(f"DROP COLLATION IF EXISTS {COLLATION}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organization_reminder_days"),
    ]

    operations = [
        migrations.RunPython(create, drop),
        migrations.AlterField(
            model_name="organization",
            name="name",
            field=models.CharField(db_collation=COLLATION, max_length=200, verbose_name="name"),
        ),
    ]
