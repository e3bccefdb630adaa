"""The licenses page (pools and ledger) and the allocation form, with a few pools and at a
publisher's scale: every pool still has its hook (cards for a few pools, a compact table for
many)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, OrganizationKind
from subscriptions import services
from subscriptions.models import LicensePool
from subscriptions.organization_menus import CHOICES_MAX
from subscriptions.templatetags.pools import POOL_CARDS_MAX
from tests.helpers.forms import allocation
from tests.helpers.html import by_testid, elements, field_has_error, figure, text_of
from tests.helpers.ledger import balance, ledger_size


def pool_hooks(response):
    return {
        (e.attrs["data-pool-id"], e.attrs["data-product"]): str(figure(e.text))
        for e in by_testid(response, "pool-balance")
    }


def expected_hooks(pools):
    return {(str(pool.pk), pool.product.code): str(pool.balance) for pool in pools}


@pytest.fixture
def many_pools(alpha, alpha_reseller, beta, tbox, tsend, grant):
    """Alpha and its reseller hold three pools; seven more partners hold two each: more
    pools than cards are shown for."""
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 40)
    grant(alpha_reseller, tbox, 50)
    for index in range(7):
        partner = beta if index == 0 else Organization.objects.create(
            kind=OrganizationKind.PARTNER, name=f"Partenaire {index:02d}"
        )
        grant(partner, tbox, 10 + index)
        grant(partner, tsend, 1000 * index + 7)
    assert LicensePool.objects.count() > POOL_CARDS_MAX


# --- pools, ledger and allocation -------------------------------------------------------------


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


@pytest.fixture
def renewed_then_cancelled(portfolio, partner_user):
    """Two lines the portal notes itself: a bulk renewal's debit and its cancel's refund."""
    services.renew_subscriptions(
        actor=partner_user, subscription_ids=[portfolio.expiring.pk], years=1
    )
    services.cancel_renewal(actor=partner_user, subscription_id=portfolio.expiring.pk)


@pytest.mark.parametrize(
    ("language", "renewal", "cancel"),
    [("fr", "Renouvellement groupé", "Renouvellement annulé"),
     ("en", "Bulk renewal", "Renewal cancelled")],
)
def test_the_ledger_shows_the_portals_notes_in_the_readers_language(
    browse, renewed_then_cancelled, partner_user, language, renewal, cancel
):
    client = browse(partner_user, language=language)
    for kind, note in (("renewal", renewal), ("reversal", cancel)):
        [row] = ledger_rows(client.get(f"/licenses/?kind={kind}"))
        assert note in row.text, (kind, row.text)


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


# --- many pools ---------------------------------------------------------------------------


def test_staff_see_every_pool_in_a_compact_table(browse, many_pools, staff):
    response = browse(staff).get("/licenses/")
    assert pool_hooks(response) == expected_hooks(LicensePool.objects.all())
    [table] = by_testid(response, "pool-table")
    assert table.tag == "table"
    [count] = by_testid(response, "pool-count")
    assert count.text == f"{LicensePool.objects.count()} pools"
    # Written the page's way: grouped with a narrow no-break space in French, a comma in
    # English.
    french = browse(staff, language="fr").get("/licenses/").content.decode()
    assert ">6\u202f007<" in french
    assert "6,007" in [e.text for e in by_testid(response, "pool-balance")]
    # The allocation page shows them the same way.
    allocate = browse(staff).get("/licenses/allocate/")
    assert pool_hooks(allocate) == expected_hooks(LicensePool.objects.all())
    assert by_testid(allocate, "pool-table")


def test_a_partner_still_sees_cards_of_its_own_and_its_resellers_pools(
    browse, many_pools, partner_user, reseller_user, alpha, alpha_reseller
):
    response = browse(partner_user).get("/licenses/")
    assert pool_hooks(response) == expected_hooks(
        LicensePool.objects.filter(organization__in=[alpha, alpha_reseller])
    )
    assert not by_testid(response, "pool-table")
    assert len(elements(response, lambda tag, attrs: "pool-card" in attrs.get("class", ""))) == 3
    reseller_page = browse(reseller_user).get("/licenses/")
    assert pool_hooks(reseller_page) == expected_hooks(
        LicensePool.objects.filter(organization=alpha_reseller)
    )


@pytest.mark.parametrize("partners", [1, POOL_CARDS_MAX + 1])
def test_organization_names_are_escaped_in_cards_and_table(browse, staff, tbox, grant, partners):
    for index in range(partners):
        grant(
            Organization.objects.create(
                kind=OrganizationKind.PARTNER, name=f"<b>Evil {index}</b> & Co"
            ),
            tbox,
            5,
        )
    html = browse(staff).get("/licenses/").content.decode()
    assert "<b>Evil" not in html
    assert "&lt;b&gt;Evil 0&lt;/b&gt; &amp; Co" in html


def test_the_page_runs_as_many_queries_for_many_pools_as_for_a_few(
    browse, staff, partner_user, alpha, tbox, tsend, grant
):
    grant(alpha, tbox, 10)

    def queries(user):
        client = browse(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/licenses/").status_code == 200
        return len(captured)

    few = {user.pk: queries(user) for user in (staff, partner_user)}
    for index in range(CHOICES_MAX // 2 + 5):
        partner = Organization.objects.create(
            kind=OrganizationKind.PARTNER, name=f"Partenaire {index:03d}"
        )
        reseller = Organization.objects.create(
            kind=OrganizationKind.RESELLER, name=f"Revente {index:03d}", parent=alpha
        )
        for organization, product in ((partner, tbox), (partner, tsend), (reseller, tbox)):
            LicensePool.objects.create(organization=organization, product=product, balance=3)
    assert LicensePool.objects.count() > 300
    assert Organization.objects.count() > CHOICES_MAX
    assert {user.pk: queries(user) for user in (staff, partner_user)} == few


def test_the_allocation_form_asks_for_a_choice_in_words(client, partner_user, alpha_reseller):
    client.force_login(partner_user)
    page = client.get("/licenses/allocate/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Choisissez un revendeur" in page
    assert "Choisissez une solution" in page
    assert "---------" not in page
