"""Copies of the client's partner, reseller and name and of the product's name on each
subscription, kept by database triggers.

Listing, counting and classifying the subscriptions of a scope joined every client: for
the scope (`client.partner_id`, `client.reseller_id`), the paying organization (reseller,
else partner) and the default order (client name, product name). At 100 000 clients that
join was most of the dashboard's first visit, and the sort by names made staff's page
2 000 sort every row where an index on the subscription's own columns answers at once.

Triggers, not Python, keep the copies right, on PostgreSQL and on SQLite alike: a
subscription takes them from its client and product whenever it is written (whatever the
ORM sent), and changing a client's partner, reseller or name, or a product's name, by any
path (a form, the admin, a bulk `update()`, plain SQL), updates its subscriptions in the
same transaction. The scope of every subscription query reads these copies, so a test
(tests/subscriptions/test_list_order.py) changes a client every way there is and checks
the copies, the lists and the scope follow. SQLite drops a table's triggers when a
migration rebuilds the table: that test would fail, and the triggers must be made again.
"""

from django.db import migrations, models

FILL = """
UPDATE subscriptions_subscription SET
    client_partner_id = (SELECT partner_id FROM subscriptions_client
                         WHERE subscriptions_client.id = subscriptions_subscription.client_id),
    client_reseller_id = (SELECT reseller_id FROM subscriptions_client
                          WHERE subscriptions_client.id = subscriptions_subscription.client_id),
    client_name = (SELECT name FROM subscriptions_client
                   WHERE subscriptions_client.id = subscriptions_subscription.client_id),
    product_name = (SELECT name FROM subscriptions_product
                    WHERE subscriptions_product.id = subscriptions_subscription.product_id)
"""

# The columns a write must name for the copies to be taken again.
COPIED = "client_id, product_id, client_partner_id, client_reseller_id, client_name, product_name"

# What a change to a client does to its subscriptions, on both databases.
_CLIENT_UPDATE = """\
    UPDATE subscriptions_subscription
       SET client_partner_id = NEW.partner_id,
           client_reseller_id = NEW.reseller_id,
           client_name = NEW.name
     WHERE client_id = NEW.id;
"""

POSTGRESQL = [
    """
CREATE FUNCTION subscriptions_subscription_copy_client() RETURNS trigger AS $$
BEGIN
    SELECT partner_id, reseller_id, name
      INTO NEW.client_partner_id, NEW.client_reseller_id, NEW.client_name
      FROM subscriptions_client WHERE id = NEW.client_id;
    NEW.product_name := (SELECT name FROM subscriptions_product WHERE id = NEW.product_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    f"""
CREATE TRIGGER subscriptions_subscription_copy_client
    BEFORE INSERT OR UPDATE OF {COPIED} ON subscriptions_subscription
    FOR EACH ROW EXECUTE FUNCTION subscriptions_subscription_copy_client()
""",
    f"""
CREATE FUNCTION subscriptions_client_update_copies() RETURNS trigger AS $$
BEGIN
{_CLIENT_UPDATE}    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER subscriptions_client_update_copies
    AFTER UPDATE OF partner_id, reseller_id, name ON subscriptions_client
    FOR EACH ROW WHEN (
        OLD.partner_id IS DISTINCT FROM NEW.partner_id
        OR OLD.reseller_id IS DISTINCT FROM NEW.reseller_id
        OR OLD.name IS DISTINCT FROM NEW.name
    )
    EXECUTE FUNCTION subscriptions_client_update_copies()
""",
    """
CREATE FUNCTION subscriptions_product_update_copies() RETURNS trigger AS $$
BEGIN
    UPDATE subscriptions_subscription SET product_name = NEW.name WHERE product_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER subscriptions_product_update_copies
    AFTER UPDATE OF name ON subscriptions_product
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION subscriptions_product_update_copies()
""",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS subscriptions_subscription_copy_client ON subscriptions_subscription",
    "DROP FUNCTION IF EXISTS subscriptions_subscription_copy_client()",
    "DROP TRIGGER IF EXISTS subscriptions_client_update_copies ON subscriptions_client",
    "DROP FUNCTION IF EXISTS subscriptions_client_update_copies()",
    "DROP TRIGGER IF EXISTS subscriptions_product_update_copies ON subscriptions_product",
    "DROP FUNCTION IF EXISTS subscriptions_product_update_copies()",
]

# SQLite cannot assign NEW in a BEFORE trigger: the row is corrected right after it is
# written, in the same statement. Its recursive triggers are off by default, so these
# UPDATEs fire no trigger of their own table again.
_SQLITE_COPY = """
    UPDATE subscriptions_subscription SET
        client_partner_id = (SELECT partner_id FROM subscriptions_client WHERE id = NEW.client_id),
        client_reseller_id = (SELECT reseller_id FROM subscriptions_client WHERE id = NEW.client_id),
        client_name = (SELECT name FROM subscriptions_client WHERE id = NEW.client_id),
        product_name = (SELECT name FROM subscriptions_product WHERE id = NEW.product_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    f"""
CREATE TRIGGER subscriptions_subscription_copy_client_insert
    AFTER INSERT ON subscriptions_subscription
BEGIN {_SQLITE_COPY} END
""",
    f"""
CREATE TRIGGER subscriptions_subscription_copy_client_update
    AFTER UPDATE OF {COPIED} ON subscriptions_subscription
BEGIN {_SQLITE_COPY} END
""",
    f"""
CREATE TRIGGER subscriptions_client_update_copies
    AFTER UPDATE OF partner_id, reseller_id, name ON subscriptions_client
    WHEN OLD.partner_id IS NOT NEW.partner_id
      OR OLD.reseller_id IS NOT NEW.reseller_id
      OR OLD.name IS NOT NEW.name
BEGIN
{_CLIENT_UPDATE}END
""",
    """
CREATE TRIGGER subscriptions_product_update_copies
    AFTER UPDATE OF name ON subscriptions_product WHEN OLD.name IS NOT NEW.name
BEGIN
    UPDATE subscriptions_subscription SET product_name = NEW.name WHERE product_id = NEW.id;
END
""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS subscriptions_subscription_copy_client_insert",
    "DROP TRIGGER IF EXISTS subscriptions_subscription_copy_client_update",
    "DROP TRIGGER IF EXISTS subscriptions_client_update_copies",
    "DROP TRIGGER IF EXISTS subscriptions_product_update_copies",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRESQL)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE)
    else:
        raise NotImplementedError(f"no copy triggers for {vendor}")
    schema_editor.execute(FILL, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP)


def _copy_of_organization():
    return models.ForeignKey(
        db_index=False,
        editable=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        to="accounts.organization",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("subscriptions", "0004_undo_and_not_renewing"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription", name="client_partner", field=_copy_of_organization()
        ),
        migrations.AddField(
            model_name="subscription", name="client_reseller", field=_copy_of_organization()
        ),
        migrations.AddField(
            model_name="subscription",
            name="client_name",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="subscription",
            name="product_name",
            field=models.CharField(default="", editable=False, max_length=100),
        ),
        # Before the FILL: PostgreSQL refuses an index on a table with pending deferred
        # (foreign-key) trigger events in the same transaction.
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                fields=["client_name", "product_name", "id"], name="subscription_list_order"
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                fields=["client_partner", "client_name", "product_name", "id"],
                name="subscription_partner_order",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                fields=["client_reseller", "client_name", "product_name", "id"],
                name="subscription_reseller_order",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
