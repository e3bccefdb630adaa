"""Ledger lines cannot be updated or deleted, by any role, the table's owner included.

A trigger fires for every role (unlike a REVOKE, which the owner can undo), so on
PostgreSQL the database itself keeps the ledger append-only. Corrections are reversing
lines written by the service layer. TRUNCATE is left to the test runner's flush.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION subscriptions_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'license movements are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER subscriptions_licensemovement_append_only
    BEFORE UPDATE OR DELETE ON subscriptions_licensemovement
    FOR EACH ROW EXECUTE FUNCTION subscriptions_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS subscriptions_licensemovement_append_only ON subscriptions_licensemovement;
DROP FUNCTION IF EXISTS subscriptions_ledger_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
