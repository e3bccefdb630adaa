"""Exports of the client list and the renewals list, read back as a spreadsheet would.

CSV through the csv module, Excel through openpyxl: the columns are the list's, in the
user's language, and the rows are exactly the filtered rows of the user's scope.
"""

import csv
import datetime
import io
import tracemalloc

import pytest
from django.test import Client as HttpClient

from subscriptions import exports
from subscriptions.models import Client, Subscription, Term, TermKind
from tests.helpers.exports import read_xlsx
from tests.helpers.html import by_testid
from tests.helpers.web import browser

pytestmark = pytest.mark.django_db

CLIENT_LIST_HEADERS = [
    "Client name",
    "Product",
    "Reseller name",
    "Start date",
    "End date",
    "Duration (years)",
    "Users",
    "Status",
]
RENEWAL_HEADERS = [
    "Client name",
    "Subscription",
    "Reseller name",
    "Start date",
    "End date",
    "Duration (years)",
    "To renew",
    "Status",
]


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    delimiter = ";" if body.splitlines()[0].count(";") else ","
    return list(csv.reader(io.StringIO(body), delimiter=delimiter))


@pytest.fixture
def cast(alpha, alpha_reseller, beta, tbox, tsend, make_subscription, today, partner_user):
    soon = today + datetime.timedelta(days=15)
    return {
        "expiring": make_subscription(
            alpha,
            tbox,
            start=soon - datetime.timedelta(days=364),
            end=soon,
            users=7,
            name="Orange SA",
        ),
        "expired": make_subscription(
            alpha,
            tsend,
            start=today - datetime.timedelta(days=368),
            end=today - datetime.timedelta(days=3),
            users=2,
            name="Rouge SARL",
        ),
        "reseller": make_subscription(
            alpha,
            tbox,
            start=soon - datetime.timedelta(days=364),
            end=soon,
            users=3,
            reseller=alpha_reseller,
            name="Revendu SAS",
        ),
        "active": make_subscription(alpha, tbox, users=9, name="Calme SA"),
        "other_partner": make_subscription(
            beta,
            tbox,
            start=soon - datetime.timedelta(days=364),
            end=soon,
            users=11,
            name="Beta Client",
        ),
    }


def test_it_exports_the_client_list_as_csv_with_the_columns_of_the_list(cast, partner_user):
    response = browser(partner_user).get("/clients/", {"export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == CLIENT_LIST_HEADERS
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == ["Calme SA", "Orange SA", "Revendu SAS", "Rouge SARL"]


def test_it_keeps_the_filters_and_the_sort_in_the_export(cast, partner_user, today):
    response = browser(partner_user).get(
        "/clients/", {"export": "csv", "product": "TBOX", "sort": "-users"}
    )

    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == ["Calme SA", "Orange SA", "Revendu SAS"]
    assert [row[6] for row in rows[1:]] == ["9", "7", "3"]
    assert all(row[1] == "TBox" for row in rows[1:])


def test_it_never_exports_a_row_outside_the_users_scope(cast, reseller_user, other_partner_user):
    reseller_rows = read_csv(browser(reseller_user).get("/clients/", {"export": "csv"}))
    other_rows = read_csv(browser(other_partner_user).get("/clients/", {"export": "csv"}))

    assert [row[0] for row in reseller_rows[1:]] == ["Revendu SAS"]
    assert [row[0] for row in other_rows[1:]] == ["Beta Client"]


def test_an_invalid_filter_exports_no_row_rather_than_everything(cast, partner_user, beta_reseller):
    response = browser(partner_user).get(
        "/clients/", {"export": "csv", "reseller": beta_reseller.pk}
    )

    assert read_csv(response) == [CLIENT_LIST_HEADERS]


def test_it_exports_the_renewals_list_as_xlsx_with_native_dates_and_numbers(
    cast, partner_user, today
):
    response = browser(partner_user).get("/renewals/", {"export": "xlsx", "status": "expiring"})

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert ".xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert rows[0] == RENEWAL_HEADERS
    body = sorted(rows[1:])
    assert [row[0] for row in body] == ["Orange SA", "Revendu SAS"]
    orange = body[0]
    assert orange[1] == "TBox"
    assert orange[2] is None or orange[2] == ""
    assert orange[4].date() == cast["expiring"].term_end
    assert orange[6] == 7
    assert orange[7] == "Expiring"
    assert body[1][2] == "Alpha Revente"


def test_the_renewals_export_holds_only_subscriptions_to_renew(cast, partner_user):
    rows = read_csv(browser(partner_user).get("/renewals/", {"export": "csv"}))

    assert sorted(row[0] for row in rows[1:]) == ["Orange SA", "Revendu SAS", "Rouge SARL"]


def test_the_export_speaks_the_users_language(cast, partner_user):
    response = browser(partner_user, language="fr").get("/renewals/", {"export": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    # French spreadsheets split on ";", and dates read day first.
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows[0]) == len(RENEWAL_HEADERS)
    expiring = next(row for row in rows[1:] if row[0] == "Orange SA")
    assert expiring[7] != "Expiring"
    assert expiring[4] == cast["expiring"].term_end.strftime("%d/%m/%Y")


def test_the_csv_of_english_users_is_comma_separated(cast, partner_user):
    response = browser(partner_user).get("/clients/", {"export": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Client name,Product,")


def _many_clients(partner, product, count, today, *, first=0):
    """`count` clients with one subscription each, in three INSERTs: enough rows for the
    export to read several chunks without a test that takes minutes."""
    clients = Client.objects.bulk_create(
        Client(name=f"Masse {index:05d}", partner=partner)
        for index in range(first, first + count)
    )
    end = today + datetime.timedelta(days=200)
    start = end - datetime.timedelta(days=364)
    subscriptions = Subscription.objects.bulk_create(
        Subscription(client=client, product=product, term_start=start, term_end=end, users=2,
                     years=1)
        for client in clients
    )
    Term.objects.bulk_create(
        Term(subscription=subscription, kind=TermKind.CREATION, start_date=start, end_date=end,
             users=2, years=1)
        for subscription in subscriptions
    )


def test_an_xlsx_export_holds_every_row_however_many_chunks_they_take(
    alpha, tbox, partner_user, today, monkeypatch
):
    # Several chunks of rows, the last one partial, without writing thousands of rows.
    monkeypatch.setattr(exports, "CHUNK_SIZE", 7)
    _many_clients(alpha, tbox, 45, today)

    rows = read_xlsx(browser(partner_user).get("/clients/", {"export": "xlsx", "sort": "name"}))

    assert rows[0] == CLIENT_LIST_HEADERS
    assert [row[0] for row in rows[1:]] == [f"Masse {index:05d}" for index in range(45)]


def _peak_memory_of_an_xlsx_export(user):
    """The most memory Python held while the export was built, read back afterwards."""
    http = browser(user)
    tracemalloc.start()
    try:
        response = http.get("/clients/", {"export": "xlsx"})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, read_xlsx(response)


def test_an_xlsx_export_takes_no_more_memory_for_ten_times_the_rows(
    alpha, tbox, partner_user, today, monkeypatch
):
    # Memory is the chunk's, not the file's: with 50-row chunks, 300 and 3 000 rows are
    # built within the same memory (rows kept in memory, as tablib did, take about 1 KB
    # each: 2.7 MB more for the larger export, far above the margin allowed here).
    monkeypatch.setattr(exports, "CHUNK_SIZE", 50)
    _many_clients(alpha, tbox, 300, today)
    _peak_memory_of_an_xlsx_export(partner_user)  # caches and catalogues loaded once
    small_peak, small_rows = _peak_memory_of_an_xlsx_export(partner_user)
    _many_clients(alpha, tbox, 2700, today, first=300)

    large_peak, large_rows = _peak_memory_of_an_xlsx_export(partner_user)

    assert (len(small_rows), len(large_rows)) == (301, 3001)
    assert large_peak < small_peak + 512 * 1024, (small_peak, large_peak)


def test_an_export_link_on_the_list_keeps_the_filters_and_drops_the_page(cast, partner_user):
    response = browser(partner_user).get(
        "/clients/", {"product": "TBOX", "status": "expiring", "page": 1}
    )

    [export] = by_testid(response, "export-xlsx")
    link = export.attrs["href"]
    assert "export=xlsx" in link
    assert "product=TBOX" in link
    assert "status=expiring" in link
    assert "page=" not in link


def test_anonymous_users_cannot_export():
    response = HttpClient().get("/clients/", {"export": "csv"})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
