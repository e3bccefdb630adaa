"""What a user sees around the lists: an empty list says whether its filters left nothing
(with a link clearing them) or there is nothing at all, in French and English; the
"not renewing" filter is a box the user can tick; a read-only user's lists have no
empty Actions column."""

import datetime

import pytest

from subscriptions import services
from tests.helpers.html import by_testid, elements, row_ids, text_of

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _list_rows(page):
    hooks = ("data-subscription-id", "data-client-id", "data-movement-id")
    return elements(page, lambda tag, attrs: tag == "tr" and any(h in attrs for h in hooks))


def _clear_link(page):
    links = by_testid(page, "clear-filters")
    assert len(links) == 1
    return links[0]


# --- empty states ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "filtered"),
    [
        ("/clients/?q=nobody-by-that-name", "No subscription matches these filters."),
        ("/clients/?by=company&q=nobody-by-that-name", "No client matches these filters."),
        ("/renewals/?status=expired", "No subscription to renew matches these filters."),
        ("/licenses/?kind=import", "No ledger line matches these filters."),
    ],
)
def test_a_list_emptied_by_its_filters_says_so_and_offers_to_clear_them(
    browse, expiring, partner_user, url, filtered
):
    page = browse(partner_user).get(url)
    assert _list_rows(page) == []
    text = text_of(page)
    assert filtered in text
    assert "Nothing to renew" not in text
    link = _clear_link(page)
    assert link.text == "Clear the filters"
    # The link clears the filters and keeps the rest (the grouping by company).
    path = url.split("?")[0]
    assert link.attrs["href"] == (f"{path}?by=company" if "by=company" in url else path)
    assert _list_rows(browse(partner_user).get(link.attrs["href"]))


def test_clearing_keeps_the_sort_and_the_rows_per_page(browse, expiring, partner_user):
    page = browse(partner_user).get("/clients/?q=nobody&status=expired&sort=-end&per_page=50")
    assert _clear_link(page).attrs["href"] == "/clients/?sort=-end&per_page=50"


@pytest.mark.parametrize(
    ("url", "unfiltered"),
    [
        ("/clients/", "No subscription yet."),
        ("/clients/?by=company", "No client yet."),
        ("/renewals/", "Nothing to renew: no subscription is expiring or expired."),
        ("/licenses/", "No license movement."),
    ],
)
def test_an_empty_list_without_filters_keeps_its_own_message(
    browse, partner_user, url, unfiltered
):
    page = browse(partner_user).get(url)
    text = text_of(page)
    assert unfiltered in text
    assert "matches these filters" not in text
    assert not by_testid(page, "clear-filters")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/clients/?q=personne", "Aucun abonnement ne correspond à ces filtres."),
        ("/clients/?by=company&q=personne", "Aucun client ne correspond à ces filtres."),
        (
            "/renewals/?status=expired",
            "Aucun abonnement à renouveler ne correspond à ces filtres.",
        ),
        ("/licenses/?kind=import", "Aucun mouvement ne correspond à ces filtres."),
    ],
)
def test_the_filtered_empty_states_in_french(browse, expiring, partner_user, url, message):
    page = browse(partner_user, language="fr").get(url)
    assert message in text_of(page)
    assert _clear_link(page).text == "Effacer les filtres"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/clients/", "Aucun abonnement pour l’instant."),
        ("/clients/?by=company", "Aucun client pour l’instant."),
        ("/licenses/", "Aucun mouvement de licences."),
    ],
)
def test_the_unfiltered_empty_states_in_french(browse, partner_user, url, message):
    page = browse(partner_user, language="fr").get(url)
    assert message in text_of(page)
    assert not by_testid(page, "clear-filters")


# --- the "not renewing" box ---------------------------------------------------------------


def _not_renewing_box(page):
    boxes = elements(
        page,
        lambda tag, attrs: tag == "input"
        and attrs.get("name") == "not_renewing"
        and attrs.get("type") != "hidden",
    )
    # (The bulk renewal form repeats the list's filters in hidden fields.)
    assert len(boxes) == 1
    return boxes[0]


def test_the_renewals_filter_has_a_not_renewing_box(browse, expiring, partner_user):
    client = browse(partner_user)
    page = client.get("/renewals/")
    box = _not_renewing_box(page)
    assert box.attrs["type"] == "checkbox" and box.attrs["value"] == "1"
    assert "checked" not in box.attrs
    labels = elements(
        page, lambda tag, attrs: tag == "label" and attrs.get("for") == box.attrs["id"]
    )
    assert [label.text for label in labels] == ["Not renewing"]
    assert row_ids(page) == [expiring.pk]

    services.mark_not_renewing(actor=partner_user, subscription_id=expiring.pk, reason="price")
    assert row_ids(client.get("/renewals/")) == []
    # What the form sends when the box is ticked: the marked one, the box still ticked.
    ticked = client.get("/renewals/?not_renewing=1")
    assert row_ids(ticked) == [expiring.pk]
    assert "checked" in _not_renewing_box(ticked).attrs


def test_the_box_unticked_filters_nothing_on_the_client_list(
    browse, alpha, tbox, make_subscription, expiring, partner_user, today
):
    other = make_subscription(alpha, tbox, start=today - 10 * DAY)
    services.mark_not_renewing(actor=partner_user, subscription_id=expiring.pk, reason="price")
    client = browse(partner_user)
    # The form sent without the box ticked: every row, the marked one included.
    assert sorted(row_ids(client.get("/clients/?q=&status="))) == sorted([expiring.pk, other.pk])
    assert row_ids(client.get("/clients/?not_renewing=1")) == [expiring.pk]


# --- no empty Actions column for a read-only user -----------------------------------------


def _headers(page):
    return [th.text for th in elements(page, lambda tag, attrs: tag == "th")]


def test_a_viewer_sees_no_actions_column(browse, expiring, partner_user, viewer_user):
    manager = browse(partner_user).get("/renewals/")
    assert "Actions" in _headers(manager)
    assert by_testid(manager, "renew")

    page = browse(viewer_user).get("/renewals/")
    assert row_ids(page) == [expiring.pk]
    assert "Actions" not in _headers(page)
    assert not by_testid(page, "renew")
    cells = elements(page, lambda tag, attrs: tag == "td", within=lambda t, a: t == "tbody")
    assert all(cell.text for cell in cells)

    record = f"/clients/{expiring.client_id}/"
    assert "Actions" in _headers(browse(partner_user).get(record))
    assert "Actions" not in _headers(browse(viewer_user).get(record))
