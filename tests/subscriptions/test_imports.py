"""import_clients and the import service: all or nothing, line by line reports, debits
(the /clients/import/ screen is tested in views/test_imports.py)."""

import datetime
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import translation

from subscriptions import services
from subscriptions.models import Client, LicenseMovement, LicensePool, Subscription, Term
from tests.helpers.forms import IMPORT_HEADER as HEADER
from tests.helpers.ledger import balance

# Reports are asserted in English; the French test overrides it.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def csv_file(tmp_path):
    def _write(body, header=HEADER, encoding="utf-8"):
        path = tmp_path / "clients.csv"
        path.write_bytes((header + body).encode(encoding))
        return str(path)

    return _write


def _ledger_holds():
    for pool in LicensePool.objects.all():
        total = pool.movements.aggregate(total=Sum("quantity"))["total"] or 0
        assert total == pool.balance >= 0


def test_it_imports_clients_and_debits_users_times_whole_years(
    csv_file, alpha, alpha_reseller, tbox, tsend, grant
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tsend, 100)
    path = csv_file(
        "Acme;;TBOX;10;2025-01-01;2025-12-31\n"  # 1 year: 10
        "Bolt;Alpha Revente;tsend;3;01/06/2025;01/06/2026\n"  # 1 year and 1 day: 2 years, 6
        "Acme;;TSEND;2;2024-03-01;2027-02-28\n"  # 3 years, paid by alpha's TSEND pool
    )
    grant(alpha, tsend, 6)

    call_command("import_clients", path, "--partner", "Alpha Distribution")

    assert balance(alpha, tbox) == 90
    assert balance(alpha_reseller, tsend) == 94
    assert balance(alpha, tsend) == 0
    acme = Client.objects.get(name="Acme")
    assert acme.reseller is None and acme.subscriptions.count() == 2
    bolt = Subscription.objects.get(client__name="Bolt")
    assert (bolt.term_start, bolt.term_end, bolt.users, bolt.years) == (
        datetime.date(2025, 6, 1), datetime.date(2026, 6, 1), 3, 2
    )
    assert Client.objects.get(name="Bolt").reseller == alpha_reseller
    # One ledger line per subscription, linked to it.
    assert LicenseMovement.objects.filter(kind="import", subscription__isnull=False).count() == 3
    _ledger_holds()


def test_it_accepts_commas_a_partner_id_and_a_byte_order_mark(csv_file, alpha, tbox, grant):
    grant(alpha, tbox, 10)
    path = csv_file(
        "Acme,,TBOX,5,2025-01-01,2025-12-31\n",
        header="\ufeffclient,reseller,product,users,start_date,end_date\n",
    )

    call_command("import_clients", path, "--partner", str(alpha.pk))

    assert balance(alpha, tbox) == 5


def test_a_dry_run_reports_the_cost_and_writes_nothing(csv_file, alpha, tbox, grant, capsys):
    grant(alpha, tbox, 100)
    path = csv_file("Acme;;TBOX;10;2025-01-01;2026-12-31\n")

    call_command("import_clients", path, "--partner", "Alpha Distribution", "--dry-run")

    assert "debit 20" in capsys.readouterr().out
    assert not Client.objects.exists()
    assert balance(alpha, tbox) == 100


def test_one_bad_line_rejects_the_file_naming_every_bad_line(
    csv_file, alpha, beta_reseller, tbox, grant, capsys
):
    grant(alpha, tbox, 1000)
    path = csv_file(
        "Good;;TBOX;1;2025-01-01;2025-12-31\n"
        "Bad reseller;Beta Revente;TBOX;1;2025-01-01;2025-12-31\n"
        "Bad product;;NOPE;1;2025-01-01;2025-12-31\n"
        "Bad dates;;TBOX;1;2025-12-31;2025-01-01\n"
        "Bad users;;TBOX;many;2025-01-01;2025-12-31\n"
        "Bad date;;TBOX;1;31-12-2025;2025-12-31\n"
        "Too few;;TBOX;1\n"
        "Good;;TBOX;1;2025-01-01;2025-12-31\n"
    )

    with pytest.raises(CommandError) as refused:
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    assert refused.value.returncode == 1
    report = capsys.readouterr().err
    for line in (3, 4, 5, 6, 7, 8, 9):
        assert f"line {line}:" in report or f"ligne {line}" in report
    assert "line 2:" not in report and "ligne 2 " not in report
    assert not Client.objects.exists()
    assert balance(alpha, tbox) == 1000


def test_it_names_the_lines_in_french_for_french_operators(csv_file, alpha, tbox, capsys):
    from django.utils import translation

    path = csv_file("Acme;;NOPE;1;2025-01-01;2025-12-31\n")

    with translation.override("fr"), pytest.raises(CommandError):
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    report = capsys.readouterr().err
    # The lead's catalogue translates "line %(line)d"; until then the msgid shows.
    assert "ligne 2" in report or "line 2" in report


def test_a_wrong_header_is_line_1(csv_file, alpha, tbox, capsys):
    path = csv_file("Acme;TBOX;1\n", header="name;product;users\n")

    with pytest.raises(CommandError):
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    assert "line 1:" in capsys.readouterr().err


def test_not_enough_licenses_rejects_the_file_with_the_missing_count_per_pool(
    csv_file, alpha, alpha_reseller, tbox, grant, capsys
):
    grant(alpha, tbox, 10)
    grant(alpha_reseller, tbox, 1)
    path = csv_file(
        "Acme;;TBOX;8;2025-01-01;2025-12-31\n"
        "Bolt;;TBOX;8;2025-01-01;2025-12-31\n"
        "Coda;Alpha Revente;TBOX;4;2025-01-01;2025-12-31\n"
    )

    with pytest.raises(CommandError):
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    report = capsys.readouterr().err
    assert "6 licenses are missing in the pool of Alpha Distribution" in report
    assert "3 licenses are missing in the pool of Alpha Revente" in report
    assert not Client.objects.exists()
    assert balance(alpha, tbox) == 10


def test_no_debit_changes_no_balance_and_leaves_an_explicit_ledger_note(
    csv_file, alpha, tbox, grant
):
    grant(alpha, tbox, 5)
    path = csv_file("Acme;;TBOX;10;2020-01-01;2026-12-31\n")

    call_command("import_clients", path, "--partner", "Alpha Distribution", "--no-debit")

    assert balance(alpha, tbox) == 5
    assert Term.objects.get(subscription__client__name="Acme").licenses == 0
    notes = LicenseMovement.objects.filter(kind="import").order_by("pk")
    assert [m.quantity for m in notes] == [70, -70]
    assert all("--no-debit" in m.note for m in notes)
    _ledger_holds()


def test_it_refuses_a_client_that_already_has_the_product(
    csv_file, alpha, tbox, grant, make_subscription, capsys
):
    grant(alpha, tbox, 100)
    make_subscription(alpha, tbox, name="Acme")
    path = csv_file("Acme;;TBOX;1;2025-01-01;2025-12-31\nNew;;TBOX;1;2025-01-01;2025-12-31\n"
                    "New;;TBOX;2;2025-01-01;2025-12-31\n")

    with pytest.raises(CommandError):
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    report = capsys.readouterr().err
    assert "line 2:" in report and "line 4:" in report and "line 3:" not in report


def test_an_unknown_partner_or_file_is_a_clear_error(csv_file, alpha):
    with pytest.raises(CommandError, match="Unknown partner"):
        call_command("import_clients", csv_file(""), "--partner", "Nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_clients", "/nonexistent.csv", "--partner", "Alpha Distribution")


def test_the_service_locks_each_pool_once_and_logs_one_line_per_pool(
    alpha, tbox, grant, caplog
):
    grant(alpha, tbox, 100)
    rows = [
        services.ImportRow(line=n + 2, client=f"C{n}", reseller=None, product=tbox, users=1,
                           start_date=datetime.date(2025, 1, 1),
                           end_date=datetime.date(2025, 12, 31))
        for n in range(3)
    ]

    with caplog.at_level(logging.INFO, logger="portal.operations"):
        result = services.import_subscriptions(partner=alpha, rows=rows)

    assert len(result.subscriptions) == 3
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("import ")]
    assert f"partner={alpha.pk}" in line and "subscriptions=3" in line and "licenses=3" in line


def test_a_repeated_token_imports_once(alpha, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    rows = [services.ImportRow(line=2, client="Acme", reseller=None, product=tbox, users=1,
                               start_date=datetime.date(2025, 1, 1),
                               end_date=datetime.date(2025, 12, 31))]
    services.import_subscriptions(partner=alpha, rows=rows, actor=partner_user, token="t-1")

    with pytest.raises(services.AlreadyDone):
        services.import_subscriptions(partner=alpha, rows=rows, actor=partner_user, token="t-1")

    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "line 2: the start date 31/02/2026 is impossible: there is no such day."),
        ("fr", "la date de début 31/02/2026 est impossible\u00a0: ce jour n’existe pas."),
    ],
)
def test_an_impossible_date_is_called_impossible_not_badly_written(
    csv_file, alpha, tbox, grant, capsys, language, expected
):
    grant(alpha, tbox, 10)
    path = csv_file(
        "Acme;;TBOX;1;31/02/2026;2027-02-28\n"
        "Bolt;;TBOX;1;2026-01-01;2026-13-01\n"
        "Colt;;TBOX;1;31-12-2025;2026-12-31\n"
    )

    with translation.override(language), pytest.raises(CommandError):
        call_command("import_clients", path, "--partner", "Alpha Distribution")

    report = capsys.readouterr().err
    assert expected in report
    # The month 13 is impossible too; a date written another way stays a format error.
    assert "2026-13-01" in report
    assert report.count("impossible") == 2
    assert "31-12-2025" not in report
    assert not Client.objects.exists()
