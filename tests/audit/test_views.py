"""`/account/audit/` (docs/interface.md "Audit log"): who reads which rows, the filters,
the CSV export and the menu's link."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, OrganizationKind
from audit.models import Action
from audit.services import record
from tests.helpers.html import by_testid, elements, text_of

URL = "/account/audit/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def audit_rows(page):
    return elements(page, lambda tag, attrs: attrs.get("data-testid") == "audit-row")


def labels(page):
    """What each row concerns, in page order, but for the logins of the test's own
    browser (each `browse(user)` signs in, and that is recorded too)."""
    cells = elements(
        page, lambda tag, attrs: tag == "td" and attrs.get("data-label") == "Concerning"
    )
    actions = [row.attrs["data-action"] for row in audit_rows(page)]
    return [
        " ".join(cell.text.split())
        for action, cell in zip(actions, cells, strict=True) if action != "login"
    ]


@pytest.fixture
def sibling(alpha):
    return Organization.objects.create(
        kind=OrganizationKind.RESELLER, name="Alpha Autre", parent=alpha
    )


@pytest.fixture
def log(alpha, alpha_reseller, sibling, beta, partner_user, reseller_user,
        other_partner_user):
    """One row per organization, and one of none (a staff member's)."""
    record(Action.RENEWAL, actor=partner_user, organization=alpha, label="alpha-row",
           before={"end_date": "2025-07-31"}, after={"end_date": "2026-07-31"})
    record(Action.ROLE_CHANGED, actor=reseller_user, organization=alpha_reseller,
           label="reseller-row", before={"role": "read_only"}, after={"role": "manager"})
    record(Action.UNDO, actor=None, organization=sibling, label="sibling-row")
    record(Action.SETTINGS_CHANGED, actor=other_partner_user, organization=beta,
           label="beta-row")
    record(Action.MFA_RESET, actor=None, organization=None, label="staff-row")


def test_anonymous_is_sent_to_the_login(browse):
    answer = browse().get(URL)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_a_partner_reads_its_rows_and_its_resellers_newest_first(browse, partner_user, log):
    page = browse(partner_user).get(URL)
    assert page.status_code == 200
    assert labels(page) == ["sibling-row", "reseller-row", "alpha-row"]
    assert [row.attrs["data-action"] for row in audit_rows(page)][1:] == [
        "undo", "role_changed", "renewal"
    ]
    assert audit_rows(page)[0].attrs["data-action"] == "login"


def test_a_reseller_reads_only_its_own_rows(browse, reseller_user, log):
    page = browse(reseller_user).get(URL)
    assert labels(page) == ["reseller-row"]
    assert "alpha-row" not in page.content.decode()
    assert "sibling-row" not in page.content.decode()


def test_a_read_only_member_reads_the_log_and_finds_it_in_the_menu(browse, viewer_user, log):
    client = browse(viewer_user)
    page = client.get(URL)
    assert page.status_code == 200
    assert labels(page) == ["sibling-row", "reseller-row", "alpha-row"]
    assert by_testid(client.get("/"), "audit-log-link")[0].attrs["href"] == URL


def test_staff_read_every_organizations_rows(browse, staff, log):
    page = browse(staff).get(URL)
    assert set(labels(page)) == {
        "alpha-row", "reseller-row", "sibling-row", "beta-row", "staff-row"
    }


def test_a_user_of_no_organization_is_refused(browse, db, django_user_model, log):
    stranger = django_user_model.objects.create_user("stranger", password="stranger")
    assert browse(stranger).get(URL).status_code == 403


def test_the_rows_show_the_values_before_and_after(browse, partner_user, log):
    page = browse(partner_user).get(URL + "?action=renewal")
    text = text_of(page)
    assert "2025-07-31 → 2026-07-31" in text
    assert "partner" in text


def test_it_filters_by_action_who_text_and_dates(browse, partner_user, log):
    client = browse(partner_user)
    assert labels(client.get(URL + "?action=role_changed")) == ["reseller-row"]
    assert labels(client.get(URL + "?who=resell")) == ["reseller-row"]
    assert labels(client.get(URL + "?q=sibling")) == ["sibling-row"]
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    assert len(labels(client.get(URL + f"?date_from={today}&date_to={today}"))) == 3
    assert labels(client.get(URL + f"?date_to={today - day}")) == []
    assert labels(client.get(URL + f"?date_from={today + day}")) == []


def test_the_calendars_first_and_last_days_keep_every_row(browse, partner_user, log):
    client = browse(partner_user)
    for query in ("date_to=9999-12-31", "date_from=0001-01-01", "date_to=9999-12-30"):
        page = client.get(URL + "?" + query)
        assert page.status_code == 200, query
        assert len(labels(page)) == 3, query


def test_a_bad_filter_is_an_error_at_the_field_not_a_500(browse, partner_user, log):
    page = browse(partner_user).get(URL + "?date_from=31-02-2025&action=nope")
    assert page.status_code == 200
    assert labels(page) == []
    errors = elements(page, lambda tag, attrs: attrs.get("role") == "alert")
    assert len(errors) == 2


def read_csv(answer):
    """The header and the lines, but for the test browser's own logins."""
    body = b"".join(answer.streaming_content).decode("utf-8-sig")
    header, *lines = csv.reader(io.StringIO(body))
    return [header, *(line for line in lines if line[2] != "login")]


def test_the_csv_export_keeps_the_filters_and_the_scope(browse, partner_user, log):
    answer = browse(partner_user).get(URL + "?export=csv&action=role_changed")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    header, *lines = read_csv(answer)
    assert header[:4] == ["Date", "Action", "Action code", "Who"]
    assert [line[2] for line in lines] == ["role_changed"]
    line = dict(zip(header, lines[0], strict=True))
    assert (line["Who"], line["Organization"], line["Concerning"]) == (
        "reseller", "Alpha Revente", "reseller-row"
    )
    assert line["Before"] == '{"role": "read_only"}'
    assert line["After"] == '{"role": "manager"}'

    everything = read_csv(browse(partner_user).get(URL + "?export=csv"))
    assert sorted(line[10] for line in everything[1:]) == [
        "alpha-row", "reseller-row", "sibling-row"
    ]


def test_the_csv_export_defuses_spreadsheet_formulas(browse, partner_user, alpha):
    record(Action.LOGIN_FAILED, actor=None, organization=alpha, actor_name="=HYPERLINK(1)",
           label="=cmd")
    header, line = read_csv(browse(partner_user).get(URL + "?export=csv"))
    assert line[3] == "'=HYPERLINK(1)"
    assert line[10] == "'=cmd"


def test_the_page_speaks_french(browse, partner_user, log):
    page = browse(partner_user, language="fr").get(URL)
    text = text_of(page)
    assert "Journal d’audit" in text
    assert "Rôle modifié" in text
    assert "Connexion" in text


def test_the_page_reads_the_same_number_of_queries_for_3_rows_or_30(
    browse, partner_user, alpha, alpha_reseller
):
    from tests.helpers.web import queries_for

    client = browse(partner_user)
    for organization in (alpha, alpha_reseller, alpha):
        record(Action.GRANT, organization=organization, label="row")
    few = queries_for(client, URL)
    for _ in range(9):
        for organization in (alpha, alpha_reseller, alpha):
            record(Action.GRANT, organization=organization, label="row")
    assert queries_for(client, URL) == few
