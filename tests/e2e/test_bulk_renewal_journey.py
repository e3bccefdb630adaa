"""A partner renews a selection in a real browser, after seeing the shortfall forecast."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from subscriptions.dates import term_end
from subscriptions.models import LicenseMovement, LicensePool, Term

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due_rows(alpha, tbox, grant, make_subscription, today, partner_user):
    grant(alpha, tbox, 20)
    soon = today + datetime.timedelta(days=20)
    return [
        make_subscription(alpha, tbox, end=soon + datetime.timedelta(days=i), users=4 + i,
                          name=f"Société {i}")
        for i in range(4)
    ]


def test_a_partner_sees_the_shortfall_and_renews_a_selection(
    login, live_server, due_rows, screenshot, axe
):
    page = login("partner")
    pool = LicensePool.objects.get(organization__name="Alpha Distribution")
    # 4 + 5 + 6 + 7 = 22 needed, 20 remaining.
    shortfall = page.locator(f"[data-testid=shortfall][data-pool-id='{pool.pk}']")
    expect(shortfall).to_have_text("2")
    expect(shortfall).to_have_attribute("data-needed", "22")

    page.goto(f"{live_server.url}/renewals/")
    for subscription in due_rows[:3]:
        page.locator(f"input[name=subscriptions][value='{subscription.pk}']").check()
    screenshot("bulk-selection")
    axe("renewals with boxes")
    page.get_by_test_id("bulk-renew").click()

    debit = page.locator(f"[data-testid=bulk-debit][data-pool-id='{pool.pk}']")
    expect(debit).to_have_text("15")
    expect(page.locator(f"[data-testid=bulk-balance-after][data-pool-id='{pool.pk}']")).to_have_text(
        "5"
    )
    screenshot("bulk-preview")
    axe("bulk preview")
    page.get_by_test_id("bulk-confirm").click()

    expect(page).to_have_url(re.compile(r"/renewals/$"))
    expect(page.locator("[role=status]").first).to_contain_text("3")
    expect(page.locator("tr[data-subscription-id]")).to_have_count(1)
    pool.refresh_from_db()
    assert pool.balance == 5
    assert LicenseMovement.objects.filter(kind="renewal").count() == 3


def test_ticking_the_header_box_selects_the_whole_page(login, live_server, due_rows):
    page = login("partner")
    page.goto(f"{live_server.url}/renewals/")
    page.locator("th.bulk-select input[type=checkbox]").check()
    expect(page.locator("input[name=subscriptions]:checked")).to_have_count(4)


def _preview_one_year(page, live_server, subscription):
    page.goto(f"{live_server.url}/renewals/")
    page.locator(f"input[name=subscriptions][value='{subscription.pk}']").check()
    page.get_by_test_id("bulk-renew").click()
    expect(page.get_by_test_id("bulk-debit")).to_have_text("4")


def _renewed_for_three_years(subscription, pool):
    """The term written is three years long, and three years were debited."""
    new_start = subscription.term_end + datetime.timedelta(days=1)
    terms = Term.objects.filter(subscription=subscription, kind="renewal")
    assert [(t.start_date, t.end_date) for t in terms] == [(new_start, term_end(new_start, 3))]
    pool.refresh_from_db()
    assert pool.balance == 20 - 4 * 3


def test_ok_waits_for_the_preview_of_the_years_chosen_next_to_it(
    login, live_server, due_rows, screenshot, axe
):
    page = login("partner")
    pool = LicensePool.objects.get(organization__name="Alpha Distribution")
    subscription = due_rows[0]
    _preview_one_year(page, live_server, subscription)
    ok = page.get_by_test_id("bulk-confirm")
    expect(ok).to_be_enabled()

    page.locator("select[name=years_selected]").select_option("3")

    # The preview still shows one year: OK cannot renew it for three.
    expect(ok).to_be_disabled()
    expect(page.locator("[data-years-stale]")).to_be_visible()
    screenshot("bulk-preview-years-changed")
    axe("bulk preview, years changed")
    ok.click(force=True)  # a disabled button sends nothing
    assert not Term.objects.filter(subscription=subscription, kind="renewal").exists()

    page.get_by_test_id("bulk-refresh").click()
    expect(page.get_by_test_id("bulk-debit")).to_have_text("12")
    expect(page.get_by_test_id("bulk-balance-after")).to_have_text("8")
    expect(ok).to_be_enabled()
    screenshot("bulk-preview-three-years")
    ok.click()

    expect(page).to_have_url(re.compile(r"/renewals/$"))
    _renewed_for_three_years(subscription, pool)


def test_without_scripts_ok_after_changing_the_years_shows_their_preview_first(
    browser, live_server, due_rows
):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "partner")
    page.fill("input[name=password]", "partner")
    page.locator("form [type=submit]").first.click()
    pool = LicensePool.objects.get(organization__name="Alpha Distribution")
    subscription = due_rows[0]
    _preview_one_year(page, live_server, subscription)

    page.locator("select[name=years_selected]").select_option("3")
    page.get_by_test_id("bulk-confirm").click()

    # Refused by the server: nothing renewed, and the preview is now for three years.
    expect(page.get_by_test_id("bulk-years-changed")).to_contain_text("3 ans")
    expect(page.get_by_test_id("bulk-debit")).to_have_text("12")
    assert not Term.objects.filter(subscription=subscription, kind="renewal").exists()
    pool.refresh_from_db()
    assert pool.balance == 20

    page.get_by_test_id("bulk-confirm").click()
    expect(page).to_have_url(re.compile(r"/renewals/$"))
    _renewed_for_three_years(subscription, pool)
    context.close()
