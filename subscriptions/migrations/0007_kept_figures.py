"""The dashboard's figures and the forecast kept per client group (selectors/figures_kept.py),
and the PostgreSQL triggers that record, in the same transaction as the write, the paying
organization of every subscription, pool balance and partner window written, by any path
(the services, the admin, a command, plain SQL). SQLite computes the figures on the spot
and has no such triggers.

Statement-level triggers on subscriptions (transition tables): a bulk renewal of 500
subscriptions of one reseller records that reseller once, not 500 times.
"""

from django.db import migrations, models

CHANGE = "subscriptions_figureschange"


def _record_payers_of(*tables):
    """The paying organizations (rule 2) of the rows in these transition tables, once each."""
    rows = " UNION ALL ".join(
        f"SELECT COALESCE(client_reseller_id, client_partner_id) AS payer FROM {table}"
        for table in tables
    )
    return (
        f"INSERT INTO {CHANGE} (organization_id)"
        f" SELECT DISTINCT payer FROM ({rows}) written WHERE payer IS NOT NULL;"
    )


# The paying organizations of the subscriptions a statement wrote: before and after.
_RECORD_SUBSCRIPTIONS = f"""
CREATE FUNCTION subscriptions_figures_record_subscriptions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_record_payers_of("new_rows")}
    ELSIF TG_OP = 'DELETE' THEN
        {_record_payers_of("old_rows")}
    ELSE
        {_record_payers_of("new_rows", "old_rows")}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

_RECORD_POOL = f"""
CREATE FUNCTION subscriptions_figures_record_pool() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (organization_id) VALUES (OLD.organization_id);
    ELSE
        INSERT INTO {CHANGE} (organization_id) VALUES (NEW.organization_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

# A partner's window (rule 16) classifies the subscriptions of its clients: it pays for
# its own and its resellers for theirs.
_RECORD_WINDOW = f"""
CREATE FUNCTION subscriptions_figures_record_window() RETURNS trigger AS $$
BEGIN
    INSERT INTO {CHANGE} (organization_id)
        SELECT DISTINCT COALESCE(client_reseller_id, client_partner_id)
          FROM subscriptions_subscription WHERE client_partner_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

POSTGRESQL = [
    _RECORD_SUBSCRIPTIONS,
    *(
        f"""
CREATE TRIGGER subscriptions_figures_{event.lower()}
    AFTER {event} ON subscriptions_subscription
    REFERENCING {transition}
    FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_figures_record_subscriptions()
"""
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ),
    _RECORD_POOL,
    """
CREATE TRIGGER subscriptions_figures_pool_balance
    AFTER UPDATE OF balance ON subscriptions_licensepool
    FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION subscriptions_figures_record_pool()
""",
    """
CREATE TRIGGER subscriptions_figures_pool
    AFTER INSERT OR DELETE ON subscriptions_licensepool
    FOR EACH ROW EXECUTE FUNCTION subscriptions_figures_record_pool()
""",
    _RECORD_WINDOW,
    """
CREATE TRIGGER subscriptions_figures_window
    AFTER UPDATE OF renewal_window_months ON accounts_organization
    FOR EACH ROW
    WHEN (OLD.renewal_window_months IS DISTINCT FROM NEW.renewal_window_months)
    EXECUTE FUNCTION subscriptions_figures_record_window()
""",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS subscriptions_figures_insert ON subscriptions_subscription",
    "DROP TRIGGER IF EXISTS subscriptions_figures_update ON subscriptions_subscription",
    "DROP TRIGGER IF EXISTS subscriptions_figures_delete ON subscriptions_subscription",
    "DROP FUNCTION IF EXISTS subscriptions_figures_record_subscriptions()",
    "DROP TRIGGER IF EXISTS subscriptions_figures_pool_balance ON subscriptions_licensepool",
    "DROP TRIGGER IF EXISTS subscriptions_figures_pool ON subscriptions_licensepool",
    "DROP FUNCTION IF EXISTS subscriptions_figures_record_pool()",
    "DROP TRIGGER IF EXISTS subscriptions_figures_window ON accounts_organization",
    "DROP FUNCTION IF EXISTS subscriptions_figures_record_window()",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, POSTGRESQL)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organization_reminder_days"),
        ("subscriptions", "0006_previous_end_index"),
    ]

    operations = [
        migrations.CreateModel(
            name='FiguresChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('organization_id', models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='FiguresState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateField()),
                ('window_months', models.PositiveSmallIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='FigureRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('part', models.CharField(max_length=10)),
                ('partner_id', models.IntegerField(null=True)),
                ('reseller_id', models.IntegerField(null=True)),
                ('product_id', models.IntegerField(null=True)),
                ('status', models.CharField(max_length=12, null=True)),
                ('month', models.DateField(null=True)),
                ('subscriptions', models.BigIntegerField(default=0)),
                ('companies', models.BigIntegerField(default=0)),
                ('licenses', models.BigIntegerField(default=0)),
                ('companies_12', models.BigIntegerField(default=0)),
                ('licenses_12', models.BigIntegerField(default=0)),
                ('runs_dry', models.DateField(null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['partner_id'], name='figurerow_partner'), models.Index(fields=['reseller_id'], name='figurerow_reseller')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
