"""Who may open which screen, and how every screen answers a wrong method, an id out of
scope or out of range: the guards all the portal's screens share (docs/rules.md)."""

import re

import pytest

from subscriptions.models import Client, Subscription
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.forms import allocation, new_client_data
from tests.helpers.html import by_testid, field_has_error, row_ids, rows
from tests.helpers.ledger import balance, ledger_size

ALPHA_NAMES = {"expiring", "expired", "reseller_expiring", "active", "not_started", "renewed"}


PAGES = ["/", "/clients/", "/renewals/", "/licenses/", "/clients/new/", "/licenses/allocate/"]


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(browse, url):
    response = browse().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_it_sends_anonymous_visitors_of_a_client_record_to_the_login_page(browse, portfolio):
    subscription = portfolio.expiring
    for url in (f"/clients/{subscription.client_id}/", f"/subscriptions/{subscription.pk}/renew/"):
        response = browse().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "who", ["staff", "partner_user", "reseller_user", "other_partner_user", "viewer_user"]
)
@pytest.mark.parametrize("url", ["/", "/clients/", "/renewals/", "/licenses/"])
def test_every_member_of_the_cast_reads_the_lists(request, browse, portfolio, who, url):
    response = browse(request.getfixturevalue(who)).get(url)
    assert response.status_code == 200
    assert b"js-lib-bootstrap5/css/bootstrap.min.css" in response.content
    # Scripts and style sheets come from our own static files, never another host (a
    # plain "cdn" search would also hit random CSRF tokens).
    assert not re.search(rb'<(script|link)[^>]+(src|href)="(https?:)?//', response.content)


@pytest.mark.parametrize("who", ["staff", "partner_user", "reseller_user", "other_partner_user"])
def test_managers_open_the_forms(request, browse, portfolio, who):
    user = request.getfixturevalue(who)
    own = {
        "staff": portfolio.expiring,
        "partner_user": portfolio.expiring,
        "reseller_user": portfolio.reseller_expiring,
        "other_partner_user": portfolio.beta_expiring,
    }[who]
    client = browse(user)
    assert client.get("/clients/new/").status_code == 200
    assert client.get(f"/clients/{own.client_id}/").status_code == 200
    assert client.get(f"/subscriptions/{own.pk}/renew/").status_code == 200


def test_it_answers_404_for_a_client_record_out_of_scope(
    browse, portfolio, partner_user, reseller_user, other_partner_user
):
    def status(user, subscription):
        return browse(user).get(f"/clients/{subscription.client_id}/").status_code

    assert status(partner_user, portfolio.beta_expiring) == 404
    assert status(other_partner_user, portfolio.expiring) == 404
    # A reseller sees its own clients only, not its partner's.
    assert status(reseller_user, portfolio.expiring) == 404
    assert status(reseller_user, portfolio.reseller_expiring) == 200
    assert browse(partner_user).get("/clients/999999/").status_code == 404


def test_it_answers_404_for_the_renewal_form_of_another_partners_subscription(
    browse, portfolio, partner_user, beta, tbox
):
    target = portfolio.beta_expiring
    client = browse(partner_user)
    assert client.get(f"/subscriptions/{target.pk}/renew/").status_code == 404
    before = (balance(beta, tbox), ledger_size())
    response = client.post(
        f"/subscriptions/{target.pk}/renew/",
        {"years": 1, "users": 7, "token": issue_token(partner_user)},
    )
    assert response.status_code == 404
    assert (balance(beta, tbox), ledger_size()) == before
    assert Subscription.objects.with_status().get(pk=target.pk).status == Status.EXPIRING


def test_staff_see_every_organization(browse, portfolio, staff):
    response = browse(staff).get("/clients/")
    assert set(row_ids(response)) == {s.pk for s in vars(portfolio).values()}


def test_a_partner_sees_its_clients_and_its_resellers_but_not_another_partners(
    browse, portfolio, partner_user
):
    response = browse(partner_user).get("/clients/")
    assert set(row_ids(response)) == {getattr(portfolio, name).pk for name in ALPHA_NAMES}


def test_a_reseller_sees_only_its_own_clients(browse, portfolio, reseller_user):
    response = browse(reseller_user).get("/clients/")
    assert row_ids(response) == [portfolio.reseller_expiring.pk]


def test_another_partner_sees_only_its_clients(browse, portfolio, other_partner_user):
    response = browse(other_partner_user).get("/clients/")
    assert row_ids(response) == [portfolio.beta_expiring.pk]


@pytest.mark.parametrize("method", ["get", "post"])
def test_read_only_users_get_403_on_every_page_that_changes_something(
    browse, portfolio, viewer_user, alpha, tbox, method
):
    client = browse(viewer_user)
    before = (balance(alpha, tbox), ledger_size(), Client.objects.count())
    urls = [
        f"/subscriptions/{portfolio.expiring.pk}/renew/",
        # Out of scope too: the 403 comes before any other check.
        f"/subscriptions/{portfolio.beta_expiring.pk}/renew/",
        "/clients/new/",
        "/licenses/allocate/",
    ]
    data = {
        "years": 1, "users": 4, "name": "Nope", "product": "TBOX", "start_date": "2099-01-01",
        "reseller": "", "quantity": 1, "direction": "give", "token": issue_token(viewer_user),
    }
    for url in urls:
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 403, url
    assert (balance(alpha, tbox), ledger_size(), Client.objects.count()) == before


def test_read_only_users_see_no_button_that_changes_something(browse, portfolio, viewer_user):
    client = browse(viewer_user)
    renewals = client.get("/renewals/")
    assert len(rows(renewals)) == 3
    assert by_testid(renewals, "renew") == []
    assert b'href="/clients/new/"' not in renewals.content
    record = client.get(f"/clients/{portfolio.expiring.client_id}/")
    assert by_testid(record, "renew") == []
    licenses = client.get("/licenses/")
    assert b'action="/licenses/allocate/"' not in licenses.content


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/"),
        ("post", "/clients/"),
        ("post", "/renewals/"),
        ("put", "/clients/new/"),
        ("delete", "/licenses/allocate/"),
        ("post", "/licenses/"),
        ("patch", "/healthz"),
    ],
)
def test_it_answers_405_to_a_wrong_method(browse, portfolio, partner_user, method, url):
    response = getattr(browse(partner_user), method)(url)
    assert response.status_code == 405


def test_it_answers_405_to_a_wrong_method_on_the_renewal_form(browse, portfolio, partner_user):
    url = f"/subscriptions/{portfolio.expiring.pk}/renew/"
    assert browse(partner_user).put(url).status_code == 405
    assert browse(partner_user).delete(url).status_code == 405


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/clients/?reseller={HUGE}",
        f"/renewals/?reseller={HUGE}",
        f"/licenses/?organization={HUGE}",
        f"/clients/?page={HUGE}",
        f"/clients/{HUGE}/",
        f"/subscriptions/{HUGE}/renew/",
        "/clients/?sort=--client&sort=client__name&sort=",
        "/clients/?end_from=0001-01-01&end_to=9999-12-31",
    ],
)
def test_out_of_range_ids_and_odd_queries_never_fail(browse, portfolio, partner_user, url):
    assert browse(partner_user).get(url).status_code in (200, 404)


def test_out_of_range_ids_in_forms_are_invalid_choices(
    browse, portfolio, partner_user, staff, today
):
    response = browse(partner_user).post(
        "/clients/new/", new_client_data(partner_user, reseller=HUGE, start_date=today.isoformat())
    )
    assert response.status_code == 200 and field_has_error(response, "reseller")
    response = browse(staff).post(
        "/clients/new/", new_client_data(staff, partner=HUGE, start_date=today.isoformat())
    )
    assert response.status_code == 200 and field_has_error(response, "partner")
    response = browse(partner_user).post(
        "/licenses/allocate/", allocation(partner_user, reseller=HUGE)
    )
    assert response.status_code == 200 and field_has_error(response, "reseller")
