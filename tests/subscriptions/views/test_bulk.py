"""Bulk renewal in the browser: tick rows of Clients à renouveler, preview, OK."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from subscriptions.models import LicenseMovement, LicensePool, Term
from tests.helpers.html import by_testid, elements, hidden_fields
from tests.helpers.ledger import balance


@pytest.fixture
def due(make_subscription, today):
    def _due(partner, product, *, users=2, reseller=None, name=None):
        end = today + datetime.timedelta(days=12)
        return make_subscription(
            partner, product, start=end - relativedelta(years=1) + datetime.timedelta(days=1),
            end=end, users=users, reseller=reseller, name=name,
        )

    return _due


def _confirm_data(response):
    return hidden_fields(response, "bulk-confirm-form")


def test_each_row_of_the_renewals_list_has_a_box_in_a_form_posting_to_bulk(
    browse, partner_user, alpha, tbox, due
):
    subscription = due(alpha, tbox)
    response = browse(partner_user).get("/renewals/")
    boxes = elements(
        response,
        lambda tag, attrs: attrs.get("name") == "subscriptions"
        and attrs.get("value") == str(subscription.pk),
        within=lambda tag, attrs: tag == "form" and attrs.get("action") == "/renewals/bulk/",
    )
    assert boxes


def test_read_only_users_get_no_boxes_and_a_403_on_bulk(
    browse, viewer_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    subscription = due(alpha, tbox)
    assert 'name="subscriptions"' not in browse(viewer_user).get("/renewals/").content.decode()
    response = browse(viewer_user).post("/renewals/bulk/", {"subscriptions": [subscription.pk]})
    assert response.status_code == 403
    assert balance(alpha, tbox) == 100


def test_the_preview_shows_each_term_and_cost_and_the_debit_per_pool_then_ok_renews(
    browse, partner_user, alpha, alpha_reseller, tbox, grant, due
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    selection = [due(alpha, tbox, users=3), due(alpha, tbox, users=4),
                 due(alpha, tbox, users=5, reseller=alpha_reseller)]
    client = browse(partner_user)

    preview = client.post(
        "/renewals/bulk/", {"subscriptions": [s.pk for s in selection], "years": "2"}
    )

    assert preview.status_code == 200
    debits = {
        (element.attrs["data-pool-id"], element.attrs["data-product"]): element.text
        for element in by_testid(preview, "bulk-debit")
    }
    alpha_pool = LicensePool.objects.get(organization=alpha, product=tbox)
    reseller_pool = LicensePool.objects.get(organization=alpha_reseller, product=tbox)
    assert debits == {(str(alpha_pool.pk), "TBOX"): "14", (str(reseller_pool.pk), "TBOX"): "10"}
    after = {e.attrs["data-pool-id"]: e.text for e in by_testid(preview, "bulk-balance-after")}
    assert after == {str(alpha_pool.pk): "86", str(reseller_pool.pk): "40"}
    lines = elements(preview, lambda tag, attrs: tag == "tr" and "data-licenses" in attrs)
    assert sorted(int(line.attrs["data-licenses"]) for line in lines) == [6, 8, 10]
    new_start = selection[0].term_end + datetime.timedelta(days=1)
    assert {line.attrs["data-start"] for line in lines} == {new_start.isoformat()}
    assert balance(alpha, tbox) == 100  # a preview changes nothing

    confirm = client.post("/renewals/bulk/", _confirm_data(preview))
    assert confirm.status_code == 302
    assert confirm["Location"] == "/renewals/"
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (86, 40)
    assert LicenseMovement.objects.filter(kind="renewal").count() == 3
    page = client.get("/renewals/")
    assert elements(page, lambda tag, attrs: attrs.get("role") in ("status", "alert"))

    # The same confirmation again (double click, retry): nothing more.
    again = client.post("/renewals/bulk/", _confirm_data(preview))
    assert again.status_code == 302
    assert (balance(alpha, tbox), balance(alpha_reseller, tbox)) == (86, 40)


def test_all_rows_matching_the_filters_selects_the_filtered_rows(
    browse, partner_user, alpha, tbox, tsend, grant, due
):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    tbox_rows = [due(alpha, tbox), due(alpha, tbox)]
    due(alpha, tsend)
    preview = browse(partner_user).post(
        "/renewals/bulk/", {"all_matching": "1", "product": "TBOX"}
    )
    assert preview.status_code == 200
    selected = {int(v) for v in _confirm_data(preview)["subscriptions"]}
    assert selected == {s.pk for s in tbox_rows}


SHORT_POOLS = {
    "en": (
        "Nothing was renewed: the licenses remaining do not cover the selection.",
        [
            "2 licenses of TBox are missing in the pool of Alpha Distribution "
            "(5 remaining, 7 needed).",
            "1 license of TSend is missing in the pool of Alpha Distribution "
            "(1 remaining, 2 needed).",
        ],
    ),
    "fr": (
        "Aucun abonnement n’a été renouvelé\u00a0: les licences restantes ne couvrent pas "
        "la sélection.",
        [
            "Il manque 2 licences TBox à Alpha Distribution (restantes\u00a0: 5, "
            "nécessaires\u00a0: 7).",
            "Il manque 1 licence TSend à Alpha Distribution (restantes\u00a0: 1, "
            "nécessaires\u00a0: 2).",
        ],
    ),
}


@pytest.mark.parametrize("language", sorted(SHORT_POOLS))
def test_each_short_pool_is_one_sentence_and_nothing_is_renewed(
    browse, partner_user, alpha, tbox, tsend, grant, due, language
):
    grant(alpha, tbox, 5)
    grant(alpha, tsend, 1)
    selection = [due(alpha, tbox, users=3), due(alpha, tbox, users=4), due(alpha, tsend)]
    client = browse(partner_user, language=language)
    preview = client.post("/renewals/bulk/", {"subscriptions": [s.pk for s in selection]})
    assert preview.status_code == 200
    [error] = by_testid(preview, "bulk-error")
    headline, sentences = SHORT_POOLS[language]
    # The hooks' text has its spaces squeezed; the page has every no-break space.
    assert error.text.startswith(" ".join(headline.split()))
    details = [e.text for e in by_testid(preview, "bulk-error-detail")]
    assert details == [" ".join(sentence.split()) for sentence in sentences]
    html = preview.content.decode()
    assert all(sentence in html for sentence in [headline, *sentences])
    assert not by_testid(preview, "bulk-confirm-form")
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (5, 1)


def test_a_confirmation_refused_under_way_re_renders_with_the_message(
    browse, partner_user, alpha, tbox, grant, due
):
    from subscriptions import services

    grant(alpha, tbox, 10)
    selection = [due(alpha, tbox, users=3), due(alpha, tbox, users=4)]
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/", {"subscriptions": [s.pk for s in selection]})
    # Someone else spends the licenses between the preview and OK.
    services.renew_subscription(actor=partner_user, subscription_id=selection[0].pk, years=1)
    response = client.post("/renewals/bulk/", _confirm_data(preview))
    assert response.status_code == 200
    assert by_testid(response, "bulk-error")
    assert balance(alpha, tbox) == 7
    assert Term.objects.filter(subscription=selection[1], kind="renewal").count() == 0


def test_an_id_out_of_scope_is_404_and_nothing_changes(
    browse, partner_user, alpha, beta, tbox, grant, due
):
    grant(alpha, tbox, 100)
    grant(beta, tbox, 100)
    mine, theirs = due(alpha, tbox), due(beta, tbox)
    client = browse(partner_user)
    both = {"subscriptions": [mine.pk, theirs.pk]}
    assert client.post("/renewals/bulk/", both).status_code == 404
    assert client.post("/renewals/bulk/", {"subscriptions": ["abc"]}).status_code == 404
    data = {"subscriptions": [mine.pk, theirs.pk], "confirm": "1", "years": "1"}
    assert client.post("/renewals/bulk/", data).status_code == 404
    assert (balance(alpha, tbox), balance(beta, tbox)) == (100, 100)


def test_a_confirmation_without_a_valid_token_changes_nothing(
    browse, partner_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    subscription = due(alpha, tbox)
    response = browse(partner_user).post(
        "/renewals/bulk/", {"subscriptions": [subscription.pk], "confirm": "1", "token": "x"}
    )
    assert response.status_code == 400
    assert balance(alpha, tbox) == 100


def test_get_is_not_allowed(browse, partner_user, alpha, tbox):
    assert browse(partner_user).get("/renewals/bulk/").status_code == 405


def test_a_renewed_subscription_in_the_selection_is_explained(
    browse, partner_user, alpha, tbox, grant, due, make_subscription
):
    grant(alpha, tbox, 100)
    renewed = make_subscription(alpha, tbox, renewal_years=1, name="Already SA")
    response = browse(partner_user).post(
        "/renewals/bulk/", {"subscriptions": [due(alpha, tbox).pk, renewed.pk]}
    )
    assert response.status_code == 200
    assert "Already SA" in by_testid(response, "bulk-error")[0].text
    assert not by_testid(response, "bulk-confirm-form")


def _ok_with_years_changed(preview, years):
    """What the browser sends when the user picks `years` next to OK and presses OK."""
    return {**_confirm_data(preview), "years_selected": str(years)}


def _debit(response):
    return [element.text for element in by_testid(response, "bulk-debit")]


def test_ok_pressed_after_changing_the_years_renews_nothing_and_previews_the_new_years(
    browse, partner_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    selection = [due(alpha, tbox, users=3), due(alpha, tbox, users=4)]
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/", {"subscriptions": [s.pk for s in selection]})
    assert _debit(preview) == ["7"]
    movements = LicenseMovement.objects.count()

    response = client.post("/renewals/bulk/", _ok_with_years_changed(preview, 3))

    assert response.status_code == 200
    assert balance(alpha, tbox) == 100
    assert LicenseMovement.objects.count() == movements
    assert not Term.objects.filter(subscription__in=selection, kind="renewal").exists()
    notice = by_testid(response, "bulk-years-changed")
    assert notice and "Nothing was renewed" in notice[0].text and "3 years" in notice[0].text
    # The preview now shows three years, and its OK renews three years.
    assert _debit(response) == ["21"]
    new_start = selection[0].term_end + datetime.timedelta(days=1)
    three_years = new_start + relativedelta(years=3) - datetime.timedelta(days=1)
    lines = elements(response, lambda tag, attrs: tag == "tr" and "data-licenses" in attrs)
    assert {line.attrs["data-end"] for line in lines} == {three_years.isoformat()}
    assert _confirm_data(response)["years"] == ["3"]

    confirm = client.post("/renewals/bulk/", _ok_with_years_changed(response, 3))
    assert confirm.status_code == 302
    assert balance(alpha, tbox) == 79
    terms = Term.objects.filter(subscription__in=selection, kind="renewal")
    assert {term.end_date for term in terms} == {three_years}


def test_the_refresh_button_previews_the_years_chosen_and_renews_nothing(
    browse, partner_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    selection = [due(alpha, tbox, users=3)]
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/", {"subscriptions": [s.pk for s in selection]})

    response = client.post(
        "/renewals/bulk/", {**_ok_with_years_changed(preview, 2), "refresh": "1"}
    )

    assert response.status_code == 200
    assert _debit(response) == ["6"]
    assert not by_testid(response, "bulk-years-changed")
    assert balance(alpha, tbox) == 100
    assert not Term.objects.filter(subscription__in=selection, kind="renewal").exists()


def test_years_that_are_not_a_choice_are_an_error_at_the_field_and_renew_nothing(
    browse, partner_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    selection = [due(alpha, tbox, users=3)]
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/", {"subscriptions": [s.pk for s in selection]})
    movements = LicenseMovement.objects.count()

    for data in (_ok_with_years_changed(preview, 9), {**_confirm_data(preview), "years": "x"}):
        response = client.post("/renewals/bulk/", data)
        assert response.status_code == 200
        error = by_testid(response, "bulk-years-error")
        assert error and "between 1 and 5" in error[0].text
        assert not by_testid(response, "bulk-confirm-form")
    assert balance(alpha, tbox) == 100
    assert LicenseMovement.objects.count() == movements


def test_the_years_changed_message_is_in_french_for_a_french_reader(
    browse, partner_user, alpha, tbox, grant, due
):
    grant(alpha, tbox, 100)
    client = browse(partner_user, language="fr")
    preview = client.post("/renewals/bulk/", {"subscriptions": [due(alpha, tbox).pk]})

    response = client.post("/renewals/bulk/", _ok_with_years_changed(preview, 2))

    notice = by_testid(response, "bulk-years-changed")[0].text
    assert "Rien n’a été renouvelé" in notice and "2 ans" in notice
    # French typography: a no-break space before the colon (the reader folds spaces).
    assert "renouvelé\u00a0:" in response.content.decode()
    help_text = by_testid(response, "bulk-years-help")[0].text
    assert "OK renouvelle pour 2 ans" in help_text
    assert "Actualiser l’aperçu" in response.content.decode()
    assert balance(alpha, tbox) == 100
