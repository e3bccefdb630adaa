"""Every form field or parameter that names an object, tried with an id from another
tenant: 404 or an invalid-choice error, and nothing changes (docs/rules.md rule 11)."""


import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.html import row_ids, token_of
from tests.helpers.ledger import ledger_state


@pytest.fixture
def tenants(alpha, alpha_reseller, beta, beta_reseller, tbox, grant, make_subscription, today,
            partner_user, staff):
    grant(alpha, tbox, 100)
    grant(beta, tbox, 100)
    grant(beta_reseller, tbox, 100)
    last_year = today.replace(year=today.year - 1)
    return {
        "alpha_subscription": make_subscription(alpha, tbox, start=last_year, end=today),
        "beta_subscription": make_subscription(
            beta, tbox, start=last_year, end=today, reseller=beta_reseller, name="Beta Client"
        ),
    }


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_renewal_of_another_tenants_subscription_is_a_404(tenants, partner_user):
    client = logged_in(partner_user)
    url = reverse("renew", args=[tenants["beta_subscription"].pk])
    before = ledger_state()
    assert client.get(url).status_code == 404
    own = token_of(client.get(reverse("renew", args=[tenants["alpha_subscription"].pk])))
    assert client.post(url, {"years": "1", "users": "5", "token": own}).status_code == 404
    assert ledger_state() == before
    # Refused under the lock, the whole transaction undone: the token is still unspent.
    mine = reverse("renew", args=[tenants["alpha_subscription"].pk])
    assert client.post(mine, {"years": "1", "users": "5", "token": own}).status_code == 302
    assert ledger_state() != before


def test_a_reseller_cannot_renew_its_partners_own_client(tenants, reseller_user):
    client = logged_in(reseller_user)
    before = ledger_state()
    partners_own = reverse("renew", args=[tenants["alpha_subscription"].pk])
    token = token_of(client.get(reverse("client_new")))  # a user's token, from any form
    assert token
    assert client.post(partners_own, {"years": "1", "users": "5", "token": token}
                       ).status_code == 404
    assert ledger_state() == before


def test_another_tenants_client_record_is_a_404(tenants, partner_user):
    client = logged_in(partner_user)
    url = reverse("client_detail", args=[tenants["beta_subscription"].client_id])
    assert client.get(url).status_code == 404


def test_allocating_to_another_partners_reseller_is_an_invalid_choice(
    tenants, partner_user, beta_reseller
):
    client = logged_in(partner_user)
    token = token_of(client.get(reverse("allocate")))
    before = ledger_state()
    for direction in ("give", "take"):
        response = client.post(reverse("allocate"), {
            "reseller": beta_reseller.pk, "product": "TBOX", "quantity": "10",
            "direction": direction, "token": token,
        })
        assert response.status_code == 200
        assert "reseller" in response.context["form"].errors
    assert ledger_state() == before


def test_a_new_client_for_another_partners_reseller_is_an_invalid_choice(
    tenants, partner_user, beta_reseller
):
    client = logged_in(partner_user)
    token = token_of(client.get(reverse("client_new")))
    before = ledger_state()
    response = client.post(reverse("client_new"), {
        "name": "Intruder", "product": "TBOX", "users": "1", "years": "1",
        "start_date": "2099-01-01", "reseller": beta_reseller.pk, "token": token,
    })
    assert response.status_code == 200
    assert "reseller" in response.context["form"].errors
    assert ledger_state() == before


def test_staff_cannot_attach_a_reseller_to_another_partner(tenants, staff, alpha, beta_reseller):
    client = logged_in(staff)
    token = token_of(client.get(reverse("client_new")))
    before = ledger_state()
    response = client.post(reverse("client_new"), {
        "name": "Mixed", "partner": alpha.pk, "product": "TBOX", "users": "1", "years": "1",
        "start_date": "2099-01-01", "reseller": beta_reseller.pk, "token": token,
    })
    assert response.status_code == 200
    assert "reseller" in response.context["form"].errors
    assert ledger_state() == before


def test_a_bulk_renewal_naming_another_tenants_subscription_is_a_404(tenants, partner_user):
    client = logged_in(partner_user)
    before = ledger_state()
    response = client.post(reverse("bulk_renew"), {
        "subscriptions": [tenants["alpha_subscription"].pk, tenants["beta_subscription"].pk],
        "years": "1", "confirm": "1", "token": "x",
    })
    assert response.status_code == 404
    assert ledger_state() == before


@pytest.mark.parametrize("page", ["client_list", "renewals"])
def test_filtering_on_another_partners_reseller_shows_nothing_of_it(
    tenants, partner_user, beta_reseller, page
):
    response = logged_in(partner_user).get(reverse(page), {"reseller": beta_reseller.pk})
    assert response.status_code == 200
    assert tenants["beta_subscription"].pk not in row_ids(response)


def test_the_ledger_filtered_on_another_tenants_organization_shows_nothing_of_it(
    tenants, partner_user, beta
):
    response = logged_in(partner_user).get(reverse("licenses"), {"organization": beta.pk})
    assert response.status_code == 200
    assert "Beta Distribution" not in response.content.decode()
