"""The kept figures of a large paying organization split into buckets of clients
(selectors/figures_kept.py): the triggers now record the client of every subscription
written, and a pool balance apart (it only moves the day the pool runs dry); an index
finds one bucket's subscriptions. The kept rows are rebuilt on the next read.
"""

import importlib

from django.db import migrations, models

CHANGE = "subscriptions_figureschange"

# Client ids modulo this, per paying organization: a bucket is one or more of these slots
# (figures.SLOTS; its bucket counts divide it).
SLOTS = 64

# The clients and paying organizations of the subscriptions a statement wrote, once each.
_RECORD_SUBSCRIPTIONS = """
CREATE OR REPLACE FUNCTION subscriptions_figures_record_subscriptions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert}
    ELSIF TG_OP = 'DELETE' THEN
        {delete}
    ELSE
        {update}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _record_clients_of(*tables):
    rows = " UNION ALL ".join(
        f"SELECT COALESCE(client_reseller_id, client_partner_id) AS payer, client_id"
        f" FROM {table}"
        for table in tables
    )
    return (
        f"INSERT INTO {CHANGE} (organization_id, client_id, balance)"
        f" SELECT DISTINCT payer, client_id, FALSE FROM ({rows}) written"
        " WHERE payer IS NOT NULL;"
    )


_RECORD_POOL = f"""
CREATE OR REPLACE FUNCTION subscriptions_figures_record_pool() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (organization_id, balance) VALUES (OLD.organization_id, TRUE);
    ELSE
        INSERT INTO {CHANGE} (organization_id, balance) VALUES (NEW.organization_id, TRUE);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

_RECORD_WINDOW = f"""
CREATE OR REPLACE FUNCTION subscriptions_figures_record_window() RETURNS trigger AS $$
BEGIN
    INSERT INTO {CHANGE} (organization_id, balance)
        SELECT DISTINCT COALESCE(client_reseller_id, client_partner_id), FALSE
          FROM subscriptions_subscription WHERE client_partner_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

POSTGRESQL = [
    _RECORD_SUBSCRIPTIONS.format(
        insert=_record_clients_of("new_rows"),
        delete=_record_clients_of("old_rows"),
        update=_record_clients_of("new_rows", "old_rows"),
    ),
    _RECORD_POOL,
    _RECORD_WINDOW,
    "CREATE INDEX subscription_payer_slot ON subscriptions_subscription"
    f" (COALESCE(client_reseller_id, client_partner_id), MOD(client_id, {SLOTS}))",
    # The planner's statistics of the index's expressions: without them it guesses a few
    # hundred rows for an organization of 25 000 and picks a nested loop (twice as slow).
    "ANALYZE subscriptions_subscription",
    # Without a state the kept rows are of no day: the next read rebuilds them.
    "DELETE FROM subscriptions_figuresstate",
]


def _kept_figures():
    return importlib.import_module("subscriptions.migrations.0007_kept_figures")


def _run(schema_editor, statements):
    # 0007's: on PostgreSQL only.
    _kept_figures()._run(schema_editor, statements)


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRESQL)


def backwards(apps, schema_editor):
    # 0007's functions again (its CREATE FUNCTION, as a replacement).
    previous = [
        statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
        for statement in _kept_figures().POSTGRESQL
        if "CREATE FUNCTION" in statement
    ]
    _run(schema_editor, [
        "DROP INDEX IF EXISTS subscription_payer_slot",
        "DELETE FROM subscriptions_figureschange",
        "DELETE FROM subscriptions_figuresstate",
        *previous,
    ])


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0008_kept_figures_dry_month"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresBuckets",
            fields=[
                ("organization_id", models.IntegerField(primary_key=True, serialize=False)),
                ("buckets", models.SmallIntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="figurerow",
            name="bucket",
            field=models.SmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="figureschange",
            name="balance",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="figureschange",
            name="client_id",
            field=models.IntegerField(null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
