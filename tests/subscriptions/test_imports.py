"""import_clients and /clients/import/: all or nothing, line by line reports, debits."""

import datetime
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from subscriptions import services
from subscriptions.models import Client, LicenseMovement, LicensePool, Subscription, Term

HEADER = "client;reseller;product;users;start_date;end_date\n"


@pytest.fixture(autouse=True)
def english():
    """Reports are asserted in English; the French test overrides it."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def csv_file(tmp_path):
    def _write(body, header=HEADER, encoding="utf-8"):
        path = tmp_path / "clients.csv"
        path.write_bytes((header + body).encode(encoding))
        return str(path)

    return _write


def _balance(organization, product):
    return LicensePool.objects.get(organization=organization, product=product).balance


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

    assert _balance(alpha, tbox) == 90
    assert _balance(alpha_reseller, tsend) == 94
    assert _balance(alpha, tsend) == 0
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

    assert _balance(alpha, tbox) == 5


def test_a_dry_run_reports_the_cost_and_writes_nothing(csv_file, alpha, tbox, grant, capsys):
    grant(alpha, tbox, 100)
    path = csv_file("Acme;;TBOX;10;2025-01-01;2026-12-31\n")

    call_command("import_clients", path, "--partner", "Alpha Distribution", "--dry-run")

    assert "debit 20" in capsys.readouterr().out
    assert not Client.objects.exists()
    assert _balance(alpha, tbox) == 100


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
    assert _balance(alpha, tbox) == 1000


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
    assert _balance(alpha, tbox) == 10


def test_no_debit_changes_no_balance_and_leaves_an_explicit_ledger_note(
    csv_file, alpha, tbox, grant
):
    grant(alpha, tbox, 5)
    path = csv_file("Acme;;TBOX;10;2020-01-01;2026-12-31\n")

    call_command("import_clients", path, "--partner", "Alpha Distribution", "--no-debit")

    assert _balance(alpha, tbox) == 5
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


# --- the portal: /clients/import/ ---------------------------------------------------------


def _upload(client, body, header=HEADER, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile("clients.csv", (header + body).encode(), "text/csv")}
    data.update(extra)
    return client.post("/clients/import/", data, HTTP_ACCEPT_LANGUAGE="en")


def _confirm_token(response):
    import re

    match = re.search(rb'name="token" value="([^"]+)"', response.content)
    return match.group(1).decode() if match else None


def test_the_client_list_links_to_the_import_for_managers_only(client, partner_user, viewer_user):
    client.force_login(partner_user)
    assert b'data-testid="client-import-link"' in client.get("/clients/").content
    client.force_login(viewer_user)
    assert b'data-testid="client-import-link"' not in client.get("/clients/").content


def test_a_read_only_user_gets_403(client, viewer_user):
    client.force_login(viewer_user)

    assert client.get("/clients/import/").status_code == 403
    assert _upload(client, "Acme;;TBOX;1;2025-01-01;2025-12-31\n").status_code == 403


def test_the_preview_shows_rows_and_cost_per_pool_and_writes_nothing(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 100)
    client.force_login(partner_user)

    response = _upload(
        client, "Acme;;TBOX;10;2025-01-01;2025-12-31\nBolt;;TBOX;5;2025-01-01;2026-12-31\n"
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="import-preview" data-ok="1" data-rows="2"' in content
    assert 'data-product="TBOX" data-debit="20"' in content
    assert 'data-import-line="2"' in content and 'data-import-line="3"' in content
    assert _confirm_token(response)
    assert 'portal/js/import.js' in content and "data-import-progress" in content
    assert not Client.objects.exists()


def test_confirming_imports_once_and_redirects_with_a_message(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 100)
    client.force_login(partner_user)
    token = _confirm_token(_upload(client, "Acme;;TBOX;10;2025-01-01;2025-12-31\n"))

    response = client.post("/clients/import/", {"step": "confirm", "token": token}, follow=True)
    again = client.post("/clients/import/", {"step": "confirm", "token": token}, follow=True)

    assert response.redirect_chain[-1][0] == "/clients/"
    assert b'role="status"' in response.content
    assert again.redirect_chain[-1][0] == "/clients/"
    assert Subscription.objects.count() == 1
    assert _balance(alpha, tbox) == 90


def test_a_bad_file_is_refused_line_by_line_with_no_confirm_button(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 5)
    client.force_login(partner_user)

    response = _upload(
        client,
        "Acme;;TBOX;10;2025-01-01;2025-12-31\nBolt;;NOPE;1;2025-01-01;2025-12-31\n",
    )

    content = response.content.decode()
    assert 'data-ok="0"' in content
    assert "line 3:" in content
    assert "5 licenses are missing in the pool of Alpha Distribution" in content
    assert 'data-testid="import-confirm"' not in content
    assert not Client.objects.exists()


def test_a_confirm_without_a_previewed_token_changes_nothing(
    client, partner_user, alpha, tbox, grant
):
    from subscriptions.tokens import issue_token

    client.force_login(partner_user)

    response = client.post(
        "/clients/import/", {"step": "confirm", "token": issue_token(partner_user)}
    )

    assert response.status_code == 302
    assert response["Location"] == "/clients/import/"
    assert not Client.objects.exists()


def test_a_reseller_imports_its_own_clients_only(
    client, reseller_user, alpha, alpha_reseller, beta, tbox, grant
):
    grant(alpha_reseller, tbox, 10)
    Organization = type(alpha)
    Organization.objects.create(kind="reseller", name="Other Revente", parent=alpha)
    client.force_login(reseller_user)

    refused = _upload(client, "Bolt;Other Revente;TBOX;1;2025-01-01;2025-12-31\n")
    assert "line 2:" in refused.content.decode()

    token = _confirm_token(_upload(client, "Acme;;TBOX;2;2025-01-01;2025-12-31\n"))
    client.post("/clients/import/", {"step": "confirm", "token": token})

    assert Client.objects.get(name="Acme").reseller == alpha_reseller
    assert _balance(alpha_reseller, tbox) == 8


def test_staff_choose_the_partner(client, staff, beta, tbox, grant):
    grant(beta, tbox, 10)
    client.force_login(staff)

    token = _confirm_token(
        _upload(client, "Acme;;TBOX;2;2025-01-01;2025-12-31\n", partner=str(beta.pk))
    )
    client.post("/clients/import/", {"step": "confirm", "token": token})

    assert Client.objects.get(name="Acme").partner == beta


def test_a_confirm_after_the_pool_was_spent_is_refused_with_the_report(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 10)
    client.force_login(partner_user)
    token = _confirm_token(_upload(client, "Acme;;TBOX;10;2025-01-01;2025-12-31\n"))
    services.create_client(
        actor=partner_user, partner=alpha, name="Meanwhile", product=tbox, users=5, years=1,
        start_date=datetime.date.today() + datetime.timedelta(days=2),
    )

    response = client.post(
        "/clients/import/", {"step": "confirm", "token": token}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "5 licenses are missing in the pool of Alpha Distribution" in response.content.decode()
    assert not Client.objects.filter(name="Acme").exists()
    assert _balance(alpha, tbox) == 5


def test_a_nul_character_is_a_bad_line_not_a_crash(client, partner_user, alpha, tbox, grant):
    grant(alpha, tbox, 10)
    client.force_login(partner_user)

    response = _upload(client, "Ac\x00me;;TBOX;1;2025-01-01;2025-12-31\n")

    assert response.status_code == 200
    assert "line 2:" in response.content.decode()
    assert not Client.objects.exists()
