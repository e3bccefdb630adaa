"""The client list and the renewals list: their rows' hooks, filters, sorting and pages."""

import datetime

import pytest
from django.utils import formats, translation

from subscriptions.models import LicensePool
from subscriptions.status import Status
from tests.helpers.html import by_testid, elements, field_has_error, row_ids, rows, text_of

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
    assert "table-not-started" in classes[Status.NOT_STARTED]
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


def _css_colour(name):
    import re
    from pathlib import Path

    css = (Path(__file__).resolve().parents[3] / "static/portal/css/portal.css").read_text()
    value = re.search(rf"--{name}:\s*#([0-9a-f]{{6}})", css).group(1)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb):
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_not_started_is_blue_with_readable_contrast(browse, portfolio, partner_user):
    import colorsys

    page = browse(partner_user).get("/clients/")
    not_started = [row for row in rows(page) if row.attrs["data-status"] == Status.NOT_STARTED]
    assert "table-not-started" in not_started[0].attrs["class"]
    assert elements(page, lambda tag, attrs: "badge-not-started" in attrs.get("class", ""))
    for name in ("portal-blue-bg", "portal-blue-strong"):
        hue = colorsys.rgb_to_hls(*_css_colour(name))[0] * 360
        # Cyan sits near 190°; what people call blue, from about 210° to 240°.
        assert 210 <= hue <= 240, (name, hue)
    # White on the badge's blue: WCAG AA for small text.
    strong = _luminance(_css_colour("portal-blue-strong"))
    assert (1.05) / (strong + 0.05) >= 4.5
