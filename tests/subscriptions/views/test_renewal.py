"""The renewal form of one subscription."""

import datetime

import pytest
from django.utils import formats, translation

from subscriptions.dates import term_end
from subscriptions.models import LicenseMovement, LicensePool, MovementKind, Subscription, Term
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.html import by_testid, elements, field_has_error, row_ids, text_of
from tests.helpers.ledger import balance, ledger_size


def test_the_renewal_form_opens_with_one_year_and_the_current_users(
    browse, portfolio, partner_user, alpha, tbox
):
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    response = browse(partner_user).get(f"/subscriptions/{portfolio.expiring.pk}/renew/")
    assert response.status_code == 200
    [before] = by_testid(response, "pool-balance")
    [after] = by_testid(response, "balance-after")
    assert before.text == "100"
    assert before.attrs["data-pool-id"] == str(pool.pk)
    assert after.text == "96"
    inputs = {
        e.attrs["name"]: e.attrs
        for e in elements(response, lambda tag, attrs: tag == "input" and "name" in attrs)
    }
    assert inputs["years"]["value"] == "1"
    assert inputs["users"]["value"] == "4"
    assert inputs["token"]["type"] == "hidden" and inputs["token"]["value"]
    text = text_of(response)
    assert "Licenses remaining to allocate by Alpha Distribution" in text
    assert "Number of years of renewal" in text
    assert "User licenses assigned to Expiring SA" in text
    assert "Licenses remaining after renewal" in text
    labels = {e.attrs["for"] for e in elements(response, lambda tag, attrs: tag == "label")}
    assert {inputs["years"]["id"], inputs["users"]["id"]} <= labels
    assert "OK" in [e.text for e in elements(response, lambda tag, attrs: tag == "button")]
    assert b"portal/js/renewal.js" in response.content
    assert b"<script>" not in response.content


def test_the_renewal_form_names_the_reseller_that_pays(
    browse, portfolio, reseller_user, alpha_reseller, tbox
):
    pool = LicensePool.objects.get(organization=alpha_reseller, product=tbox)
    response = browse(reseller_user).get(f"/subscriptions/{portfolio.reseller_expiring.pk}/renew/")
    [before] = by_testid(response, "pool-balance")
    assert (before.text, before.attrs["data-pool-id"]) == ("50", str(pool.pk))
    assert by_testid(response, "balance-after")[0].text == "48"
    assert "Licenses remaining to allocate by Alpha Revente" in text_of(response)


def test_the_renewal_form_shows_zero_when_the_payer_has_no_pool(browse, portfolio, partner_user):
    response = browse(partner_user).get(f"/subscriptions/{portfolio.active.pk}/renew/")
    [before] = by_testid(response, "pool-balance")
    assert (before.text, before.attrs["data-pool-id"]) == ("0", "")
    assert by_testid(response, "balance-after")[0].text == "-6"


def test_a_successful_renewal_debits_writes_the_ledger_and_redirects_with_a_message(
    browse, portfolio, partner_user, alpha, tbox
):
    target = portfolio.expiring
    client = browse(partner_user)
    response = client.post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 2, "users": 3, "token": issue_token(partner_user)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/renewals/"
    assert balance(alpha, tbox) == 94
    [line] = LicenseMovement.objects.filter(subscription=target)
    assert (line.quantity, line.kind, line.actor) == (-6, MovementKind.RENEWAL, partner_user)
    assert Subscription.objects.with_status().get(pk=target.pk).status == Status.RENEWED

    page = client.get(response["Location"])
    end = term_end(target.term_end + datetime.timedelta(days=1), 2)
    with translation.override("en"):
        shown = formats.date_format(end, "SHORT_DATE_FORMAT")
    [message] = elements(page, lambda tag, attrs: attrs.get("role") == "status")
    assert message.text == (
        f"TBox subscription of Expiring SA renewed until {shown} — 6 licenses debited."
    )
    assert target.pk not in row_ids(page)


def test_the_confirmation_date_follows_the_language(browse, portfolio, partner_user):
    target = portfolio.expiring
    client = browse(partner_user, language="fr")
    response = client.post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 1, "users": 4, "token": issue_token(partner_user)},
        follow=True,
    )
    end = term_end(target.term_end + datetime.timedelta(days=1), 1)
    [message] = elements(response, lambda tag, attrs: attrs.get("role") == "status")
    assert end.strftime("%d/%m/%Y") in message.text


def test_renewing_an_expired_subscription_starts_today(
    browse, portfolio, partner_user, today
):
    target = portfolio.expired
    response = browse(partner_user).post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 1, "users": 3, "token": issue_token(partner_user)},
    )
    assert response.status_code == 302
    term = Term.objects.filter(subscription=target).order_by("-pk").first()
    assert term.start_date == today
    assert Subscription.objects.with_status().get(pk=target.pk).status == Status.ACTIVE


BAD_NUMBERS = ["0", "-1", "abc", "", "1.5", "99999999999999999999999999"]


@pytest.mark.parametrize("field", ["years", "users"])
@pytest.mark.parametrize("value", [*BAD_NUMBERS, "too big"])
def test_bad_figures_are_refused_by_the_field_and_change_nothing(
    browse, portfolio, partner_user, alpha, tbox, field, value
):
    if value == "too big":
        value = "6" if field == "years" else "100001"
    target = portfolio.expiring
    data = {"years": "1", "users": "4", "token": issue_token(partner_user)}
    data[field] = value
    before = (balance(alpha, tbox), ledger_size())
    response = browse(partner_user).post(f"/subscriptions/{target.pk}/renew/", data)
    assert response.status_code == 200
    assert field_has_error(response, field)
    assert (balance(alpha, tbox), ledger_size()) == before
    assert Subscription.objects.with_status().get(pk=target.pk).status == Status.EXPIRING


def test_a_missing_field_is_refused(browse, portfolio, partner_user, alpha, tbox):
    before = (balance(alpha, tbox), ledger_size())
    response = browse(partner_user).post(
        f"/subscriptions/{portfolio.expiring.pk}/renew/", {"token": issue_token(partner_user)}
    )
    assert response.status_code == 200
    assert field_has_error(response, "years") and field_has_error(response, "users")
    assert (balance(alpha, tbox), ledger_size()) == before


@pytest.mark.parametrize("token", [None, "", "forged-token", "other-user"])
def test_a_missing_or_foreign_token_is_refused_and_changes_nothing(
    browse, portfolio, partner_user, other_partner_user, alpha, tbox, token
):
    if token == "other-user":
        token = issue_token(other_partner_user)
    data = {"years": "1", "users": "4"}
    if token is not None:
        data["token"] = token
    before = (balance(alpha, tbox), ledger_size())
    response = browse(partner_user).post(f"/subscriptions/{portfolio.expiring.pk}/renew/", data)
    assert response.status_code == 200
    assert elements(response, lambda tag, attrs: attrs.get("role") == "alert")
    assert (balance(alpha, tbox), ledger_size()) == before
    # The form comes back with a fresh token, so submitting it again works.
    [fresh] = elements(response, lambda tag, attrs: attrs.get("name") == "token")
    assert fresh.attrs["value"] and fresh.attrs["value"] != token


def test_the_same_form_posted_twice_debits_once_and_answers_like_the_first(
    browse, portfolio, partner_user, alpha, tbox
):
    target = portfolio.expiring
    client = browse(partner_user)
    data = {"years": "1", "users": "4", "token": issue_token(partner_user)}
    first = client.post(f"/subscriptions/{target.pk}/renew/", data, follow=True)
    second = client.post(f"/subscriptions/{target.pk}/renew/", data)
    assert second.status_code == 302
    assert second["Location"] == first.redirect_chain[0][0]
    assert balance(alpha, tbox) == 96
    assert LicenseMovement.objects.filter(subscription=target).count() == 1
    again = client.get(second["Location"])
    first_message = elements(first, lambda tag, attrs: attrs.get("role") == "status")[0].text
    second_message = elements(again, lambda tag, attrs: attrs.get("role") == "status")[0].text
    assert first_message == second_message


def test_a_renewal_the_pool_cannot_pay_says_how_many_licenses_are_missing(
    browse, portfolio, partner_user, alpha, tbox
):
    before = (balance(alpha, tbox), ledger_size())
    response = browse(partner_user).post(
        f"/subscriptions/{portfolio.expiring.pk}/renew/",
        {"years": "5", "users": "30", "token": issue_token(partner_user)},
    )
    assert response.status_code == 200
    assert field_has_error(response, "users")
    assert "50 licenses are missing" in text_of(response)
    assert by_testid(response, "balance-after")[0].text == "-50"
    assert (balance(alpha, tbox), ledger_size()) == before


def test_renewing_a_renewed_subscription_is_refused(browse, portfolio, partner_user, alpha, tbox):
    target = portfolio.renewed
    client = browse(partner_user)
    page = client.get(f"/subscriptions/{target.pk}/renew/")
    assert page.status_code == 200
    assert by_testid(page, "not-renewable")
    assert not elements(page, lambda tag, attrs: attrs.get("name") == "years")
    before = (balance(alpha, tbox), ledger_size())
    response = client.post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": "1", "users": "5", "token": issue_token(partner_user)},
    )
    assert response.status_code == 200
    [alert] = elements(response, lambda tag, attrs: attrs.get("role") == "alert")
    assert "already has a renewal" in alert.text
    assert (balance(alpha, tbox), ledger_size()) == before


def test_renewing_twice_in_a_row_is_refused_the_second_time(
    browse, portfolio, partner_user, alpha, tbox
):
    client = browse(partner_user)
    url = f"/subscriptions/{portfolio.expiring.pk}/renew/"
    first = client.post(url, {"years": 1, "users": 4, "token": issue_token(partner_user)})
    assert first.status_code == 302
    response = client.post(url, {"years": 1, "users": 4, "token": issue_token(partner_user)})
    assert response.status_code == 200
    assert balance(alpha, tbox) == 96


def test_a_subscription_not_started_shows_no_form(browse, portfolio, partner_user):
    response = browse(partner_user).get(f"/subscriptions/{portfolio.not_started.pk}/renew/")
    assert response.status_code == 200
    assert by_testid(response, "not-renewable")
    assert not by_testid(response, "balance-after")
