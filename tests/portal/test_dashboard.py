"""The dashboard and the health check."""

import datetime

import pytest
from django.db import OperationalError

from subscriptions.models import LicensePool
from subscriptions.status import Status
from tests.helpers.html import by_testid, elements

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def clients(alpha, alpha_reseller, beta, tbox, tsend, grant, make_subscription, today):
    """Alpha: one company with two subscriptions to renew, one expired company, one
    company of its reseller expiring, one active and one renewed. Beta: one expiring."""
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    grant(beta, tbox, 100)
    soon = today + datetime.timedelta(days=20)
    twice = make_subscription(alpha, tbox, end=soon, users=4, name="Deux Fois SA")
    make_subscription(alpha, tsend, end=soon, users=4, client=twice.client)
    make_subscription(
        alpha,
        tbox,
        start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=3),
        name="Expirée SARL",
    )
    make_subscription(alpha, tbox, end=soon, reseller=alpha_reseller, name="Revente SAS")
    make_subscription(alpha, tbox, start=today - datetime.timedelta(days=30), name="Active SA")
    make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=300), renewal_years=1, name="Fait SA"
    )
    make_subscription(beta, tbox, end=soon, name="Beta SA")
    return twice


def counter(response):
    [element] = by_testid(response, "companies-to-renew")
    return element.text


def test_it_sends_anonymous_visitors_to_the_login_page(browse):
    response = browse().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_counter_counts_companies_not_subscriptions(browse, clients, partner_user):
    response = browse(partner_user).get("/")
    assert response.status_code == 200
    # Deux Fois SA (two subscriptions to renew), Expirée SARL, Revente SAS.
    assert counter(response) == "3"
    assert counter(response).isdigit()


@pytest.mark.parametrize(
    "who,expected",
    [
        ("staff", "4"),
        ("partner_user", "3"),
        ("viewer_user", "3"),
        ("reseller_user", "1"),
        ("other_partner_user", "1"),
    ],
)
def test_the_counter_follows_the_users_scope(request, browse, clients, who, expected):
    response = browse(request.getfixturevalue(who)).get("/")
    assert counter(response) == expected


def test_the_see_link_opens_the_clients_to_renew(browse, clients, partner_user):
    response = browse(partner_user).get("/")
    [link] = by_testid(response, "companies-to-renew-link")
    assert link.attrs["href"] == "/renewals/"
    assert link.text == "See"


def test_the_counter_says_zero_when_nothing_is_to_renew(browse, partner_user):
    assert counter(browse(partner_user).get("/")) == "0"


def test_it_counts_subscriptions_by_status(browse, clients, partner_user):
    response = browse(partner_user).get("/")
    tiles = {
        e.attrs["data-status"]: e.attrs["data-count"]
        for e in elements(response, lambda tag, attrs: tag == "a" and "data-count" in attrs)
    }
    assert tiles == {
        Status.EXPIRING: "3",
        Status.EXPIRED: "1",
        Status.ACTIVE: "1",
        Status.RENEWED: "1",
        Status.NOT_STARTED: "0",
    }


def test_it_charts_the_next_twelve_months_with_numbers(browse, clients, partner_user, today):
    response = browse(partner_user).get("/")
    columns = elements(response, lambda tag, attrs: tag == "g" and "data-month" in attrs)
    assert len(columns) == 12
    assert columns[0].attrs["data-month"] == today.strftime("%Y-%m")
    months = {c.attrs["data-month"]: int(c.attrs["data-count"]) for c in columns}
    soon = (today + datetime.timedelta(days=20)).strftime("%Y-%m")
    # The three expiring ones; the expired one is overdue, not upcoming.
    assert months[soon] >= 3
    assert sum(months.values()) == 4
    assert all(str(c.attrs["data-count"]) in c.text for c in columns)
    assert b"<script>" not in response.content


def _chart_months(response):
    """The month under each bar, as the page writes it (SVG text, read by screen readers)."""
    return [
        element.text
        for element in elements(
            response,
            lambda tag, attrs: tag == "text" and "chart-label" in attrs.get("class", "").split(),
        )
    ]


# Twelve months from any day hold a June and a July: the chart always shows both.
@pytest.mark.parametrize(
    ("language", "june", "july"), [("fr", "juin", "juil."), ("en", "Jun", "Jul")]
)
def test_the_chart_months_cannot_be_confused(browse, clients, partner_user, language, june, july):
    response = browse(partner_user, language=language).get("/")
    months = _chart_months(response)
    columns = elements(response, lambda tag, attrs: tag == "g" and "data-month" in attrs)
    by_month = {c.attrs["data-month"][5:]: month for c, month in zip(columns, months, strict=True)}
    assert len(set(months)) == 12
    assert (by_month["06"], by_month["07"]) == (june, july)
    if language == "fr":
        assert all(month == month.lower() for month in months), months
        assert not any(month.startswith("Jui") for month in months), months


def test_it_shows_the_pools_the_user_may_see(
    browse, clients, partner_user, reseller_user, alpha, alpha_reseller, beta, tbox
):
    def pool_ids(response):
        return {
            int(e.attrs["data-pool-id"])
            for e in elements(response, lambda tag, attrs: tag == "tr" and "data-pool-id" in attrs)
        }

    def pool(organization):
        return LicensePool.objects.get(organization=organization, product=tbox).pk

    assert pool_ids(browse(partner_user).get("/")) == {pool(alpha), pool(alpha_reseller)}
    assert pool_ids(browse(reseller_user).get("/")) == {pool(alpha_reseller)}


def test_the_dashboard_refuses_other_methods(browse, partner_user):
    assert browse(partner_user).post("/").status_code == 405


# --- /healthz ---------------------------------------------------------------------------


def test_healthz_answers_200_without_login_when_the_database_answers(browse, db):
    response = browse().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert browse().head("/healthz").status_code == 200


def test_healthz_answers_503_when_the_database_does_not(browse, db, monkeypatch):
    from portal import views

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    # An outage cannot be staged inside the test's own transaction: the connection the
    # view uses is swapped for one that fails like an unreachable server.
    monkeypatch.setattr(views, "connection", Unreachable())
    response = browse().get("/healthz")
    assert response.status_code == 503


def test_healthz_refuses_writes(browse, db):
    assert browse().post("/healthz").status_code == 405
