"""The renewal plan page (rules 22, 23; docs/interface.md): managers only, scoped, errors
at the field in the user's language, the plan filling the renewal form, and the forecast
counting it on the pages and in the API alike."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from rest_framework.test import APIClient

from api.models import ApiToken
from subscriptions.models import Subscription
from tests.helpers import web
from tests.helpers.html import by_testid, field_has_error, field_value, rows, text_of

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture
def ending(alpha, tbox, make_subscription, today):
    end = today + datetime.timedelta(days=20)
    return make_subscription(alpha, tbox, start=end - relativedelta(years=1) +
                             datetime.timedelta(days=1), end=end, users=5)


def url(subscription):
    return f"/subscriptions/{subscription.pk}/renewal-plan/"


def test_a_manager_sets_the_plan_and_auto_renew(partner_user, ending):
    browser = web.browser(partner_user)
    assert browser.get(url(ending)).status_code == 200
    response = browser.post(url(ending), {"auto_renew": "on", "users": "8", "years": "2"},
                            follow=True)
    assert response.redirect_chain[-1][0] == f"/clients/{ending.client_id}/"
    assert "will renew automatically for 8 users and 2 years" in text_of(response)
    ending.refresh_from_db()
    assert (ending.auto_renew, ending.renewal_users, ending.renewal_years) == (True, 8, 2)
    # Blank figures: no plan; an unticked box: no auto-renew.
    browser.post(url(ending), {"users": "", "years": ""})
    ending.refresh_from_db()
    assert (ending.auto_renew, ending.renewal_users, ending.renewal_years) == (
        False, None, None)


@pytest.mark.parametrize("data, field, french", [
    ({"users": "5", "years": "6"}, "years", "inférieure ou égale à 5"),
    ({"users": "0", "years": "1"}, "users", "supérieure ou égale à 1"),
    ({"users": "100001", "years": "1"}, "users", "inférieure ou égale à 100000"),
    ({"users": "abc", "years": "1"}, "users", "nombre entier"),
    ({"users": "5", "years": ""}, "years", "nombre d’années du renouvellement prévu"),
])
def test_bad_figures_are_refused_at_the_field_in_french(partner_user, ending, data, field,
                                                        french):
    response = web.browser(partner_user, language="fr").post(url(ending), data)
    assert response.status_code == 200
    assert field_has_error(response, field)
    assert french in text_of(response).replace("\u202f", "").replace("\xa0", " ")
    ending.refresh_from_db()
    assert (ending.renewal_users, ending.renewal_years, ending.auto_renew) == (None, None, False)


def test_read_only_users_get_403_and_other_tenants_404(viewer_user, other_partner_user, ending):
    for method in ("get", "post"):
        assert getattr(web.browser(viewer_user), method)(url(ending)).status_code == 403
        assert getattr(web.browser(other_partner_user), method)(url(ending)).status_code == 404
    ending.refresh_from_db()
    assert not ending.auto_renew


def test_a_subscription_marked_not_renewing_cannot_be_switched_on(partner_user, ending):
    Subscription.objects.filter(pk=ending.pk).update(not_renewing_reason="price")
    response = web.browser(partner_user).post(url(ending), {"auto_renew": "on"})
    assert field_has_error(response, "auto_renew")
    ending.refresh_from_db()
    assert not ending.auto_renew


def test_the_plan_fills_the_renewal_form(partner_user, ending):
    Subscription.objects.filter(pk=ending.pk).update(renewal_users=9, renewal_years=3)
    page = web.browser(partner_user).get(f"/subscriptions/{ending.pk}/renew/")
    assert (field_value(page, "users"), field_value(page, "years")) == ("9", "3")


def test_the_forecast_counts_the_plan_on_the_pages_and_in_the_api(
    partner_user, alpha, tbox, grant, ending, make_subscription, today
):
    grant(alpha, tbox, 10)
    end = today + datetime.timedelta(days=40)
    other = make_subscription(alpha, tbox, start=end - relativedelta(years=1) +
                              datetime.timedelta(days=1), end=end, users=4)
    Subscription.objects.filter(pk=ending.pk).update(renewal_users=6, renewal_years=2)
    pool = alpha.pools.get(product=tbox)
    # 6 × 2 for the planned one, 4 × 1 for the other.
    for page in ("/", "/licenses/"):
        [hook] = [e for e in by_testid(web.browser(partner_user).get(page), "shortfall")
                  if e.attrs["data-pool-id"] == str(pool.pk)]
        assert (hook.attrs["data-needed"], hook.text.strip()) == ("16", "6")
    _token, key = ApiToken.issue(partner_user, "tests")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    [row] = api.get("/api/v1/pools/").json()["results"]
    assert (row["forecast"]["needed"], row["forecast"]["missing"]) == (16, 6)
    assert other.users == 4


def test_lists_record_and_forecast_say_what_renews_automatically(
    settings, partner_user, viewer_user, alpha, tbox, grant, ending, make_subscription, today
):
    settings.AUTO_RENEW_LEAD_DAYS = 7
    grant(alpha, tbox, 100)
    plain = make_subscription(alpha, tbox, start=ending.term_start, end=ending.term_end,
                              users=3)
    Subscription.objects.filter(pk=ending.pk).update(
        auto_renew=True, renewal_users=6, renewal_years=2
    )
    for page in ("/clients/", "/renewals/"):
        response = web.browser(viewer_user).get(page)
        listed = {e.attrs["data-subscription-id"]: e.attrs.get("data-auto-renew")
                  for e in rows(response)}
        assert listed == {str(ending.pk): "1", str(plain.pk): None}
        assert len(by_testid(response, "auto-renew-badge")) == 1
    record = web.browser(partner_user).get(f"/clients/{ending.client_id}/")
    [note] = by_testid(record, "auto-renew-note")
    assert (note.attrs["data-on"], note.attrs["data-licenses"]) == (
        (ending.term_end - datetime.timedelta(days=7)).isoformat(), "12")
    assert "Renews automatically on" in note.text and "6 users for 2 years" in note.text
    [said] = by_testid(web.browser(partner_user).get("/licenses/"), "forecast-auto-renew")
    assert (said.attrs["data-subscriptions"], said.attrs["data-licenses"]) == ("1", "12")
