"""Rule 24: audit rows are never changed nor deleted, by the model, its queryset or raw
SQL; on PostgreSQL a row older than the retention period may be deleted, no younger one."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import Action, AuditEntry
from audit.services import record

pytestmark = pytest.mark.django_db
TABLE = AuditEntry._meta.db_table


@pytest.fixture
def row(partner_user):
    return record(Action.SETTINGS_CHANGED, actor=partner_user, before={"a": 1}, after={"a": 2})


def test_it_refuses_to_save_a_row_again(row):
    row.after = {"a": 3}
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    row.refresh_from_db()
    assert row.after == {"a": 2}


def test_it_refuses_to_delete_a_row_or_to_update_and_delete_through_the_queryset(row):
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditEntry.objects.filter(pk=row.pk).update(action="login")
    with pytest.raises(ValueError, match="append-only"):
        AuditEntry.objects.filter(pk=row.pk).delete()
    assert AuditEntry.objects.get(pk=row.pk).action == Action.SETTINGS_CHANGED


def test_the_database_refuses_a_raw_update(row):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET action = 'login'")
    assert AuditEntry.objects.get(pk=row.pk).action == Action.SETTINGS_CHANGED


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the DELETE trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_a_raw_delete_of_a_row_younger_than_two_years(row):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")
    assert AuditEntry.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the DELETE trigger exists on PostgreSQL only"
)
def test_postgresql_lets_a_row_older_than_two_years_be_deleted(row):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (created_at, action, actor_name, source, user_agent, "
            "organization_name, object_type, object_id, object_label) "
            "VALUES (now() - interval '2 years 1 day', 'login', 'old', 'web', '', '', '', '', '')"
        )
        cursor.execute(f"DELETE FROM {TABLE} WHERE actor_name = 'old'")
        assert cursor.rowcount == 1
    assert AuditEntry.objects.filter(pk=row.pk).exists()
