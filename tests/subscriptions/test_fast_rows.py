"""The tables render their rows in one pass (FastRowsMixin), with the very markup
django-tables2 would have produced cell by cell: same row hooks, same cells."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import dateformat, translation

from subscriptions import selectors, services
from subscriptions.models import LicenseMovement
from subscriptions.tables import ClientListTable, MovementTable, RenewalTable, _plain_date_writer


@pytest.fixture
def rows(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, partner_user, today):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 100)
    year_ago = today - datetime.timedelta(days=360)
    # A name to escape: rows escaped twice once showed "d&amp;#x27;Études" on the page.
    make_subscription(
        alpha, tbox, start=year_ago, end=today + datetime.timedelta(days=10), users=3,
        name="Bureau d'Études & Fils <SA>",
    )
    make_subscription(
        alpha, tsend, reseller=alpha_reseller, start=year_ago,
        end=today - datetime.timedelta(days=3),
    )
    make_subscription(alpha, tbox, start=today + datetime.timedelta(days=20))
    renewed = make_subscription(
        alpha, tbox, start=year_ago, end=today + datetime.timedelta(days=5), users=2
    )
    services.renew_subscription(actor=partner_user, subscription_id=renewed.pk, years=1)
    return partner_user


def by_django_tables2(table):
    out = []
    for row in table.paginated_rows:
        cells = [(column.attrs["td"].as_html(), str(cell)) for column, cell in row.items()]
        out.append((row.attrs.as_html(), cells))
    return out


def by_fast_rows(table):
    return [(attrs, [(td, str(cell)) for td, cell in cells]) for attrs, cells in table.fast_rows()]


@pytest.mark.parametrize("table_class", [ClientListTable, RenewalTable])
@pytest.mark.parametrize("can_manage", [True, False])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_it_renders_subscription_rows_exactly_as_django_tables2(
    rows, table_class, can_manage, language
):
    request = RequestFactory().get("/clients/?sort=-end")
    request.user = rows
    with translation.override(language):
        table = table_class(
            selectors.subscription_rows(rows).order_by("pk"), can_manage=can_manage
        )
        table.request = request
        table.paginate(per_page=25)
        expected = by_django_tables2(table)
        assert len(expected) >= 3
        assert by_fast_rows(table) == expected


def test_it_renders_ledger_rows_exactly_as_django_tables2(rows):
    with translation.override("en"):
        table = MovementTable(LicenseMovement.objects.visible_to(rows).order_by("-pk"))
        table.paginate(per_page=25)
        expected = by_django_tables2(table)
        assert len(expected) >= 3
        assert by_fast_rows(table) == expected


def test_it_says_so_when_no_row_matches(rows):
    with translation.override("en"):
        table = ClientListTable(selectors.subscription_rows(rows).none())
        table.paginate(per_page=25)
        assert "No subscription matches these filters." in table.rows_html()


@pytest.mark.parametrize("url", ["/clients/", "/renewals/"])
def test_a_name_with_quotes_and_ampersands_is_escaped_once_on_the_page(rows, url, settings):
    from django.test import Client as HttpClient

    settings.SECURE_SSL_REDIRECT = False
    client = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(rows)
    page = client.get(url).content.decode()
    assert "Bureau d&#x27;Études &amp; Fils &lt;SA&gt;</a>" in page
    assert "&amp;#x27;" not in page and "&amp;amp;" not in page


@pytest.mark.parametrize("format_string", ["d/m/Y", "m/d/Y", "j.n.y", "Y-m-d"])
def test_dates_written_directly_read_as_django_writes_them(format_string):
    write = _plain_date_writer(format_string)
    for day in (datetime.date(2026, 1, 5), datetime.date(999, 12, 31), datetime.date(2030, 10, 20)):
        assert write(day) == dateformat.format(day, format_string)


@pytest.mark.parametrize("format_string", ["d M Y", "l j F", r"\d\e j", "N j, Y"])
def test_month_names_and_escapes_are_left_to_django(format_string):
    assert _plain_date_writer(format_string) is None
