"""The licenses page (pools and ledger) and the allocation form."""

import datetime

import pytest

from subscriptions.models import LicensePool
from tests.helpers.forms import allocation
from tests.helpers.html import by_testid, elements, field_has_error, text_of
from tests.helpers.ledger import balance, ledger_size

# --- licenses and allocation ------------------------------------------------------------------


def pool_hooks(response):
    return {
        (e.attrs["data-pool-id"], e.attrs["data-product"]): e.text
        for e in by_testid(response, "pool-balance")
    }


def test_the_licenses_page_shows_the_pools_each_user_may_see(
    browse, portfolio, staff, partner_user, reseller_user, other_partner_user, alpha,
    alpha_reseller, beta, tbox,
):
    def hook(organization):
        pool = LicensePool.objects.get(organization=organization, product=tbox)
        return (str(pool.pk), "TBOX")

    assert pool_hooks(browse(partner_user).get("/licenses/")) == {
        hook(alpha): "100", hook(alpha_reseller): "50"
    }
    assert pool_hooks(browse(reseller_user).get("/licenses/")) == {hook(alpha_reseller): "50"}
    assert pool_hooks(browse(other_partner_user).get("/licenses/")) == {hook(beta): "100"}
    assert pool_hooks(browse(staff).get("/licenses/")) == {
        hook(alpha): "100", hook(alpha_reseller): "50", hook(beta): "100"
    }


def ledger_rows(response):
    return elements(response, lambda tag, attrs: tag == "tr" and "data-movement-id" in attrs)


def test_the_ledger_lists_the_movements_in_scope(browse, portfolio, partner_user, reseller_user):
    # Alpha: grant 100, grant 50 + allocation out and in; Beta's grant is not Alpha's.
    assert len(ledger_rows(browse(partner_user).get("/licenses/"))) == 4
    assert len(ledger_rows(browse(reseller_user).get("/licenses/"))) == 1


def test_the_ledger_filters(browse, portfolio, partner_user, alpha_reseller, beta, today):
    client = browse(partner_user)
    assert len(ledger_rows(client.get("/licenses/?kind=allocation"))) == 2
    assert len(ledger_rows(client.get("/licenses/?kind=grant"))) == 2
    assert len(ledger_rows(client.get(f"/licenses/?organization={alpha_reseller.pk}"))) == 1
    assert len(ledger_rows(client.get("/licenses/?product=TSEND"))) == 0
    assert len(ledger_rows(client.get("/licenses/?product=TBOX"))) == 4
    day = today.isoformat()
    assert len(ledger_rows(client.get(f"/licenses/?date_from={day}&date_to={day}"))) == 4
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert len(ledger_rows(client.get(f"/licenses/?date_from={tomorrow}"))) == 0
    outside = client.get(f"/licenses/?organization={beta.pk}")
    assert outside.status_code == 200 and ledger_rows(outside) == []


def test_the_ledger_paginates(browse, portfolio, partner_user):
    client = browse(partner_user)
    assert len(ledger_rows(client.get("/licenses/?per_page=3"))) == 3
    assert len(ledger_rows(client.get("/licenses/?per_page=3&page=2"))) == 1
    assert client.get("/licenses/?per_page=3&page=3").status_code == 404


def test_a_partner_gives_licenses_to_its_reseller(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox
):
    client = browse(partner_user)
    assert client.get("/licenses/allocate/").status_code == 200
    response = client.post(
        "/licenses/allocate/", allocation(partner_user, reseller=str(alpha_reseller.pk))
    )
    assert response.status_code == 302
    assert response["Location"] == "/licenses/"
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (90, 60)
    page = client.get("/licenses/")
    [message] = elements(page, lambda tag, attrs: attrs.get("role") == "status")
    assert "10 TBox licenses given to Alpha Revente" in message.text


def test_a_partner_takes_licenses_back(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox
):
    response = browse(partner_user).post(
        "/licenses/allocate/",
        allocation(partner_user, reseller=str(alpha_reseller.pk), direction="take", quantity="20"),
    )
    assert response.status_code == 302
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (120, 30)


def test_taking_back_more_than_the_reseller_holds_is_refused(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox
):
    before = (balance(alpha, tbox), balance(alpha_reseller, tbox), ledger_size())
    response = browse(partner_user).post(
        "/licenses/allocate/",
        allocation(partner_user, reseller=str(alpha_reseller.pk), direction="take", quantity="51"),
    )
    assert response.status_code == 200
    assert field_has_error(response, "quantity")
    assert "1 license is missing" in text_of(response)
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox), ledger_size()) == before


def test_allocating_to_another_partners_reseller_is_an_invalid_choice(
    browse, portfolio, partner_user, beta_reseller, alpha, tbox
):
    before = (balance(alpha, tbox), ledger_size())
    response = browse(partner_user).post(
        "/licenses/allocate/", allocation(partner_user, reseller=str(beta_reseller.pk))
    )
    assert response.status_code == 200
    assert field_has_error(response, "reseller")
    assert (balance(alpha, tbox), ledger_size()) == before


@pytest.mark.parametrize(
    "field,value",
    [
        ("quantity", "0"), ("quantity", "-5"), ("quantity", "ten"), ("quantity", ""),
        ("quantity", "99999999999999999999"), ("direction", "steal"), ("direction", ""),
        ("product", "NOPE"), ("reseller", ""), ("reseller", "abc"),
    ],
)
def test_bad_allocation_input_is_refused_by_the_field(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox, field, value
):
    before = (balance(alpha, tbox), balance(alpha_reseller, tbox), ledger_size())
    data = allocation(partner_user, reseller=str(alpha_reseller.pk))
    data[field] = value
    response = browse(partner_user).post("/licenses/allocate/", data)
    assert response.status_code == 200
    assert field_has_error(response, field) or b"invalid-feedback" in response.content
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox), ledger_size()) == before


def test_an_allocation_posted_twice_moves_licenses_once(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox
):
    client = browse(partner_user)
    data = allocation(partner_user, reseller=str(alpha_reseller.pk))
    assert client.post("/licenses/allocate/", data).status_code == 302
    assert client.post("/licenses/allocate/", data).status_code == 302
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (90, 60)


def test_an_allocation_without_token_is_refused(
    browse, portfolio, partner_user, alpha, alpha_reseller, tbox
):
    data = allocation(partner_user, reseller=str(alpha_reseller.pk))
    del data["token"]
    response = browse(partner_user).post("/licenses/allocate/", data)
    assert response.status_code == 200
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (100, 50)


def test_resellers_cannot_allocate(browse, portfolio, reseller_user, alpha_reseller):
    client = browse(reseller_user)
    assert client.get("/licenses/allocate/").status_code == 403
    response = client.post(
        "/licenses/allocate/", allocation(reseller_user, reseller=str(alpha_reseller.pk))
    )
    assert response.status_code == 403
    assert b'action="/licenses/allocate/"' not in client.get("/licenses/").content


def test_staff_allocate_for_any_partner(browse, portfolio, staff, beta, beta_reseller, tbox):
    form = browse(staff).get("/licenses/allocate/")
    options = [e.text for e in elements(form, lambda tag, attrs: tag == "option")]
    assert "Beta Revente (Beta Distribution)" in options
    response = browse(staff).post(
        "/licenses/allocate/", allocation(staff, reseller=str(beta_reseller.pk), quantity="30")
    )
    assert response.status_code == 302
    assert (balance(beta, tbox), balance(beta_reseller, tbox)) == (70, 30)
