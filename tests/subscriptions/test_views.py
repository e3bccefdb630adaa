"""The portal's screens, as each member of the cast sees them.

Pages are read through their hooks (data-testid, data-status, data-end...) and, where
words matter, in English (the `Accept-Language: en` header of `browse`).
"""

import datetime
import re
from collections import namedtuple
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.test import Client as HttpClient
from django.utils import formats, translation

from subscriptions.dates import term_end
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    MovementKind,
    Subscription,
    Term,
)
from subscriptions.status import Status
from subscriptions.tokens import issue_token

# --- reading pages --------------------------------------------------------------------

Element = namedtuple("Element", "tag attrs text")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}


class _Collector(HTMLParser):
    """Elements whose tag and attributes match, in document order, with their text."""

    def __init__(self, match):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.depth = 0
        self.open = []
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag in VOID_TAGS:
            if self.match(tag, attrs):
                self.found.append((self.getpos(), Element(tag, attrs, "")))
            return
        self.depth += 1
        if self.match(tag, attrs):
            self.open.append([self.getpos(), tag, self.depth, attrs, []])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if self.open and self.open[-1][2] == self.depth:
            position, name, _depth, attrs, parts = self.open.pop()
            text = " ".join("".join(parts).split())
            self.found.append((position, Element(name, attrs, text)))
        self.depth -= 1

    def handle_data(self, data):
        for item in self.open:
            item[4].append(data)


def elements(response, match):
    collector = _Collector(match)
    collector.feed(response.content.decode())
    return [element for _position, element in sorted(collector.found, key=lambda f: f[0])]


def by_testid(response, testid):
    return elements(response, lambda tag, attrs: attrs.get("data-testid") == testid)


def rows(response):
    return elements(response, lambda tag, attrs: tag == "tr" and "data-subscription-id" in attrs)


def row_ids(response):
    return [int(row.attrs["data-subscription-id"]) for row in rows(response)]


def text_of(response):
    return " ".join(elements(response, lambda tag, attrs: tag == "body")[0].text.split())


def field_has_error(response, name):
    inputs = elements(
        response, lambda tag, attrs: tag in ("input", "select") and attrs.get("name") == name
    )
    return bool(inputs) and "is-invalid" in inputs[0].attrs.get("class", "")


# --- the cast and their clients ---------------------------------------------------------


@pytest.fixture(autouse=True)
def plain_http(settings):
    """These tests speak plain HTTP: production's redirect to HTTPS is not what they test."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def browse(db):
    def _browse(user=None, language="en"):
        client = HttpClient(headers={"accept-language": language})
        if user is not None:
            client.force_login(user)
        return client

    return _browse


@pytest.fixture
def portfolio(alpha, alpha_reseller, beta, tbox, tsend, grant, make_subscription, today):
    """Alpha holds one subscription in each status (one managed by its reseller), Beta one.

    Pools: Alpha TBox 100, Alpha Revente TBox 50, Beta TBox 100; nobody has TSend.
    """
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    grant(beta, tbox, 100)
    soon = today + datetime.timedelta(days=20)
    return SimpleNamespace(
        expiring=make_subscription(alpha, tbox, end=soon, users=4, name="Expiring SA"),
        expired=make_subscription(
            alpha,
            tbox,
            start=today - datetime.timedelta(days=400),
            end=today - datetime.timedelta(days=10),
            users=3,
            name="Expired SARL",
        ),
        reseller_expiring=make_subscription(
            alpha,
            tbox,
            end=soon + datetime.timedelta(days=1),
            users=2,
            reseller=alpha_reseller,
            name="Revente Client",
        ),
        active=make_subscription(
            alpha, tsend, start=today - datetime.timedelta(days=30), users=6, name="Active SA"
        ),
        not_started=make_subscription(
            alpha, tbox, start=today + datetime.timedelta(days=10), users=1, name="Future SAS"
        ),
        renewed=make_subscription(
            alpha,
            tbox,
            start=today - datetime.timedelta(days=300),
            users=5,
            renewal_years=1,
            name="Renewed SA",
        ),
        beta_expiring=make_subscription(beta, tbox, end=soon, users=7, name="Beta Client"),
    )


def balance(organization, product):
    pool = LicensePool.objects.filter(organization=organization, product=product).first()
    return pool.balance if pool else 0


def ledger_size():
    return LicenseMovement.objects.count()


ALPHA_NAMES = {"expiring", "expired", "reseller_expiring", "active", "not_started", "renewed"}


# --- access ------------------------------------------------------------------------------


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


# --- the client list ---------------------------------------------------------------------


def test_each_row_carries_the_hooks_of_its_current_term(
    browse, portfolio, partner_user, alpha, tbox
):
    alpha_tbox = LicensePool.objects.get(organization=alpha, product=tbox)
    reseller_tbox = LicensePool.objects.get(organization__name="Alpha Revente", product=tbox)
    response = browse(partner_user).get("/clients/")
    by_id = {int(row.attrs["data-subscription-id"]): row.attrs for row in rows(response)}

    expected = {
        "expiring": (Status.EXPIRING, "TBOX", alpha_tbox.pk),
        "expired": (Status.EXPIRED, "TBOX", alpha_tbox.pk),
        "reseller_expiring": (Status.EXPIRING, "TBOX", reseller_tbox.pk),
        "active": (Status.ACTIVE, "TSEND", None),
        "not_started": (Status.NOT_STARTED, "TBOX", alpha_tbox.pk),
        "renewed": (Status.RENEWED, "TBOX", alpha_tbox.pk),
    }
    for name, (status, product, pool_id) in expected.items():
        subscription = getattr(portfolio, name)
        attrs = by_id[subscription.pk]
        current_end = subscription.previous_term_end or subscription.term_end
        current_users = subscription.previous_users or subscription.users
        assert attrs["data-status"] == status, name
        assert attrs["data-client-id"] == str(subscription.client_id)
        assert attrs["data-product"] == product
        assert attrs["data-users"] == str(current_users)
        assert attrs["data-end"] == current_end.isoformat()
        assert attrs["data-pool-id"] == ("" if pool_id is None else str(pool_id))


def test_a_renewed_subscription_keeps_its_current_end_date_and_shows_a_green_check(
    browse, portfolio, partner_user
):
    renewed = portfolio.renewed
    response = browse(partner_user).get("/clients/")
    row = next(r for r in rows(response) if r.attrs["data-subscription-id"] == str(renewed.pk))
    assert row.attrs["data-end"] == renewed.previous_term_end.isoformat()
    assert renewed.previous_term_end < renewed.term_end
    with translation.override("en"):
        shown = formats.date_format(renewed.previous_term_end, "SHORT_DATE_FORMAT")
    assert shown in row.text
    checks = elements(
        response,
        lambda tag, attrs: "text-success" in attrs.get("class", "") and attrs.get("aria-label"),
    )
    assert any(check.text == "✓" for check in checks)


def test_rows_are_coloured_by_status(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/")
    classes = {row.attrs["data-status"]: row.attrs.get("class", "") for row in rows(response)}
    assert "table-expiring" in classes[Status.EXPIRING]
    assert "table-danger" in classes[Status.EXPIRED]
    assert "table-info" in classes[Status.NOT_STARTED]
    assert "table-danger" not in classes[Status.ACTIVE]
    assert "table-expiring" not in classes[Status.ACTIVE]
    assert b"table-hover" in response.content


def test_each_client_links_to_its_record(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/")
    # The link carries the list's query string back (?back=…) so the record can return to it.
    assert f'href="/clients/{portfolio.expiring.client_id}/'.encode() in response.content


def test_it_filters_by_status(browse, portfolio, partner_user):
    client = browse(partner_user)
    assert row_ids(client.get("/clients/?status=expired")) == [portfolio.expired.pk]
    assert row_ids(client.get("/clients/?status=renewed")) == [portfolio.renewed.pk]
    assert set(row_ids(client.get("/clients/?status=expiring"))) == {
        portfolio.expiring.pk,
        portfolio.reseller_expiring.pk,
    }


def test_it_filters_by_product_code(browse, portfolio, partner_user):
    client = browse(partner_user)
    assert row_ids(client.get("/clients/?product=TSEND")) == [portfolio.active.pk]
    assert len(rows(client.get("/clients/?product=TBOX"))) == 5


def test_it_filters_by_reseller(browse, portfolio, partner_user, alpha_reseller):
    response = browse(partner_user).get(f"/clients/?reseller={alpha_reseller.pk}")
    assert row_ids(response) == [portfolio.reseller_expiring.pk]


def test_a_reseller_of_another_partner_is_an_invalid_filter_that_matches_nothing(
    browse, portfolio, partner_user, beta_reseller
):
    response = browse(partner_user).get(f"/clients/?reseller={beta_reseller.pk}")
    assert response.status_code == 200
    assert rows(response) == []
    assert field_has_error(response, "reseller") or b"invalid-feedback" in response.content


def test_it_searches_client_names(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/?q=sarl")
    assert row_ids(response) == [portfolio.expired.pk]


def test_it_filters_on_the_current_end_date(browse, portfolio, partner_user, today):
    renewed = portfolio.renewed
    client = browse(partner_user)
    day = renewed.previous_term_end.isoformat()
    # A queued renewal does not move the row: the current term's end is what counts.
    response = client.get(f"/clients/?end_from={day}&end_to={day}")
    assert row_ids(response) == [renewed.pk]
    past = client.get(f"/clients/?end_to={(today - datetime.timedelta(days=1)).isoformat()}")
    assert row_ids(past) == [portfolio.expired.pk]


@pytest.mark.parametrize(
    "query", ["status=bogus", "product=NOPE", "reseller=abc", "end_from=2024-13-45", "end_to=x"]
)
def test_bad_filter_values_list_nothing_and_never_fail(browse, portfolio, partner_user, query):
    response = browse(partner_user).get(f"/clients/?{query}")
    assert response.status_code == 200
    assert rows(response) == []


SORTABLE = ["client", "product", "reseller", "start", "end", "years", "users", "status"]


@pytest.mark.parametrize("column", SORTABLE)
def test_every_column_sorts_both_ways_with_a_stable_tie_breaker(
    browse, portfolio, partner_user, column
):
    client = browse(partner_user)
    ascending = row_ids(client.get(f"/clients/?sort={column}"))
    descending = row_ids(client.get(f"/clients/?sort=-{column}"))
    assert len(ascending) == 6
    assert descending == list(reversed(ascending))


def test_it_sorts_by_users_and_end_date(browse, portfolio, partner_user):
    client = browse(partner_user)
    users = [int(r.attrs["data-users"]) for r in rows(client.get("/clients/?sort=users"))]
    assert users == sorted(users)
    ends = [r.attrs["data-end"] for r in rows(client.get("/clients/?sort=-end"))]
    assert ends == sorted(ends, reverse=True)


def test_an_unknown_sort_is_ignored(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/?sort=password")
    assert response.status_code == 200
    assert len(rows(response)) == 6


@pytest.fixture
def many(alpha, tbox, make_subscription, today):
    """30 active Alpha subscriptions."""
    return [
        make_subscription(
            alpha, tbox, start=today - datetime.timedelta(days=5), users=1, name=f"Many {i:02d}"
        )
        for i in range(30)
    ]


def test_it_paginates_25_rows_by_default(browse, many, partner_user):
    client = browse(partner_user)
    assert len(rows(client.get("/clients/"))) == 25
    assert len(rows(client.get("/clients/?page=2"))) == 5


def test_a_page_past_the_end_answers_404(browse, many, partner_user):
    client = browse(partner_user)
    assert client.get("/clients/?page=3").status_code == 404
    assert client.get("/clients/?page=0").status_code == 404
    assert client.get("/clients/?page=abc").status_code == 404
    assert client.get("/renewals/?page=2").status_code == 404


def test_it_accepts_per_page_up_to_500(browse, many, partner_user):
    client = browse(partner_user)
    assert len(rows(client.get("/clients/?per_page=7"))) == 7
    assert len(rows(client.get("/clients/?per_page=7&page=5"))) == 2
    assert len(rows(client.get("/clients/?per_page=100000"))) == 30
    assert len(rows(client.get("/clients/?per_page=-3"))) == 25
    assert len(rows(client.get("/clients/?per_page=lots"))) == 25


def test_pages_are_stable_when_every_row_ties(browse, many, partner_user):
    client = browse(partner_user)
    first = row_ids(client.get("/clients/?sort=users&per_page=10"))
    second = row_ids(client.get("/clients/?sort=users&per_page=10&page=2"))
    assert first == sorted(first)
    assert not set(first) & set(second)
    assert max(first) < min(second)


# --- the renewals list ---------------------------------------------------------------------


def test_the_renewals_list_holds_what_is_expiring_or_expired(browse, portfolio, partner_user):
    response = browse(partner_user).get("/renewals/")
    assert set(row_ids(response)) == {
        portfolio.expiring.pk,
        portfolio.expired.pk,
        portfolio.reseller_expiring.pk,
    }
    for row in rows(response):
        assert row.attrs["data-status"] in (Status.EXPIRING, Status.EXPIRED)


def test_the_renewals_list_has_the_documented_columns(browse, portfolio, partner_user):
    response = browse(partner_user).get("/renewals/")
    headers = [e.text for e in elements(response, lambda tag, attrs: tag == "th")]
    for title in (
        "Client name", "Subscription", "Reseller name", "Start date", "End date",
        "Duration (years)", "To renew",
    ):
        assert title in headers


def test_each_row_to_renew_has_a_renew_button(browse, portfolio, partner_user):
    response = browse(partner_user).get("/renewals/")
    links = by_testid(response, "renew")
    assert sorted(link.attrs["href"] for link in links) == sorted(
        f"/subscriptions/{pk}/renew/" for pk in row_ids(response)
    )
    assert all(link.text == "Renew" for link in links)


def test_the_renewals_list_shows_users_to_renew_and_filters(browse, portfolio, partner_user):
    client = browse(partner_user)
    response = client.get("/renewals/?status=expired")
    assert row_ids(response) == [portfolio.expired.pk]
    assert rows(response)[0].attrs["data-users"] == "3"
    assert row_ids(client.get("/renewals/?q=revente")) == [portfolio.reseller_expiring.pk]
    assert row_ids(client.get("/renewals/?status=active")) == []


def test_the_renewals_list_says_when_there_is_nothing_to_renew(
    browse, alpha, tbox, make_subscription, partner_user, today
):
    make_subscription(alpha, tbox, start=today - datetime.timedelta(days=5))
    response = browse(partner_user).get("/renewals/")
    assert rows(response) == []
    assert "Nothing to renew" in text_of(response)


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


# --- the renewal form ------------------------------------------------------------------------


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


# --- client creation ----------------------------------------------------------------------


def new_client_data(user, **changes):
    data = {
        "name": "Nouvelle Société",
        "product": "TBOX",
        "users": "3",
        "years": "2",
        "start_date": datetime.date.today().isoformat(),
        "reseller": "",
        "token": issue_token(user),
    }
    data.update(changes)
    return data


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


def allocation(user, **changes):
    data = {"reseller": "", "product": "TBOX", "quantity": "10", "direction": "give",
            "token": issue_token(user)}
    data.update(changes)
    return data


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


# --- the frame of every page ------------------------------------------------------------------


def test_the_navbar_offers_the_screens_and_a_logout_form(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/")
    links = {e.attrs.get("href"): e.text for e in elements(response, lambda t, a: t == "a")}
    for url, label in [
        ("/", "Dashboard"), ("/clients/", "Client list"), ("/renewals/", "Clients to renew"),
        ("/clients/new/", "New client"), ("/licenses/", "Licenses"),
    ]:
        assert links.get(url) == label
    forms = elements(response, lambda tag, attrs: tag == "form")
    assert any(f.attrs.get("action") == "/accounts/logout/" and f.attrs.get("method") == "post"
               for f in forms)


def test_the_language_switcher_keeps_the_current_page(browse, portfolio, partner_user):
    client = browse(partner_user)
    page = client.get("/clients/?status=expired")
    [switcher] = elements(
        page, lambda tag, attrs: tag == "form" and attrs.get("action") == "/i18n/setlang/"
    )
    [next_field] = elements(page, lambda tag, attrs: attrs.get("name") == "next")
    assert next_field.attrs["value"] == "/clients/?status=expired"
    response = client.post("/i18n/setlang/", {"language": "fr", "next": next_field.attrs["value"]})
    assert response.status_code == 302
    assert response["Location"] == "/clients/?status=expired"
    assert switcher


def test_the_login_page_and_error_pages_use_the_portal_look(browse, portfolio, partner_user):
    login = browse().get("/accounts/login/")
    assert login.status_code == 200
    assert b"portal/css/portal.css" in login.content
    assert elements(login, lambda tag, attrs: attrs.get("name") == "username")
    missing = browse(partner_user).get("/clients/999999/")
    assert missing.status_code == 404
    assert b"portal/css/portal.css" in missing.content


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
