"""*Liste des clients* by company (`/clients/?by=company`): one row per company, coloured
by its most urgent subscription, each product in its own colour; the same filters, sort,
pages and exports as the list by subscription."""

import csv
import datetime
import io

import pytest

from subscriptions.status import Status
from tests.helpers.exports import read_xlsx
from tests.helpers.html import by_testid, elements, text_of

URGENCY = [Status.EXPIRED, Status.EXPIRING, Status.NOT_STARTED, Status.RENEWED, Status.ACTIVE]


def company_rows(page):
    return elements(page, lambda tag, attrs: tag == "tr" and "data-client-id" in attrs)


def badges(page, client_id):
    """(product code, status) of each product badge in the company's row."""
    row_of = elements(
        page,
        lambda tag, attrs: tag == "span" and "data-product" in attrs,
        within=lambda tag, attrs: tag == "tr" and attrs.get("data-client-id") == str(client_id),
    )
    return [(badge.attrs["data-product"], badge.attrs["data-status"]) for badge in row_of]


@pytest.fixture
def garcia(alpha, tbox, tsend, grant, make_subscription, today):
    """A company holding an expired TBox and an active TSend."""
    grant(alpha, tbox, 10)
    expired = make_subscription(
        alpha,
        tbox,
        start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=10),
        name="Auto-École Garcia",
    )
    make_subscription(
        alpha, tsend, start=today - datetime.timedelta(days=30), users=3, client=expired.client
    )
    return expired.client


def test_a_company_is_one_row_coloured_by_its_most_urgent_subscription(
    browse, garcia, partner_user
):
    page = browse(partner_user).get("/clients/?by=company")
    rows = [row for row in company_rows(page) if row.attrs["data-client-id"] == str(garcia.pk)]
    assert len(rows) == 1
    assert rows[0].attrs["data-status"] == Status.EXPIRED
    assert "table-danger" in rows[0].attrs["class"]
    assert badges(page, garcia.pk) == [("TBOX", Status.EXPIRED), ("TSEND", Status.ACTIVE)]
    assert "Auto-École Garcia" in rows[0].text


def test_every_company_appears_once_with_the_status_of_its_subscriptions(
    browse, portfolio, garcia, partner_user
):
    page = browse(partner_user).get("/clients/?by=company&per_page=100")
    found = [row.attrs["data-client-id"] for row in company_rows(page)]
    assert len(found) == len(set(found))
    by_client = {
        row.attrs["data-client-id"]: row.attrs["data-status"] for row in company_rows(page)
    }
    # Each of these companies holds one subscription: its row has that one's status.
    for name in ("expiring", "expired", "not_started", "renewed", "active"):
        assert by_client[str(getattr(portfolio, name).client_id)] == name, name
    # Another partner's company is not listed.
    assert str(portfolio.beta_expiring.client_id) not in by_client


def test_sorting_by_status_puts_the_most_urgent_first(browse, portfolio, garcia, partner_user):
    page = browse(partner_user).get("/clients/?by=company&sort=status&per_page=100")
    statuses = [row.attrs["data-status"] for row in company_rows(page)]
    assert statuses == sorted(statuses, key=URGENCY.index)
    assert statuses[0] == Status.EXPIRED
    descending = browse(partner_user).get("/clients/?by=company&sort=-status&per_page=100")
    assert [row.attrs["data-status"] for row in company_rows(descending)][0] == Status.ACTIVE


def test_the_default_order_is_by_name(browse, portfolio, garcia, partner_user):
    page = browse(partner_user).get("/clients/?by=company&per_page=100")
    names = [row.text for row in company_rows(page)]
    assert names[0].startswith("Active SA")
    assert names[1].startswith("Auto-École Garcia")


def test_filters_narrow_the_subscriptions_a_company_row_sums_up(
    browse, portfolio, garcia, partner_user
):
    page = browse(partner_user).get("/clients/?by=company&product=TSEND")
    ids = {row.attrs["data-client-id"] for row in company_rows(page)}
    assert ids == {str(garcia.pk), str(portfolio.active.client_id)}
    # Filtered on TSend, Garcia is active: its expired TBox is not among the rows.
    assert badges(page, garcia.pk) == [("TSEND", Status.ACTIVE)]
    expired = browse(partner_user).get("/clients/?by=company&status=expired")
    assert {row.attrs["data-client-id"] for row in company_rows(expired)} == {
        str(garcia.pk),
        str(portfolio.expired.client_id),
    }
    searched = browse(partner_user).get("/clients/?by=company&q=garcia")
    assert [row.attrs["data-client-id"] for row in company_rows(searched)] == [str(garcia.pk)]


def test_the_filter_form_keeps_the_company_mode(browse, portfolio, partner_user):
    page = browse(partner_user).get("/clients/?by=company&status=expired")
    hidden = elements(
        page, lambda tag, attrs: tag == "input" and attrs.get("name") == "by"
    )
    assert [field.attrs["value"] for field in hidden] == ["company"]


def test_an_empty_filtered_company_list_says_nothing_matches(browse, portfolio, partner_user):
    page = browse(partner_user).get("/clients/?by=company&q=nobody-by-that-name")
    assert company_rows(page) == []
    assert "No client matches these filters." in text_of(page)


def test_company_pages_hold_each_company_once(
    browse, alpha, tbox, tsend, grant, make_subscription, partner_user, today
):
    grant(alpha, tbox, 10)
    for i in range(7):
        first = make_subscription(alpha, tbox, name=f"Société {i:02d}")
        make_subscription(alpha, tsend, client=first.client)
    seen = []
    for number in (1, 2, 3):
        page = browse(partner_user).get(f"/clients/?by=company&per_page=3&page={number}")
        seen += [row.attrs["data-client-id"] for row in company_rows(page)]
    assert len(seen) == 7 == len(set(seen))
    assert "1–3 of 7" in text_of(browse(partner_user).get("/clients/?by=company&per_page=3"))
    assert browse(partner_user).get("/clients/?by=company&per_page=3&page=4").status_code == 404


def test_the_switch_shows_both_views_and_the_default_stays_by_subscription(
    browse, portfolio, partner_user
):
    page = browse(partner_user).get("/clients/?status=expired")
    assert by_testid(page, "by-subscription")[0].attrs.get("aria-current") == "page"
    company_link = by_testid(page, "by-company")[0].attrs["href"]
    assert "by=company" in company_link and "status=expired" in company_link
    assert elements(page, lambda tag, attrs: tag == "tr" and "data-subscription-id" in attrs)
    grouped = browse(partner_user).get("/clients/" + company_link)
    assert by_testid(grouped, "by-company")[0].attrs.get("aria-current") == "page"
    assert not elements(
        grouped, lambda tag, attrs: tag == "tr" and "data-subscription-id" in attrs
    )


def test_the_csv_export_holds_one_line_per_company(browse, portfolio, garcia, partner_user):
    response = browse(partner_user).get("/clients/?by=company&export=csv&status=expired")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body), delimiter=","))
    assert len(lines) == 3
    assert any(line[0] == "Auto-École Garcia" for line in lines[1:])
    assert lines[1][-1] == "Expired"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_company_list_speaks_both_languages(browse, garcia, partner_user, language):
    page = browse(partner_user).get(
        "/clients/?by=company", HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    expected = {"fr": "Par société", "en": "By company"}[language]
    assert by_testid(page, "by-company")[0].text == expected


def test_the_excel_export_by_company_is_a_workbook(browse, portfolio, garcia, partner_user):
    response = browse(partner_user).get("/clients/?by=company&export=xlsx")
    assert response.status_code == 200
    assert "client_list_by_company" in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert len(rows) == 1 + len(company_rows(browse(partner_user).get("/clients/?by=company")))
    assert any("Auto-École Garcia" in str(cell) for row in rows[1:] for cell in row)


def test_a_company_with_an_auto_renewing_subscription_carries_the_mark(
    browse, garcia, alpha, tbox, make_subscription, partner_user, today
):
    """Rule 23 as on the rows by subscription: `data-auto-renew="1"` on the company's row
    when one of the subscriptions listed renews automatically, and on that one's badge."""
    other = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=30),
                              name="Boulangerie Martin").client
    garcia.subscriptions.filter(product__code="TSEND").update(auto_renew=True)

    page = browse(partner_user).get("/clients/?by=company")

    marks = {row.attrs["data-client-id"]: row.attrs.get("data-auto-renew")
             for row in company_rows(page)}
    assert marks == {str(garcia.pk): "1", str(other.pk): None}
    renewing = elements(page, lambda tag, attrs: tag == "span" and "data-product" in attrs
                        and attrs.get("data-auto-renew") == "1")
    assert [badge.attrs["data-product"] for badge in renewing] == ["TSEND"]

    # Narrowed to TBox, the company's subscriptions listed no longer renew automatically.
    narrowed = browse(partner_user).get("/clients/?by=company&product=TBOX")
    assert all("data-auto-renew" not in row.attrs for row in company_rows(narrowed))
