"""The organization menus of the screens (licenses, allocation, client list, new client) at
a publisher's scale: capped, keeping the organization chosen, each with a search whose
options (/organizations/options/) answer from the user's scope only."""

import pytest

from accounts.models import Organization, OrganizationKind
from subscriptions.models import LicenseMovement, LicensePool, MovementKind
from subscriptions.organization_menus import CHOICES_MAX
from subscriptions.services.idempotency import issue_token
from tests.helpers.html import elements
from tests.helpers.html import options as options_of

pytestmark = pytest.mark.usefixtures("plain_http")

OPTIONS = "/organizations/options/"


def menu(response, name):
    """The <option>s of the <select name=...>: [(value, label, selected)]."""
    return options_of(response, name)


def search_boxes(response):
    return elements(response, lambda tag, attrs: "data-organization-search" in attrs)


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
    assert menu(response, "reseller") == [("", "Choose a reseller", True), (
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
