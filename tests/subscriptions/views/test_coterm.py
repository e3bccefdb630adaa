"""The co-terming simulator, /clients/<id>/coterm/ (rule 20)."""

import datetime
from types import SimpleNamespace

import pytest

from subscriptions.dates import span_cost
from subscriptions.models import LicenseMovement, LicensePool, MovementKind, Subscription
from subscriptions.selectors.coterm import month_end
from subscriptions.status import Status
from tests.helpers.html import (
    by_testid,
    field_has_error,
    figure,
    having,
    hidden_fields,
    options,
    text_of,
    visible_text,
)
from tests.helpers.ledger import balance, ledger_matches, ledger_state, status_of

DAY = datetime.timedelta(days=1)


@pytest.fixture
def family(alpha, beta, tbox, tsend, grant, make_subscription, today):
    """A client whose TBox ends in 20 days, TSend in 100 days and a second TBox expired
    10 days ago; Beta's client, another tenant's."""
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    grant(beta, tbox, 100)
    soon = make_subscription(alpha, tbox, end=today + 20 * DAY, users=4, name="Famille SA",
                             start=today - 300 * DAY)
    client = soon.client
    later = make_subscription(alpha, tsend, end=today + 100 * DAY, users=3, client=client,
                              start=today - 200 * DAY)
    lapsed = make_subscription(alpha, tbox, start=today - 400 * DAY, end=today - 10 * DAY,
                               users=2, client=client)
    stranger = make_subscription(beta, tbox, end=today + 20 * DAY, name="Beta Client",
                                 start=today - 300 * DAY)
    return SimpleNamespace(client=client, soon=soon, later=later, lapsed=lapsed,
                           stranger=stranger, url=f"/clients/{client.pk}/coterm/")


def lines(response):
    return {
        int(line.attrs["data-subscription-id"]): line.attrs
        for line in by_testid(response, "coterm-line")
    }


def test_it_opens_on_the_latest_current_end_and_shows_every_line(
    browse, family, partner_user, alpha, tbox, tsend, today
):
    response = browse(partner_user).get(family.url)

    assert response.status_code == 200
    end = today + 100 * DAY
    shown = lines(response)
    soon_cost = span_cost(4, today + 21 * DAY, end)
    lapsed_cost = span_cost(2, today, end)
    assert shown[family.soon.pk]["data-new-end"] == end.isoformat()
    assert shown[family.soon.pk]["data-cost"] == str(soon_cost)
    assert shown[family.lapsed.pk]["data-cost"] == str(lapsed_cost)
    assert shown[family.later.pk]["data-left-out"] == "ends_on_or_after"
    assert "Left out: It already ends on or after this date." in text_of(response)
    assert family.stranger.pk not in shown
    tbox_pool = LicensePool.objects.get(organization=alpha, product=tbox)
    [debit] = by_testid(response, "coterm-debit")
    assert debit.attrs["data-pool-id"] == str(tbox_pool.pk)
    assert figure(debit.text) == soon_cost + lapsed_cost
    assert figure(by_testid(response, "coterm-balance")[0].text) == 100
    assert figure(by_testid(response, "coterm-balance-after")[0].text) == (
        100 - soon_cost - lapsed_cost
    )
    selected = [value for value, _label, chosen in options(response, "end") if chosen]
    assert selected == [end.isoformat()]
    assert month_end(today + 40 * DAY).isoformat() in [v for v, _l, _s in options(response, "end")]
    posted = hidden_fields(response, "coterm-form")
    assert posted["end"] == [end.isoformat()]
    assert sorted(posted["subscriptions"]) == sorted([str(family.soon.pk), str(family.lapsed.pk)])
    assert posted["token"][0]
    assert b"subscriptions/coterm.js" in response.content


def test_unticking_and_refreshing_leaves_a_subscription_out(browse, family, partner_user, today):
    end = month_end(today + 40 * DAY)
    response = browse(partner_user).get(
        family.url, {"end": end.isoformat(), "chosen": "1", "subscriptions": [family.soon.pk]}
    )

    shown = lines(response)
    assert shown[family.soon.pk]["data-new-end"] == end.isoformat()
    assert shown[family.lapsed.pk]["data-left-out"] == "not_chosen"
    assert hidden_fields(response, "coterm-form")["subscriptions"] == [str(family.soon.pk)]


def test_ok_writes_what_the_preview_showed_and_returns_to_the_record(
    browse, family, partner_user, alpha, tbox, today
):
    page = browse(partner_user)
    preview = page.get(family.url)
    debit = figure(by_testid(preview, "coterm-debit")[0].text)

    response = page.post(family.url, hidden_fields(preview, "coterm-form"), follow=True)

    assert response.redirect_chain[-1][0] == f"/clients/{family.client.pk}/"
    assert "2 subscriptions aligned on" in text_of(response)
    assert balance(alpha, tbox) == 100 - debit
    assert ledger_matches(alpha, tbox)
    assert status_of(family.soon) == Status.RENEWED
    assert Subscription.objects.get(pk=family.lapsed.pk).term_start == today
    [line] = LicenseMovement.objects.filter(kind=MovementKind.COTERM)
    # The record lists the co-terming's debit although it names no single subscription.
    assert str(line.pk) in response.content.decode()


def test_the_licenses_page_names_the_client_of_a_co_terming_debit(
    browse, family, partner_user
):
    page = browse(partner_user)
    page.post(family.url, hidden_fields(page.get(family.url), "coterm-form"))
    [line] = LicenseMovement.objects.filter(kind=MovementKind.COTERM)

    [row] = having(page.get("/licenses/"), "data-movement-id", str(line.pk))

    assert "Famille SA" in row.text


def test_the_same_ok_twice_debits_once(browse, family, partner_user, alpha, tbox):
    page = browse(partner_user)
    data = hidden_fields(page.get(family.url), "coterm-form")
    page.post(family.url, data)
    after = balance(alpha, tbox)

    again = page.post(family.url, data, follow=True)

    assert balance(alpha, tbox) == after
    assert "2 subscriptions aligned on" in text_of(again)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "2099-01-15",
            "au plus 12\u00a0mois après la dernière échéance des périodes en cours "
            "du client\u00a0:",
        ),
        ("not a date", "Saisissez une date valide."),
        ("15/13/2030", "Saisissez une date valide."),
    ],
)
def test_a_date_rule_20_refuses_is_an_error_at_the_field_in_french(
    browse, family, partner_user, typed, said
):
    page = browse(partner_user, language="fr")
    data = hidden_fields(page.get(family.url), "coterm-form")
    before = ledger_state()

    response = page.post(family.url, {**data, "end": typed})

    assert response.status_code == 200
    assert field_has_error(response, "end")
    assert said in visible_text(response)
    assert ledger_state() == before


def test_ok_without_a_date_is_refused_at_the_field(browse, family, partner_user):
    page = browse(partner_user, language="fr")
    data = hidden_fields(page.get(family.url), "coterm-form")
    before = ledger_state()

    response = page.post(family.url, {**data, "end": ""})

    assert field_has_error(response, "end")
    assert "Choisissez l’échéance commune." in visible_text(response)
    assert ledger_state() == before


def test_the_record_shows_an_extension_in_days(browse, family, partner_user, today):
    page = browse(partner_user)
    page.post(family.url, hidden_fields(page.get(family.url), "coterm-form"))

    record = text_of(page.get(f"/clients/{family.client.pk}/"))

    # The expired one, from today to the TSend's end: 101 days for 2 users.
    assert "Co-term extension" in record and "2 users · 101 days" in record


def test_a_date_neither_an_end_nor_a_month_end_is_refused(browse, family, partner_user, today):
    day = today + 45 * DAY
    if day == month_end(day):
        day -= DAY
    page = browse(partner_user, language="fr")
    before = ledger_state()

    response = page.get(family.url, {"other_end": day.strftime("%d/%m/%Y")})

    assert field_has_error(response, "end")
    assert "dernier jour d’un mois" in by_testid(response, "coterm-end-error")[0].text
    assert not by_testid(response, "coterm-confirm")
    assert ledger_state() == before


def test_another_tenants_subscription_smuggled_in_is_never_extended(
    browse, family, partner_user, beta, tbox
):
    page = browse(partner_user)
    data = hidden_fields(page.get(family.url), "coterm-form")
    before = ledger_state()

    response = page.post(family.url, {**data, "subscriptions": [
        *data["subscriptions"], str(family.stranger.pk)
    ]})

    assert response.status_code == 200
    assert "not one of this client" in by_testid(response, "coterm-error")[0].text
    assert ledger_state() == before
    assert Subscription.objects.get(pk=family.stranger.pk).previous_term_end is None
    assert balance(beta, tbox) == 100


def test_a_short_pool_is_said_before_ok_and_refused_at_ok(
    browse, family, partner_user, alpha, tbox
):
    page = browse(partner_user)
    data = hidden_fields(page.get(family.url), "coterm-form")
    LicensePool.objects.filter(organization=alpha, product=tbox).update(balance=0)
    before = ledger_state()

    response = page.post(family.url, data)

    assert "Not enough licenses" in by_testid(response, "coterm-error")[0].text
    assert by_testid(response, "coterm-short")
    assert not by_testid(response, "coterm-confirm")
    assert ledger_state() == before


def test_read_only_users_get_403_and_other_tenants_404(
    browse, family, viewer_user, other_partner_user
):
    viewer = browse(viewer_user)
    assert viewer.get(family.url).status_code == 403
    assert viewer.post(family.url, {"end": "2030-01-31"}).status_code == 403
    other = browse(other_partner_user)
    assert other.get(family.url).status_code == 404
    assert other.post(family.url, {"end": "2030-01-31"}).status_code == 404


def test_the_record_offers_it_to_managers_only(browse, family, partner_user, viewer_user):
    record = f"/clients/{family.client.pk}/"
    [link] = by_testid(browse(partner_user, language="fr").get(record), "coterm")
    assert link.attrs["href"] == family.url and link.text.strip() == "Aligner les échéances"
    assert not by_testid(browse(viewer_user).get(record), "coterm")
