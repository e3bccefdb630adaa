"""The client record and the new client form."""

import datetime

import pytest

from subscriptions.models import Client, Subscription
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.forms import new_client_data
from tests.helpers.html import by_testid, elements, field_has_error, rows, text_of
from tests.helpers.ledger import balance, ledger_size

# --- the client record ---------------------------------------------------------------------


def test_the_client_record_shows_subscriptions_terms_and_ledger_lines(
    browse, portfolio, partner_user, tbox
):
    client = browse(partner_user)
    target = portfolio.expiring
    renewed = client.post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 1, "users": 4, "token": issue_token(partner_user)},
    )
    assert renewed.status_code == 302
    response = client.get(f"/clients/{target.client_id}/")
    assert response.status_code == 200
    [row] = rows(response)
    assert row.attrs["data-status"] == Status.RENEWED
    terms = elements(response, lambda tag, attrs: "data-term-id" in attrs)
    assert len(terms) == 2
    assert any("by partner" in term.text for term in terms)
    movements = elements(response, lambda tag, attrs: "data-movement-id" in attrs)
    assert [m.attrs["data-quantity"] for m in movements] == ["-4"]


def test_the_client_record_offers_renew_only_where_renewable(browse, portfolio, partner_user):
    client = browse(partner_user)
    assert by_testid(client.get(f"/clients/{portfolio.expired.client_id}/"), "renew")
    assert not by_testid(client.get(f"/clients/{portfolio.renewed.client_id}/"), "renew")
    assert not by_testid(client.get(f"/clients/{portfolio.not_started.client_id}/"), "renew")


# --- client creation ----------------------------------------------------------------------


def test_a_partner_creates_a_client_paid_by_its_pool(
    browse, portfolio, partner_user, alpha, tbox, today
):
    response = browse(partner_user).post(
        "/clients/new/", new_client_data(partner_user, start_date=today.isoformat())
    )
    assert response.status_code == 302
    client = Client.objects.get(name="Nouvelle Société")
    assert response["Location"] == f"/clients/{client.pk}/"
    assert (client.partner, client.reseller) == (alpha, None)
    assert balance(alpha, tbox) == 94
    page = browse(partner_user).get(response["Location"])
    assert page.status_code == 200


def test_the_confirmation_of_a_new_client_is_shown(browse, portfolio, partner_user, today):
    client = browse(partner_user)
    response = client.post(
        "/clients/new/", new_client_data(partner_user, start_date=today.isoformat()), follow=True
    )
    [message] = elements(response, lambda tag, attrs: attrs.get("role") == "status")
    assert "Nouvelle Société" in message.text and "6 licenses" in message.text


def test_a_partner_creates_a_client_for_one_of_its_resellers(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox, today
):
    response = browse(partner_user).post(
        "/clients/new/",
        new_client_data(
            partner_user, reseller=str(alpha_reseller.pk), start_date=today.isoformat()
        ),
    )
    assert response.status_code == 302
    client = Client.objects.get(name="Nouvelle Société")
    assert (client.partner, client.reseller) == (alpha, alpha_reseller)
    assert balance(alpha_reseller, tbox) == 44
    assert balance(alpha, tbox) == 100


def test_a_reseller_of_another_partner_is_an_invalid_choice(
    browse, portfolio, partner_user, beta_reseller, today
):
    before = (Client.objects.count(), ledger_size())
    response = browse(partner_user).post(
        "/clients/new/",
        new_client_data(partner_user, reseller=str(beta_reseller.pk), start_date=today.isoformat()),
    )
    assert response.status_code == 200
    assert field_has_error(response, "reseller")
    assert (Client.objects.count(), ledger_size()) == before


def test_a_reseller_creates_clients_for_itself(
    browse, portfolio, reseller_user, alpha, alpha_reseller, tbox, today
):
    client = browse(reseller_user)
    form = client.get("/clients/new/")
    assert not elements(form, lambda tag, attrs: attrs.get("name") in ("reseller", "partner"))
    response = client.post(
        "/clients/new/",
        new_client_data(reseller_user, start_date=today.isoformat(), users="1", years="1"),
    )
    assert response.status_code == 302
    created = Client.objects.get(name="Nouvelle Société")
    assert (created.partner, created.reseller) == (alpha, alpha_reseller)
    assert balance(alpha_reseller, tbox) == 49


def test_staff_choose_the_partner_and_a_reseller_of_that_partner(
    browse, portfolio, staff, beta, alpha_reseller, beta_reseller, tbox, today
):
    client = browse(staff)
    refused = client.post(
        "/clients/new/",
        new_client_data(
            staff, partner=str(beta.pk), reseller=str(alpha_reseller.pk),
            start_date=today.isoformat(),
        ),
    )
    assert refused.status_code == 200
    assert field_has_error(refused, "reseller")
    missing = client.post("/clients/new/", new_client_data(staff, start_date=today.isoformat()))
    assert missing.status_code == 200
    assert field_has_error(missing, "partner")
    assert not Client.objects.filter(name="Nouvelle Société").exists()
    done = client.post(
        "/clients/new/",
        new_client_data(staff, partner=str(beta.pk), start_date=today.isoformat()),
    )
    assert done.status_code == 302
    assert Client.objects.get(name="Nouvelle Société").partner == beta
    assert balance(beta, tbox) == 94


def test_the_start_date_may_be_written_day_first(browse, portfolio, partner_user, today):
    later = today + datetime.timedelta(days=3)
    response = browse(partner_user).post(
        "/clients/new/", new_client_data(partner_user, start_date=later.strftime("%d/%m/%Y"))
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get(client__name="Nouvelle Société")
    assert subscription.term_start == later


# --- the start date, the page's way (portal.forms.LocalDateInput) ------------------------


def _start_date_input(response):
    [field] = elements(
        response, lambda tag, attrs: tag == "input" and attrs.get("name") == "start_date"
    )
    return field.attrs


def test_the_french_form_asks_for_the_start_date_day_first(browse, portfolio, partner_user):
    field = _start_date_input(browse(partner_user, language="fr").get("/clients/new/"))
    assert field["type"] == "text"
    assert field["placeholder"] == "jj/mm/aaaa"


def test_the_english_form_offers_the_browsers_date_picker(browse, portfolio, partner_user):
    field = _start_date_input(browse(partner_user, language="en").get("/clients/new/"))
    assert field["type"] == "date"


@pytest.mark.parametrize("written", ["31/12/{year}", "{year}-12-31"])
def test_the_french_form_takes_a_date_day_first_or_iso(
    browse, portfolio, partner_user, today, written
):
    year = today.year + 1
    response = browse(partner_user, language="fr").post(
        "/clients/new/", new_client_data(partner_user, start_date=written.format(year=year))
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get(client__name="Nouvelle Société")
    assert subscription.term_start == datetime.date(year, 12, 31)


def test_an_impossible_date_is_refused_in_french_next_to_the_field(
    browse, portfolio, partner_user, alpha, tbox, today
):
    before = (Client.objects.count(), balance(alpha, tbox), ledger_size())
    impossible = f"31/02/{today.year + 1}"
    response = browse(partner_user, language="fr").post(
        "/clients/new/", new_client_data(partner_user, start_date=impossible)
    )
    assert response.status_code == 200
    assert field_has_error(response, "start_date")
    assert _start_date_input(response)["value"] == impossible
    [error] = elements(response, lambda tag, attrs: attrs.get("id") == "id_start_date_error")
    assert "Saisissez une date valide." in error.text
    assert (Client.objects.count(), balance(alpha, tbox), ledger_size()) == before


@pytest.mark.parametrize(
    "field,value",
    [
        ("start_date", "yesterday"),
        ("start_date", "2020-01-01"),
        ("start_date", "31/02/2030"),
        ("start_date", "9999-12-31"),
        ("start_date", ""),
        ("users", "0"),
        ("users", "-2"),
        ("users", "many"),
        ("users", "100001"),
        ("users", ""),
        ("years", "0"),
        ("years", "6"),
        ("years", "x"),
        ("years", "123456789012345678901234567890"),
        ("name", "   "),
        ("product", "NOPE"),
    ],
)
def test_bad_input_for_a_new_client_is_refused_by_the_field(
    browse, portfolio, partner_user, alpha, tbox, field, value, today
):
    if value == "yesterday":
        value = (today - datetime.timedelta(days=1)).isoformat()
    before = (Client.objects.count(), balance(alpha, tbox), ledger_size())
    data = new_client_data(partner_user, start_date=today.isoformat())
    data[field] = value
    response = browse(partner_user).post("/clients/new/", data)
    assert response.status_code == 200
    assert field_has_error(response, field)
    assert (Client.objects.count(), balance(alpha, tbox), ledger_size()) == before


def test_a_new_client_the_pool_cannot_pay_is_refused(browse, portfolio, partner_user, today):
    before = (Client.objects.count(), ledger_size())
    response = browse(partner_user).post(
        "/clients/new/",
        new_client_data(partner_user, users="60", years="2", start_date=today.isoformat()),
    )
    assert response.status_code == 200
    assert "20 licenses are missing" in text_of(response)
    assert (Client.objects.count(), ledger_size()) == before


def test_a_new_client_form_posted_twice_creates_one_client(browse, portfolio, partner_user, today):
    client = browse(partner_user)
    data = new_client_data(partner_user, start_date=today.isoformat())
    first = client.post("/clients/new/", data)
    second = client.post("/clients/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Client.objects.filter(name="Nouvelle Société").count() == 1


def test_a_new_client_without_token_is_refused(browse, portfolio, partner_user, today):
    data = new_client_data(partner_user, start_date=today.isoformat())
    del data["token"]
    response = browse(partner_user).post("/clients/new/", data)
    assert response.status_code == 200
    assert elements(response, lambda tag, attrs: attrs.get("role") == "alert")
    assert not Client.objects.filter(name="Nouvelle Société").exists()


def _active_tabs(page):
    """The navigation links shown as the current tab."""
    return [
        link.attrs["href"]
        for link in elements(
            page,
            lambda tag, attrs: tag == "a" and "nav-link" in attrs.get("class", "").split()
            and "active" in attrs.get("class", "").split(),
        )
    ]


def _record_link(page, client_id):
    [link] = elements(
        page,
        lambda tag, attrs: tag == "a"
        and attrs.get("href", "").startswith(f"/clients/{client_id}/"),
    )
    return link.attrs["href"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_record_opened_from_clients_to_renew_highlights_that_tab(
    client, partner_user, expiring, language
):
    client.force_login(partner_user)
    renewals = client.get("/renewals/", HTTP_ACCEPT_LANGUAGE=language)
    clients = client.get("/clients/", HTTP_ACCEPT_LANGUAGE=language)

    from_renewals = client.get(
        _record_link(renewals, expiring.client_id), HTTP_ACCEPT_LANGUAGE=language
    )
    from_clients = client.get(
        _record_link(clients, expiring.client_id), HTTP_ACCEPT_LANGUAGE=language
    )
    direct = client.get(f"/clients/{expiring.client_id}/", HTTP_ACCEPT_LANGUAGE=language)

    assert _active_tabs(from_renewals) == ["/renewals/"]
    assert _active_tabs(from_clients) == ["/clients/"]
    assert _active_tabs(direct) == ["/clients/"]
