"""grant_licenses, check_ledger and renewals_due, as ops run them (seed_demo has its own
file). A CommandError is what `manage.py` turns into a message and a non-zero exit."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from subscriptions import services
from subscriptions.demo import start_for_end
from subscriptions.models import LicenseMovement, LicensePool, MovementKind
from subscriptions.status import Status
from tests.helpers.ledger import balance


def run(*args, **options):
    """The refusals come from the services, in the active language (French unless told):
    these tests read them in English, whatever an earlier test left active."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


# --- grant_licenses ---------------------------------------------------------------------


def test_it_grants_licenses_to_a_partner_named_by_its_name(alpha, tbox):
    out, _err = run("grant_licenses", "Alpha Distribution", "TBOX", "500", note="Q3 order")

    assert balance(alpha, tbox) == 500
    movement = LicenseMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.note) == (
        MovementKind.GRANT, 500, "Q3 order",
    )
    assert "500" in out and "Alpha Distribution" in out


def test_it_grants_licenses_to_a_partner_named_by_its_id_and_a_lowercase_code(alpha, tbox):
    run("grant_licenses", str(alpha.pk), "tbox", "20")
    run("grant_licenses", str(alpha.pk), "TBOX", "5")

    assert balance(alpha, tbox) == 25
    assert list(LicenseMovement.objects.order_by("pk").values_list("balance_after", flat=True)) == [
        20,
        25,
    ]


@pytest.mark.parametrize(
    ("partner", "product", "quantity", "message"),
    [
        ("Nobody SARL", "TBOX", "10", "Unknown partner"),
        ("999999", "TBOX", "10", "Unknown partner"),
        ("Alpha Revente", "TBOX", "10", "not a partner"),
        ("Alpha Distribution", "NOPE", "10", "Unknown product"),
        ("Alpha Distribution", "TBOX", "0", "1 to"),
        ("Alpha Distribution", "TBOX", "-3", "1 to"),
        ("Alpha Distribution", "TBOX", "lots", "whole number"),
        ("Alpha Distribution", "TBOX", "99999999999", "1 to"),
    ],
)
def test_it_refuses_a_bad_grant_with_a_clear_error_and_writes_nothing(
    alpha, alpha_reseller, tbox, partner, product, quantity, message
):
    with pytest.raises(CommandError, match=message) as refused:
        run("grant_licenses", partner, product, quantity)

    assert refused.value.returncode == 1
    assert not LicenseMovement.objects.exists()
    assert not LicensePool.objects.filter(balance__gt=0).exists()


def test_it_requires_every_argument_of_a_grant(alpha, tbox):
    with pytest.raises(CommandError):
        run("grant_licenses", "Alpha Distribution", "TBOX")


# --- check_ledger -----------------------------------------------------------------------


@pytest.fixture
def busy_ledger(alpha, alpha_reseller, beta, tbox, tsend, grant, partner_user, today):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 40)
    grant(beta, tsend, 30)
    services.create_client(
        actor=partner_user, partner=alpha, name="Boulangerie Martin", product=tbox, users=3,
        years=2, start_date=today,
    )
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=10,
        direction=services.TAKE, actor=partner_user,
    )


def test_it_finds_a_consistent_ledger_consistent(busy_ledger):
    out, err = run("check_ledger")

    assert "3 pools" in out
    assert "8 movements" in out
    assert err == ""


def test_it_finds_an_empty_ledger_consistent(db):
    out, _err = run("check_ledger")

    assert "0 pools" in out


def test_it_checks_every_pool_with_one_query(busy_ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        run("check_ledger")


def _corrupt_balance(pool, new_balance):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LicensePool._meta.db_table} SET balance = %s WHERE id = %s",
            [new_balance, pool.pk],
        )


def test_it_exits_1_naming_a_pool_whose_balance_was_changed_behind_the_ledger(
    busy_ledger, alpha, tbox
):
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    _corrupt_balance(pool, pool.balance + 7)

    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 pools") as failed:
        call_command("check_ledger", stdout=io.StringIO(), stderr=err)

    assert failed.value.returncode == 1
    assert f"pool {pool.pk} (Alpha Distribution — TBOX)" in err.getvalue()
    assert "sums to" in err.getvalue()


def test_it_names_each_bad_pool(busy_ledger, alpha, alpha_reseller, beta, tbox, tsend):
    bad = [
        LicensePool.objects.get(organization=alpha_reseller, product=tbox),
        LicensePool.objects.get(organization=beta, product=tsend),
    ]
    for pool in bad:
        _corrupt_balance(pool, 0)

    err = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 pools"):
        call_command("check_ledger", stdout=io.StringIO(), stderr=err)

    for pool in bad:
        assert f"pool {pool.pk} " in err.getvalue()
    good = LicensePool.objects.get(organization=alpha, product=tbox)
    assert f"pool {good.pk} " not in err.getvalue()


def test_it_exits_1_when_a_line_records_a_wrong_balance_after(alpha, tbox, grant):
    grant(alpha, tbox, 10)
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    # A line appended by hand whose running balance is wrong, the pool matching its sum:
    # only the chain of balance_after tells.
    LicenseMovement.objects.create(pool=pool, quantity=5, balance_after=99, kind=MovementKind.GRANT)
    _corrupt_balance(pool, 15)

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=io.StringIO(), stderr=err)

    assert "1 ledger line(s) with a wrong balance after" in err.getvalue()


# --- renewals_due -----------------------------------------------------------------------


@pytest.fixture
def channel(alpha, alpha_reseller, beta, tbox, tsend, make_subscription, today):
    def ending(days, partner=alpha, product=tbox, **kwargs):
        end = today + datetime.timedelta(days=days)
        return make_subscription(partner, product, start=start_for_end(end, 1), end=end, **kwargs)

    return {
        "expiring": ending(20, users=4, name="Boulangerie Martin"),
        "expired": ending(
            -3, product=tsend, users=2, name="Cabinet Durand", reseller=alpha_reseller
        ),
        "active": ending(120, name="Garage Petit"),
        "not_started": make_subscription(
            alpha, tbox, start=today + datetime.timedelta(days=5), name="Crèche"
        ),
        "renewed": ending(10, renewal_years=1, name="Ambulances Michel"),
        "beta": ending(5, partner=beta, name="Scierie Perrin"),
    }


def test_it_lists_every_subscription_to_renew_as_json(channel, today):
    out, _err = run("renewals_due", "--format", "json")

    rows = json.loads(out)
    assert [row["id"] for row in rows] == [
        channel["expired"].pk,
        channel["beta"].pk,
        channel["expiring"].pk,
    ]
    first = rows[0]
    assert first["client"] == "Cabinet Durand"
    assert first["product"] == "TSEND"
    assert first["users"] == 2
    assert first["end_date"] == (today - datetime.timedelta(days=3)).isoformat()
    assert first["status"] == Status.EXPIRED
    assert first["reseller"] == "Alpha Revente"
    assert {row["status"] for row in rows[1:]} == {Status.EXPIRING}


def test_it_lists_a_partners_clients_and_its_resellers_only(channel, alpha):
    for partner in ("Alpha Distribution", str(alpha.pk)):
        rows = json.loads(run("renewals_due", "--partner", partner, "--format", "json")[0])
        assert {row["id"] for row in rows} == {channel["expiring"].pk, channel["expired"].pk}


def test_it_widens_the_window_on_request(channel):
    rows = json.loads(run("renewals_due", "--within-months", "6", "--format", "json")[0])

    by_id = {row["id"]: row["status"] for row in rows}
    assert by_id[channel["active"].pk] == Status.EXPIRING
    assert by_id[channel["expired"].pk] == Status.EXPIRED
    assert channel["renewed"].pk not in by_id
    assert channel["not_started"].pk not in by_id


def test_it_narrows_the_window_even_below_a_partners_own(channel, alpha):
    alpha.renewal_window_months = 6
    alpha.save()

    rows = json.loads(run("renewals_due", "--within-months", "1", "--format", "json")[0])

    assert {row["id"] for row in rows} == {
        channel["expiring"].pk,
        channel["expired"].pk,
        channel["beta"].pk,
    }


def test_it_writes_csv_with_a_header(channel):
    out, _err = run("renewals_due", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3
    assert {"id", "client", "product", "users", "end_date", "status"} <= set(rows[0])
    assert rows[0]["client"] == "Cabinet Durand"


def test_it_prints_a_table_by_default(channel):
    out, _err = run("renewals_due")

    assert "Boulangerie Martin" in out
    assert "Garage Petit" not in out
    assert "3 subscriptions to renew, 3 companies." in out


def test_it_prints_an_empty_json_array_when_nothing_is_due(db):
    assert json.loads(run("renewals_due", "--format", "json")[0]) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--partner", "Nobody"], "Unknown partner"),
        (["--partner", "Alpha Revente"], "not a partner"),
        (["--within-months", "0"], "--within-months"),
        (["--within-months", "many"], "invalid int"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_it_refuses_bad_options_with_a_clear_error(channel, args, message):
    with pytest.raises(CommandError, match=message):
        run("renewals_due", *args)


def test_refresh_figures_checks_the_kept_figures_where_they_are_kept(
    alpha, tbox, make_subscription, today
):
    make_subscription(alpha, tbox, start=today - datetime.timedelta(days=300))
    out = io.StringIO()
    call_command("refresh_figures", "--check", stdout=out)
    if connection.vendor == "postgresql":
        assert "match" in out.getvalue()
    else:
        assert "PostgreSQL only" in out.getvalue()
