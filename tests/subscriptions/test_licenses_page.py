"""The licenses page at a publisher's scale, as its users see it: every pool still has its
hook (cards for a few pools, a compact table for many), the long organization menus are
capped and keep the organization chosen, and their search answers from the user's scope
only."""

import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, OrganizationKind
from subscriptions.models import LicenseMovement, LicensePool, MovementKind
from subscriptions.organization_menus import CHOICES_MAX
from subscriptions.templatetags.pools import POOL_CARDS_MAX
from subscriptions.tokens import issue_token
from tests.subscriptions import test_views
from tests.subscriptions.test_views import by_testid, elements

OPTIONS = "/organizations/options/"
# The same English-speaking clients, over plain HTTP (autouse), as the screens' tests.
browse, plain_http = test_views.browse, test_views.plain_http


def pool_hooks(response):
    return {
        (int(e.attrs["data-pool-id"]), e.attrs["data-product"]): e.text
        for e in by_testid(response, "pool-balance")
    }


def expected_hooks(pools):
    return {(pool.pk, pool.product.code): str(pool.balance) for pool in pools}


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


def menu(response, name):
    """The <option>s of the <select name=...>: [(value, label, selected)]."""
    html = response.content.decode()
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no <select name={name}>"
    return options_of(found.group(1))


def options_of(html):
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html
        )
    ]


def search_boxes(response):
    return elements(response, lambda tag, attrs: "data-organization-search" in attrs)


# --- pools ----------------------------------------------------------------------------------


def test_staff_see_every_pool_in_a_compact_table(browse, many_pools, staff):
    response = browse(staff).get("/licenses/")
    assert pool_hooks(response) == expected_hooks(LicensePool.objects.all())
    [table] = by_testid(response, "pool-table")
    assert table.tag == "table"
    [count] = by_testid(response, "pool-count")
    assert count.text == f"{LicensePool.objects.count()} pools"
    # Digits only, never grouped ("6 007", "6,007"), whatever the language.
    french = HttpClient(headers={"accept-language": "fr"})
    french.force_login(staff)
    assert "6007" in pool_hooks(french.get("/licenses/")).values()
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


# --- capped menus ---------------------------------------------------------------------------


@pytest.fixture
def crowd(alpha, beta, tbox, grant):
    """More of Alpha's resellers than a menu lists, the last by name far beyond the cap,
    and a reseller of Beta's."""
    grant(alpha, tbox, 100)
    Organization.objects.bulk_create(
        [
            Organization(kind=OrganizationKind.RESELLER, name=f"Revente {i:04d}", parent=alpha)
            for i in range(CHOICES_MAX + 20)
        ]
    )
    return {
        "last": Organization.objects.create(
            kind=OrganizationKind.RESELLER, name="Zénith Revente", parent=alpha
        ),
        "beta_reseller": Organization.objects.create(
            kind=OrganizationKind.RESELLER, name="Zénith Beta", parent=beta
        ),
    }


def test_the_ledger_menu_is_capped_and_keeps_the_organization_filtered_on(
    browse, crowd, staff
):
    last = crowd["last"]
    response = browse(staff).get(f"/licenses/?organization={last.pk}")
    options = menu(response, "organization")
    assert options[0] == ("", "All", False)
    assert len(options) == 1 + CHOICES_MAX + 1
    assert (str(last.pk), "Zénith Revente (Alpha Distribution)", True) in options
    # Every organization in scope is accepted: the ledger is filtered on it.
    assert response.status_code == 200
    [box] = [b for b in search_boxes(response) if b.attrs["aria-controls"] == "id_organization"]
    assert box.attrs["name"] == "q" and "hidden" in box.attrs
    assert "kind=any" in box.attrs["hx-get"] and "empty=All" in box.attrs["hx-get"]


def test_the_allocation_menu_is_capped_and_keeps_the_reseller_chosen(
    browse, crowd, staff, alpha
):
    last = crowd["last"]
    client = browse(staff)
    page = client.get("/licenses/")
    options = menu(page, "reseller")
    assert len(options) == 1 + CHOICES_MAX
    assert str(last.pk) not in {value for value, _label, _selected in options}
    assert any(b.attrs["aria-controls"] == "id_allocation_reseller" for b in search_boxes(page))
    # Refused (quantity 0): the form comes back with the reseller still chosen.
    refused = client.post(
        "/licenses/allocate/",
        {"reseller": str(last.pk), "product": "TBOX", "quantity": "0", "direction": "give",
         "token": issue_token(staff)},
    )
    assert refused.status_code == 200
    assert (str(last.pk), "Zénith Revente (Alpha Distribution)", True) in menu(
        refused, "reseller"
    )


def test_an_allocation_to_a_reseller_beyond_the_cap_is_made(browse, crowd, partner_user, alpha):
    last = crowd["last"]
    response = browse(partner_user).post(
        "/licenses/allocate/",
        {"reseller": str(last.pk), "product": "TBOX", "quantity": "7", "direction": "give",
         "token": issue_token(partner_user)},
    )
    assert response.status_code == 302
    assert LicensePool.objects.get(organization=last).balance == 7
    assert LicensePool.objects.get(organization=alpha).balance == 93
    assert LicenseMovement.objects.filter(kind=MovementKind.ALLOCATION).count() == 2


def test_another_partners_reseller_stays_an_invalid_choice_beyond_the_cap(
    browse, crowd, partner_user, alpha
):
    response = browse(partner_user).post(
        "/licenses/allocate/",
        {"reseller": str(crowd["beta_reseller"].pk), "product": "TBOX", "quantity": "7",
         "direction": "give", "token": issue_token(partner_user)},
    )
    assert response.status_code == 200
    assert str(crowd["beta_reseller"].pk) not in {v for v, _l, _s in menu(response, "reseller")}
    assert LicensePool.objects.get(organization=alpha).balance == 100


def test_short_menus_have_no_search(browse, alpha, alpha_reseller, tbox, grant, partner_user):
    grant(alpha, tbox, 10)
    response = browse(partner_user).get("/licenses/")
    assert menu(response, "reseller") == [("", "---------", True), (
        str(alpha_reseller.pk), "Alpha Revente", False
    )]
    assert search_boxes(response) == []


def test_the_client_list_reseller_menu_has_the_search_too(browse, crowd, staff):
    response = browse(staff).get("/clients/")
    [box] = search_boxes(response)
    assert box.attrs["aria-controls"] == "id_reseller"
    assert "kind=reseller" in box.attrs["hx-get"]
    # The search box belongs to no form: filtering never sends it as the client name `q`.
    assert box.attrs["form"] != "" and f'id="{box.attrs["form"]}"' not in response.content.decode()


def test_staff_new_client_menus_are_capped_with_a_search_and_take_any_reseller(
    browse, crowd, staff, alpha, tbox, grant, today
):
    """Staff choose among every partner and reseller: both menus capped, each with its
    search; a reseller beyond the cap is still accepted, and its pool pays."""
    from subscriptions.models import Client

    Organization.objects.bulk_create(
        [
            Organization(kind=OrganizationKind.PARTNER, name=f"Distributeur {i:04d}")
            for i in range(CHOICES_MAX + 5)
        ]
    )
    client = browse(staff)
    page = client.get("/clients/new/")
    assert len(menu(page, "partner")) == 1 + CHOICES_MAX
    assert menu(page, "reseller")[0] == ("", "None: managed by the partner", True)
    assert len(menu(page, "reseller")) == 1 + CHOICES_MAX
    boxes = {box.attrs["aria-controls"]: box.attrs["hx-get"] for box in search_boxes(page)}
    assert "kind=partner" in boxes["id_partner"] and "kind=reseller" in boxes["id_reseller"]

    last = crowd["last"]
    form = {"name": "Loin dans la liste", "partner": str(alpha.pk), "reseller": str(last.pk),
            "product": "TBOX", "users": "2", "years": "1", "start_date": today.isoformat()}
    # Without a name: refused next to the field, the reseller beyond the cap still chosen.
    refused = client.post("/clients/new/", {**form, "name": "", "token": issue_token(staff)})
    assert refused.status_code == 200
    assert (str(last.pk), "Zénith Revente (Alpha Distribution)", True) in menu(
        refused, "reseller"
    )
    grant(last, tbox, 10)
    created = client.post("/clients/new/", {**form, "token": issue_token(staff)})
    assert created.status_code == 302
    assert Client.objects.get(name="Loin dans la liste").reseller == last
    assert LicensePool.objects.get(organization=last).balance == 8


def test_the_partner_search_answers_partners_only(browse, crowd, staff):
    found, _html = options(browse(staff), q="zénith", kind="partner")
    assert found == []
    found, _html = options(browse(staff), q="distribution", kind="partner")
    assert [label for _v, label, _s in found] == ["Alpha Distribution", "Beta Distribution"]


# --- the options endpoint -------------------------------------------------------------------


def options(client, **params):
    response = client.get(OPTIONS, params)
    assert response.status_code == 200
    return options_of(response.content.decode()), response.content.decode()


def test_the_options_need_a_login(browse, crowd):
    response = browse().get(OPTIONS, {"q": "Zénith"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "Zénith" not in response.content.decode()
    # From a page whose session expired: the whole page goes to the login, back after.
    search = browse().get(
        OPTIONS, {"q": "Zénith"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/licenses/?kind=grant"},
    )
    assert search.status_code == 200 and search.content == b""
    assert search["HX-Redirect"] == "/accounts/login/?next=/licenses/%3Fkind%3Dgrant"


def test_a_search_answers_matching_organizations_of_the_scope_only(
    browse, crowd, partner_user, staff, reseller_user, alpha_reseller
):
    found, _html = options(browse(partner_user), q="zénith", kind="reseller")
    assert found == [(str(crowd["last"].pk), "Zénith Revente", False)]
    found, _html = options(browse(staff), q="zénith", kind="reseller")
    assert [label for _v, label, _s in found] == [
        "Zénith Beta (Beta Distribution)", "Zénith Revente (Alpha Distribution)"
    ]
    # `any`: partners too; a reseller's scope is itself.
    found, _html = options(browse(staff), q="distribution")
    assert [label for _v, label, _s in found] == ["Alpha Distribution", "Beta Distribution"]
    found, _html = options(browse(partner_user), q="distribution", kind="reseller")
    assert found == []
    found, _html = options(browse(reseller_user), q="e")
    assert found == [(str(alpha_reseller.pk), "Alpha Revente", False)]


def test_a_search_keeps_the_chosen_organization_in_scope_only(
    browse, crowd, partner_user, alpha_reseller
):
    client = browse(partner_user)
    found, _html = options(
        client, q="zénith", kind="reseller", reseller=str(alpha_reseller.pk), empty="All"
    )
    assert found == [
        ("", "All", False),
        (str(crowd["last"].pk), "Zénith Revente", False),
        (str(alpha_reseller.pk), "Alpha Revente", True),
    ]
    found, html = options(client, q="nothing like it", selected=str(crowd["beta_reseller"].pk))
    assert found == []
    assert "No organization matches." in html
    for selected in ("abc", "99999999999999999999999", "-1"):
        assert options(client, q="zénith", selected=selected)[0] == [
            (str(crowd["last"].pk), "Zénith Revente", False)
        ]


def test_a_broad_search_is_capped_and_says_so(browse, crowd, partner_user):
    found, html = options(browse(partner_user), q="revente", kind="reseller")
    assert len(found) == CHOICES_MAX
    assert [label for _v, label, _s in found][:2] == ["Revente 0000", "Revente 0001"]
    assert "More organizations match: type more of the name." in html


def test_the_options_escape_names_and_refuse_unknown_kinds(browse, alpha, partner_user):
    Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="<script>x</script> & fils", parent=alpha
    )
    _found, html = options(browse(partner_user), q="fils", empty="<i>")
    assert "<script>" not in html and "<i>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; fils" in html
    assert browse(partner_user).get(OPTIONS, {"kind": "client"}).status_code == 400
    assert browse(partner_user).post(OPTIONS, {"q": "x"}).status_code == 405
