"""Rules 1 and 10: a pool's balance is the sum of its append-only ledger lines and never
goes below zero, whatever writes to the database."""

import datetime

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum

from subscriptions import services
from subscriptions.models import LicenseMovement, LicensePool, MovementKind
from subscriptions.services import OperationRefused

TODAY = datetime.date(2025, 6, 15)

MOVEMENT_TABLE = LicenseMovement._meta.db_table
POOL_TABLE = LicensePool._meta.db_table


def assert_ledger_consistent():
    """Every pool: balance = sum of movements, and each line's balance_after is the
    running sum up to it (lines taken in the order they were written)."""
    pools = list(LicensePool.objects.all())
    assert pools
    for pool in pools:
        running = 0
        for quantity, balance_after in (
            LicenseMovement.objects.filter(pool=pool).order_by("pk").values_list(
                "quantity", "balance_after"
            )
        ):
            running += quantity
            assert balance_after == running, pool
            assert balance_after >= 0
        assert pool.balance == running, pool
        assert pool.balance >= 0


@pytest.fixture
def busy_ledger(alpha, alpha_reseller, beta, tbox, tsend, grant, staff, partner_user,
                reseller_user, make_subscription):
    """A realistic day: grants, allocations both ways, creations, renewals, refusals."""
    services.grant_licenses(partner=alpha, product=tbox, quantity=500, actor=staff)
    services.grant_licenses(partner=alpha, product=tsend, quantity=80, actor=staff)
    services.grant_licenses(partner=beta, product=tbox, quantity=40, actor=staff)
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=120,
        direction=services.GIVE, actor=partner_user,
    )
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=20,
        direction=services.TAKE, actor=partner_user,
    )
    services.create_client(
        actor=partner_user, partner=alpha, name="Direct", product=tbox, users=10, years=3,
        start_date=TODAY, today=TODAY,
    )
    services.create_client(
        actor=reseller_user, partner=alpha, reseller=alpha_reseller, name="Resold",
        product=tbox, users=6, years=2, start_date=TODAY, today=TODAY,
    )
    services.create_client(
        actor=partner_user, partner=alpha, name="Sender", product=tsend, users=5, years=1,
        start_date=TODAY, today=TODAY,
    )
    for users, reseller in ((4, None), (7, alpha_reseller), (3, None)):
        sub = make_subscription(
            alpha, tbox, start=datetime.date(2024, 8, 1), users=users, reseller=reseller
        )
        services.renew_subscription(
            actor=partner_user, subscription_id=sub.pk, years=2, today=TODAY
        )
    big = make_subscription(beta, tbox, start=datetime.date(2024, 8, 1), users=50)
    with pytest.raises(OperationRefused):
        services.renew_subscription(
            actor=staff, subscription_id=big.pk, years=1, today=TODAY
        )
    services.grant_licenses(partner=alpha, product=tsend, quantity=1, actor=staff)


def test_it_keeps_every_balance_equal_to_the_sum_of_its_movements(
    busy_ledger, alpha, alpha_reseller, beta, tbox, tsend
):
    assert_ledger_consistent()
    balances = {
        (pool.organization_id, pool.product_id): pool.balance
        for pool in LicensePool.objects.all()
    }
    assert balances == {
        (alpha.pk, tbox.pk): 500 - 120 + 20 - 30 - 2 * (4 + 3),
        (alpha_reseller.pk, tbox.pk): 120 - 20 - 12 - 2 * 7,
        (alpha.pk, tsend.pk): 80 - 5 + 1,
        (beta.pk, tbox.pk): 40,
    }
    assert LicenseMovement.objects.aggregate(total=Sum("quantity"))["total"] == sum(
        balances.values()
    )


def test_it_writes_one_line_per_balance_change_of_the_right_kind(busy_ledger):
    kinds = list(LicenseMovement.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds.count(MovementKind.GRANT) == 4
    assert kinds.count(MovementKind.ALLOCATION) == 4
    assert kinds.count(MovementKind.CREATION) == 3
    assert kinds.count(MovementKind.RENEWAL) == 3
    assert len(kinds) == 14


def test_it_balances_the_two_lines_of_each_allocation(busy_ledger):
    allocations = LicenseMovement.objects.filter(kind=MovementKind.ALLOCATION)
    assert allocations.aggregate(total=Sum("quantity"))["total"] == 0
    for line in allocations:
        twin = allocations.get(
            pool=line.counterpart, counterpart=line.pool, quantity=-line.quantity
        )
        assert twin.pk != line.pk


def test_it_refuses_to_change_a_saved_ledger_line(busy_ledger):
    line = LicenseMovement.objects.order_by("pk").first()
    line.quantity = 1_000_000
    with pytest.raises(ValueError, match="append-only"):
        line.save()
    line.refresh_from_db()
    assert line.quantity != 1_000_000
    assert_ledger_consistent()


def test_it_refuses_to_delete_a_ledger_line(busy_ledger):
    line = LicenseMovement.objects.order_by("pk").first()
    count = LicenseMovement.objects.count()
    with pytest.raises(ValueError, match="append-only"):
        line.delete()
    assert LicenseMovement.objects.count() == count


def test_it_refuses_a_negative_balance_in_the_database_itself(busy_ledger, alpha, tbox):
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {POOL_TABLE} SET balance = -1 WHERE id = %s", [pool.pk])
    pool.refresh_from_db()
    assert pool.balance > 0
    with pytest.raises(IntegrityError), transaction.atomic():
        LicensePool.objects.filter(pk=pool.pk).update(balance=-5)
    assert_ledger_consistent()


def test_it_refuses_a_ledger_line_leaving_a_negative_balance_or_moving_nothing(busy_ledger):
    pool = LicensePool.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenseMovement.objects.create(
            pool=pool, quantity=-1, balance_after=-1, kind=MovementKind.GRANT
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenseMovement.objects.create(
            pool=pool, quantity=0, balance_after=pool.balance, kind=MovementKind.GRANT
        )


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {MOVEMENT_TABLE} SET quantity = quantity + 1",
        f"UPDATE {MOVEMENT_TABLE} SET note = 'edited'",
        f"DELETE FROM {MOVEMENT_TABLE}",
    ],
)
@pytest.mark.usefixtures("busy_ledger")
@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)
def test_it_refuses_raw_sql_that_updates_or_deletes_ledger_lines(statement):
    lines = list(LicenseMovement.objects.order_by("pk").values_list("pk", "quantity", "note"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert list(LicenseMovement.objects.order_by("pk").values_list("pk", "quantity", "note")) == (
        lines
    )


@pytest.mark.usefixtures("busy_ledger")
@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)
def test_it_refuses_queryset_updates_and_deletes_that_skip_the_model():
    count = LicenseMovement.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LicenseMovement.objects.all().update(note="bulk edit")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LicenseMovement.objects.all().delete()
    assert LicenseMovement.objects.count() == count
    assert not LicenseMovement.objects.filter(note="bulk edit").exists()
