"""The client import screen (/clients/import/): a preview that writes nothing, one
confirmation that imports once, refusals line by line."""

import datetime

import pytest

from subscriptions import services
from subscriptions.models import Client, Subscription
from tests.helpers.forms import IMPORT_HEADER as HEADER
from tests.helpers.html import by_testid, elements, having, token_of
from tests.helpers.ledger import balance

# Reports are asserted in English, as the other import tests read them.
pytestmark = pytest.mark.usefixtures("english")


def _upload(client, body, header=HEADER, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile("clients.csv", (header + body).encode(), "text/csv")}
    data.update(extra)
    return client.post("/clients/import/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_client_list_links_to_the_import_for_managers_only(client, partner_user, viewer_user):
    client.force_login(partner_user)
    assert by_testid(client.get("/clients/"), "client-import-link")
    client.force_login(viewer_user)
    assert not by_testid(client.get("/clients/"), "client-import-link")


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
    [preview] = by_testid(response, "import-preview")
    assert (preview.attrs["data-ok"], preview.attrs["data-rows"]) == ("1", "2")
    assert elements(
        response,
        lambda tag, attrs: attrs.get("data-product") == "TBOX" and attrs.get("data-debit") == "20",
    )
    assert having(response, "data-import-line", "2") and having(response, "data-import-line", "3")
    assert token_of(response)
    assert 'portal/js/import.js' in content and "data-import-progress" in content
    assert not Client.objects.exists()


def test_confirming_imports_once_and_redirects_with_a_message(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 100)
    client.force_login(partner_user)
    token = token_of(_upload(client, "Acme;;TBOX;10;2025-01-01;2025-12-31\n"))

    response = client.post("/clients/import/", {"step": "confirm", "token": token}, follow=True)
    again = client.post("/clients/import/", {"step": "confirm", "token": token}, follow=True)

    assert response.redirect_chain[-1][0] == "/clients/"
    assert having(response, "role", "status")
    assert again.redirect_chain[-1][0] == "/clients/"
    assert Subscription.objects.count() == 1
    assert balance(alpha, tbox) == 90


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
    assert having(response, "data-ok", "0")
    assert "line 3:" in content
    assert "5 licenses are missing in the pool of Alpha Distribution" in content
    assert not by_testid(response, "import-confirm")
    assert not Client.objects.exists()


def test_a_confirm_without_a_previewed_token_changes_nothing(
    client, partner_user, alpha, tbox, grant
):
    from subscriptions.services.idempotency import issue_token

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

    token = token_of(_upload(client, "Acme;;TBOX;2;2025-01-01;2025-12-31\n"))
    client.post("/clients/import/", {"step": "confirm", "token": token})

    assert Client.objects.get(name="Acme").reseller == alpha_reseller
    assert balance(alpha_reseller, tbox) == 8


def test_staff_choose_the_partner(client, staff, beta, tbox, grant):
    grant(beta, tbox, 10)
    client.force_login(staff)

    token = token_of(
        _upload(client, "Acme;;TBOX;2;2025-01-01;2025-12-31\n", partner=str(beta.pk))
    )
    client.post("/clients/import/", {"step": "confirm", "token": token})

    assert Client.objects.get(name="Acme").partner == beta


def test_a_confirm_after_the_pool_was_spent_is_refused_with_the_report(
    client, partner_user, alpha, tbox, grant
):
    grant(alpha, tbox, 10)
    client.force_login(partner_user)
    token = token_of(_upload(client, "Acme;;TBOX;10;2025-01-01;2025-12-31\n"))
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
    assert balance(alpha, tbox) == 5


def test_a_nul_character_is_a_bad_line_not_a_crash(client, partner_user, alpha, tbox, grant):
    grant(alpha, tbox, 10)
    client.force_login(partner_user)

    response = _upload(client, "Ac\x00me;;TBOX;1;2025-01-01;2025-12-31\n")

    assert response.status_code == 200
    assert "line 2:" in response.content.decode()
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "the end date 30/02/2027 is impossible: there is no such day."),
        ("fr", "la date de fin 30/02/2027 est impossible\u00a0: ce jour n’existe pas."),
    ],
)
def test_an_impossible_date_is_called_impossible_on_the_page(
    client, partner_user, alpha, tbox, grant, language, expected
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    grant(alpha, tbox, 5)
    client.force_login(partner_user)
    body = HEADER + "Acme;;TBOX;1;2026-03-01;30/02/2027\n"

    response = client.post(
        "/clients/import/",
        {"file": SimpleUploadedFile("clients.csv", body.encode(), "text/csv")},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    [errors] = by_testid(response, "import-errors")
    assert expected in response.content.decode()
    assert "AAAA" not in errors.text and "YYYY" not in errors.text
    assert not by_testid(response, "import-confirm")
    assert not Client.objects.exists()
