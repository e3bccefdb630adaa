"""A partner's own settings (docs/rules.md rule 16): the page its managers use, and the renewal
window applied to the partner, its resellers and publisher staff."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Organization
from subscriptions import selectors

DAY = datetime.timedelta(days=1)
URL = "/account/organization/"


@pytest.fixture(autouse=True)
def default_window(settings):
    settings.RENEWAL_WINDOW_MONTHS = 3


def _client(client, user):
    client.force_login(user)
    return client


def _post(client, user, data):
    return _client(client, user).post(URL, data, HTTP_ACCEPT_LANGUAGE="en")


def test_it_is_the_url_the_brief_names():
    assert reverse("account_organization") == URL


def test_it_shows_a_partner_manager_the_defaults_when_nothing_is_set(client, partner_user):
    response = _client(client, partner_user).get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="organization-settings-form"' in page
    assert 'placeholder="3"' in page and 'placeholder="90, 30, 7"' in page
    assert 'data-testid="organization-settings-link"' in page


def test_it_saves_the_window_and_the_reminder_days_and_says_so(client, partner_user, alpha):
    response = _post(
        client, partner_user, {"renewal_window_months": "6", "reminder_days": "7, 60,30"}
    )

    assert response.status_code == 302 and response.url == URL
    alpha.refresh_from_db()
    assert (alpha.renewal_window_months, alpha.reminder_days) == (6, "60,30,7")
    assert alpha.reminder_thresholds == (60, 30, 7)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"The settings of {alpha.name} were saved." in page


def test_it_goes_back_to_the_defaults_when_the_fields_are_emptied(client, partner_user, alpha):
    Organization.objects.filter(pk=alpha.pk).update(renewal_window_months=6, reminder_days="60")

    _post(client, partner_user, {"renewal_window_months": "", "reminder_days": ""})

    alpha.refresh_from_db()
    assert (alpha.renewal_window_months, alpha.reminder_days) == (None, "")
    assert alpha.reminder_thresholds == (90, 30, 7)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"renewal_window_months": "13"}, "renewal_window_months", "less than or equal to 12"),
        ({"renewal_window_months": "0"}, "renewal_window_months", "greater than or equal to 1"),
        ({"reminder_days": "90, 0"}, "reminder_days", "between 1 and 365"),
        ({"reminder_days": "400"}, "reminder_days", "between 1 and 365"),
        ({"reminder_days": "ninety"}, "reminder_days", "between 1 and 365"),
        ({"reminder_days": "1,2,3,4,5,6"}, "reminder_days", "At most 5 reminders"),
    ],
)
def test_it_refuses_values_out_of_range_with_a_field_error(
    client, partner_user, alpha, data, field, message
):
    response = _post(client, partner_user, data)

    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    alpha.refresh_from_db()
    assert (alpha.renewal_window_months, alpha.reminder_days) == (None, "")


def test_it_refuses_resellers_and_read_only_users(client, reseller_user, viewer_user):
    assert _client(client, reseller_user).get(URL).status_code == 403
    assert _client(client, viewer_user).post(URL, {"reminder_days": "5"}).status_code == 403


def test_it_sends_publisher_staff_to_the_partner_admin(client, staff):
    response = _client(client, staff).get(URL)

    assert response.status_code == 302
    assert response.url == reverse("admin:accounts_partner_changelist")


def test_it_lets_staff_edit_the_settings_in_the_partner_admin(admin_client, alpha):
    page = admin_client.get(
        reverse("admin:accounts_partner_change", args=[alpha.pk])
    ).content.decode()

    assert 'name="renewal_window_months"' in page and 'name="reminder_days"' in page


def test_it_links_the_page_only_for_partner_managers(client, reseller_user):
    page = _client(client, reseller_user).get(reverse("dashboard")).content.decode()

    assert 'data-testid="organization-settings-link"' not in page


def test_the_partners_window_drives_its_counter_statuses_and_renewals_due(
    today, alpha, alpha_reseller, beta, tbox, make_subscription, partner_user, reseller_user,
    other_partner_user, staff,
):
    # Ends in about 5 months: to renew within a 6-month window, not within the default 3.
    end = today + 150 * DAY
    alpha_own = make_subscription(alpha, tbox, end=end, start=end - 364 * DAY, name="A")
    alpha_res = make_subscription(
        alpha, tbox, end=end, start=end - 364 * DAY, reseller=alpha_reseller, name="R"
    )
    beta_own = make_subscription(beta, tbox, end=end, start=end - 364 * DAY, name="B")
    Organization.objects.filter(pk=alpha.pk).update(renewal_window_months=6)

    def statuses(user):
        return {row.pk: row.status for row in selectors.subscription_rows(user, today=today)}

    assert selectors.companies_to_renew_count(partner_user, today=today) == 2
    assert selectors.companies_to_renew_count(reseller_user, today=today) == 1
    assert selectors.companies_to_renew_count(other_partner_user, today=today) == 0
    assert statuses(partner_user) == {alpha_own.pk: "expiring", alpha_res.pk: "expiring"}
    assert statuses(reseller_user) == {alpha_res.pk: "expiring"}
    # Staff see each partner's own window: alpha's rows expiring, beta's still active.
    assert statuses(staff) == {
        alpha_own.pk: "expiring", alpha_res.pk: "expiring", beta_own.pk: "active"
    }
    assert selectors.companies_to_renew_count(staff, today=today) == 2
    assert {s.pk for s in selectors.renewals_due(today=today)} == {alpha_own.pk, alpha_res.pk}
    assert list(selectors.renewals_due(partner=beta, today=today)) == []


def test_the_client_list_colours_a_resellers_rows_with_its_partners_window(
    client, today, alpha, alpha_reseller, tbox, make_subscription, reseller_user
):
    end = today + 150 * DAY
    make_subscription(alpha, tbox, end=end, start=end - 364 * DAY, reseller=alpha_reseller)
    before = _client(client, reseller_user).get(reverse("client_list")).content.decode()
    Organization.objects.filter(pk=alpha.pk).update(renewal_window_months=6)
    after = client.get(reverse("client_list")).content.decode()

    assert 'data-status="active"' in before and 'data-status="expiring"' not in before
    assert 'data-status="expiring"' in after


def test_the_shortfall_speaks_of_the_partners_own_window(
    client, today, alpha, tbox, grant, make_subscription, partner_user
):
    Organization.objects.filter(pk=alpha.pk).update(renewal_window_months=6)
    grant(alpha, tbox, 10)
    end = today + 30 * DAY
    make_subscription(alpha, tbox, start=end - 364 * DAY, end=end, users=25)

    page = _client(client, partner_user).get(
        reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "the 1 company of the next 6 months" in page
