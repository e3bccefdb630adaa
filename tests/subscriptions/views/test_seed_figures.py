"""The figures the seed's forms show (docs/interface.md): the renewal form's new term,
the new-client form's paying pool before and after, and the renewal form's users label
after an error."""

import datetime

import pytest

from subscriptions.dates import term_end
from subscriptions.services.idempotency import issue_token
from tests.helpers.forms import new_client_data
from tests.helpers.html import by_testid, text_of

# --- the renewal form: the new term --------------------------------------------------------


def test_the_renewal_form_shows_the_new_term_for_one_year(browse, portfolio, partner_user):
    target = portfolio.expiring
    page = browse(partner_user).get(f"/subscriptions/{target.pk}/renew/")
    [start] = by_testid(page, "new-start")
    [end] = by_testid(page, "new-end")
    new_start = target.term_end + datetime.timedelta(days=1)
    assert start.attrs["datetime"] == new_start.isoformat()
    assert end.attrs["datetime"] == term_end(new_start, 1).isoformat()


def test_an_expired_subscription_s_new_term_starts_today(
    browse, portfolio, partner_user, today, settings
):
    settings.RENEWAL_AFTER_EXPIRY = "restart"
    page = browse(partner_user).get(f"/subscriptions/{portfolio.expired.pk}/renew/")
    assert by_testid(page, "new-start")[0].attrs["datetime"] == today.isoformat()
    assert by_testid(page, "new-end")[0].attrs["datetime"] == term_end(today, 1).isoformat()


def test_a_refused_renewal_shows_the_term_of_the_years_typed(browse, portfolio, partner_user):
    target = portfolio.expiring
    page = browse(partner_user).post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 3, "users": 100000, "token": issue_token(partner_user)},
    )
    assert page.status_code == 200
    new_start = target.term_end + datetime.timedelta(days=1)
    assert by_testid(page, "new-end")[0].attrs["datetime"] == term_end(new_start, 3).isoformat()


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "User licenses assigned to Expiring SA"),
        ("fr", "Licences utilisateurs affectées à Expiring SA"),
    ],
)
def test_the_users_label_keeps_the_client_s_name_after_an_error(
    browse, portfolio, partner_user, language, label
):
    page = browse(partner_user, language=language).post(
        f"/subscriptions/{portfolio.expiring.pk}/renew/",
        {"years": 1, "users": 0, "token": issue_token(partner_user)},
    )
    assert page.status_code == 200
    assert label in text_of(page)


# --- the new-client form: the paying pool --------------------------------------------------


def test_the_new_client_form_shows_the_partner_s_pool_before_and_after(
    browse, portfolio, partner_user
):
    page = browse(partner_user).get("/clients/new/")
    # Alpha's TBox pool holds 100; one user for one year by default.
    assert by_testid(page, "pool-balance")[0].text == "100"
    assert by_testid(page, "balance-after")[0].text == "99"


def test_a_refused_new_client_shows_the_reseller_s_pool_with_the_figures_typed(
    browse, portfolio, partner_user, alpha_reseller
):
    data = new_client_data(partner_user, users="6", years="2", reseller=alpha_reseller.pk)
    data["name"] = ""
    page = browse(partner_user).post("/clients/new/", data)
    assert page.status_code == 200
    # Alpha Revente's TBox pool holds 50: 50 - 6 × 2.
    assert by_testid(page, "pool-balance")[0].text == "50"
    assert by_testid(page, "balance-after")[0].text == "38"


def test_staff_see_the_pool_of_the_partner_they_chose(browse, portfolio, staff, alpha):
    page = browse(staff).get("/clients/new/")
    assert by_testid(page, "pool-balance")[0].text == "—"
    data = new_client_data(staff, users="2", years="1", partner=alpha.pk)
    data["name"] = ""
    page = browse(staff).post("/clients/new/", data)
    assert by_testid(page, "pool-balance")[0].text == "100"
    assert by_testid(page, "balance-after")[0].text == "98"


def test_the_pool_balance_is_read_within_the_scope(
    browse, portfolio, partner_user, alpha_reseller, beta
):
    client = browse(partner_user)
    answer = client.get(f"/licenses/balance/?organization={alpha_reseller.pk}&product=TBOX")
    assert answer.json() == {"balance": 50}
    assert client.get(f"/licenses/balance/?organization={beta.pk}&product=TBOX").status_code == 404
    assert client.get("/licenses/balance/?organization=x&product=TBOX").status_code == 404
    assert client.get(f"/licenses/balance/?organization={beta.pk}&product=NOPE").status_code == 404
