"""The other journeys of issue 3 in a real browser: colours, creation and allocation,
lists, other people's sessions, and the renewal with the keyboard alone."""

import colorsys
import datetime
import re

import pytest
from playwright.sync_api import expect

from subscriptions.models import Client, LicenseMovement, LicensePool, MovementKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


def hue_of(css_color):
    """(hue in degrees, saturation) of a computed `rgb(...)`/`rgba(...)` colour."""
    red, green, blue = (int(float(part)) for part in re.findall(r"[\d.]+", css_color)[:3])
    hue, _lightness, saturation = colorsys.rgb_to_hls(red / 255, green / 255, blue / 255)
    return hue * 360, saturation


def row_background(page, subscription):
    cell = page.locator(f"tr[data-subscription-id='{subscription.pk}'] td").first
    return cell.evaluate("e => getComputedStyle(e).backgroundColor")


@pytest.fixture
def every_status(alpha, alpha_reseller, tbox, tsend, grant, make_subscription, today):
    grant(alpha, tbox, 500)
    grant(alpha, tsend, 500)
    year_ago = today - datetime.timedelta(days=340)
    return {
        "expiring": make_subscription(
            alpha, tbox, start=year_ago, end=today + 20 * DAY, users=4, name="Orange SA"
        ),
        "expired": make_subscription(
            alpha, tsend, start=year_ago - 60 * DAY, end=today - 5 * DAY, users=3, name="Rouge SA"
        ),
        "not_started": make_subscription(
            alpha, tbox, start=today + 30 * DAY, users=2, name="Bleu SA"
        ),
        "renewed": make_subscription(
            alpha,
            tbox,
            start=year_ago,
            end=today + 25 * DAY,
            users=6,
            name="Vert SA",
            renewal_years=1,
        ),
        "active": make_subscription(alpha, tsend, users=5, name="Calme SA"),
        "reseller": make_subscription(
            alpha,
            tbox,
            start=year_ago,
            end=today + 40 * DAY,
            users=2,
            reseller=alpha_reseller,
            name="Revendu SA",
        ),
    }


# --- 3. colours ---------------------------------------------------------------------


def test_each_status_has_its_colour_on_the_client_list(
    login, live_server, every_status, partner_user, screenshot
):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/")
    page.mouse.move(0, 0)  # no row under the pointer: hover changes a row's colour

    orange_hue, orange_saturation = hue_of(row_background(page, every_status["expiring"]))
    assert 15 <= orange_hue <= 45 and orange_saturation > 0.5, orange_hue
    red_hue, red_saturation = hue_of(row_background(page, every_status["expired"]))
    assert (red_hue >= 340 or red_hue <= 10) and red_saturation > 0.3, red_hue
    blue_hue, blue_saturation = hue_of(row_background(page, every_status["not_started"]))
    assert 170 <= blue_hue <= 250 and blue_saturation > 0.3, blue_hue
    active = row_background(page, every_status["active"])
    assert hue_of(active)[1] < 0.2 or active in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")

    renewed = every_status["renewed"]
    row = page.locator(f"tr[data-subscription-id='{renewed.pk}']")
    expect(row).to_have_attribute("data-status", "renewed")
    expect(row.locator("[role=img]")).to_have_text("✓")
    # The current term's end stays displayed, not the queued one's.
    current_end = renewed.previous_term_end
    expect(row).to_have_attribute("data-end", current_end.isoformat())
    expect(row).to_contain_text(current_end.strftime("%d/%m/%Y"))
    expect(row).not_to_contain_text(renewed.term_end.strftime("%d/%m/%Y"))
    screenshot("client-list-statuses")


# --- 4. creation for a reseller, allocation both ways, the ledger -------------------


def test_a_partner_creates_a_client_for_a_reseller_and_moves_licenses(
    english,
    login,
    live_server,
    alpha,
    alpha_reseller,
    tbox,
    grant,
    partner_user,
    today,
    screenshot,
    axe,
):
    grant(alpha_reseller, tbox, 50)
    grant(alpha, tbox, 100)
    page = login("partner")

    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_label("Client name").fill("Nouvelle Société")
    page.get_by_label("Reseller").select_option(str(alpha_reseller.pk))
    page.get_by_label("Product").select_option("TBOX")
    page.get_by_label("Start date").fill(today.isoformat())
    page.locator("input[name=users]").fill("5")
    page.locator("input[name=years]").fill("2")
    screenshot("new-client")
    axe("new client")
    page.get_by_role("button", name="Create the client").click()

    expect(page.locator("[role=status]").first).to_contain_text("Nouvelle Société")
    expect(page.locator("[role=status]").first).to_contain_text("10 licenses")
    client = Client.objects.get(name="Nouvelle Société")
    assert client.reseller_id == alpha_reseller.pk
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/"))
    reseller_pool = LicensePool.objects.get(organization=alpha_reseller, product=tbox)
    assert reseller_pool.balance == 40
    screenshot("client-detail")
    axe("client record")

    page.goto(f"{live_server.url}/licenses/")
    form = page.locator("form.allocation-form")
    form.get_by_label("Reseller", exact=True).select_option(str(alpha_reseller.pk))
    form.get_by_label("Product", exact=True).select_option("TBOX")
    form.get_by_label("Number of licenses").fill("30")
    form.locator("input[name=direction][value=give]").check()
    form.get_by_role("button").click()
    expect(page.locator("[role=status]").first).to_contain_text("30")
    expect(
        page.locator(f"[data-testid=pool-balance][data-pool-id='{reseller_pool.pk}']")
    ).to_have_text("70")

    form = page.locator("form.allocation-form")
    form.get_by_label("Reseller", exact=True).select_option(str(alpha_reseller.pk))
    form.get_by_label("Product", exact=True).select_option("TBOX")
    form.get_by_label("Number of licenses").fill("12")
    form.locator("input[name=direction][value=take]").check()
    form.get_by_role("button").click()
    expect(page.locator("[role=status]").first).to_contain_text("12")
    expect(
        page.locator(f"[data-testid=pool-balance][data-pool-id='{reseller_pool.pk}']")
    ).to_have_text("58")
    partner_pool = LicensePool.objects.get(organization=alpha, product=tbox)
    expect(
        page.locator(f"[data-testid=pool-balance][data-pool-id='{partner_pool.pk}']")
    ).to_have_text(str(partner_pool.balance))

    # The ledger shows the creation's debit and both moves, on both pools.
    ledger = page.locator("tr[data-movement-id]")
    expect(ledger.locator("xpath=self::*[@data-quantity='-10']")).to_have_count(1)
    for quantity in ("30", "-30", "-12", "12"):
        expect(page.locator(f"tr[data-movement-id][data-quantity='{quantity}']")).to_have_count(1)
    assert LicenseMovement.objects.filter(kind=MovementKind.ALLOCATION).count() == 2 + 4
    screenshot("licenses")
    axe("licenses")


# --- 5. filters, sorting, pagination, language ---------------------------------------


def test_the_lists_filter_sort_and_paginate(
    login, live_server, every_status, alpha, tbox, make_subscription, today, partner_user
):
    for number in range(30):
        make_subscription(
            alpha,
            tbox,
            start=today - 300 * DAY,
            end=today + (10 + number) * DAY,
            users=1 + number,
            name=f"Lot {number:02d}",
        )
    page = login("partner")
    page.goto(f"{live_server.url}/clients/")
    rows = page.locator("tr[data-subscription-id]")
    expect(rows).to_have_count(25)

    page.locator("select[name=status]").select_option("expiring")
    page.locator("form.filter-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"status=expiring"))
    expect(rows.first).to_have_attribute("data-status", "expiring")
    statuses = set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)"))
    assert statuses == {"expiring"}

    page.locator("select[name=product]").select_option("TBOX")
    page.locator("input[name=q]").fill("Lot")
    page.locator("form.filter-form [type=submit]").click()
    expect(rows).to_have_count(25)
    names = rows.evaluate_all("rows => rows.map(r => r.querySelector('td').innerText)")
    assert all(name.startswith("Lot") for name in names)

    # Sort by users, descending: click the column title twice.
    header = page.locator("thead th a", has_text=re.compile("Users|Utilisateurs"))
    header.click()
    expect(page).to_have_url(re.compile(r"sort=users"))
    page.locator("thead th a", has_text=re.compile("Users|Utilisateurs")).click()
    expect(page).to_have_url(re.compile(r"sort=-users"))
    users = [int(value) for value in rows.evaluate_all("rs => rs.map(r => r.dataset.users)")]
    assert users == sorted(users, reverse=True) and users[0] == 30

    # The next page keeps filters and sort.
    page.goto(page.url + "&page=2")
    expect(rows).to_have_count(5)
    users_page_2 = [int(value) for value in rows.evaluate_all("rs => rs.map(r => r.dataset.users)")]
    assert users_page_2 == [5, 4, 3, 2, 1]
    assert page.get_by_test_id("export-csv").get_attribute("href").count("status=expiring") == 1

    # The renewals list: filters and sort too.
    page.goto(f"{live_server.url}/renewals/?status=expired")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-subscription-id", str(every_status["expired"].pk))
    page.goto(f"{live_server.url}/renewals/?sort=-end&per_page=25")
    ends = rows.evaluate_all("rs => rs.map(r => r.dataset.end)")
    assert ends == sorted(ends, reverse=True)
    page.goto(f"{live_server.url}/renewals/?per_page=25&page=2")
    expect(rows).to_have_count(33 - 25)
    response = page.goto(f"{live_server.url}/renewals/?page=9")
    assert response.status == 404


def test_the_language_switch_keeps_the_page(login, live_server, every_status, partner_user, axe):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/?status=expiring")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    french_title = page.locator("h1").inner_text()

    page.locator(".language-switcher button[value=en]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/clients/\?status=expiring"))
    expect(page.locator("h1")).to_have_text("Client list")
    assert french_title != "Client list"
    expect(page.locator("tr[data-subscription-id]")).to_have_count(2)
    axe("client list in English")

    page.locator(".language-switcher button[value=fr]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(r"/clients/\?status=expiring"))
    expect(page.locator("h1")).to_have_text(french_title)


# --- 6. other people's sessions -------------------------------------------------------


def test_a_reseller_sees_only_its_clients_and_gets_a_404_elsewhere(
    english, login, live_server, every_status, reseller_user, screenshot, axe
):
    page = login("reseller")
    page.goto(f"{live_server.url}/clients/")
    rows = page.locator("tr[data-subscription-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-subscription-id", str(every_status["reseller"].pk))
    # No allocation for a reseller: it has no resellers of its own.
    page.goto(f"{live_server.url}/licenses/")
    expect(page.locator("form.allocation-form")).to_have_count(0)

    response = page.goto(f"{live_server.url}/clients/{every_status['expiring'].client_id}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Back to the dashboard")).to_be_visible()
    screenshot("not-found")
    axe("404")
    response = page.goto(f"{live_server.url}/subscriptions/{every_status['expiring'].pk}/renew/")
    assert response.status == 404


def test_another_partner_sees_none_of_the_first_partners_clients(
    english,
    login,
    live_server,
    every_status,
    beta,
    tbox,
    make_subscription,
    today,
    other_partner_user,
):
    own = make_subscription(
        beta, tbox, start=today - 300 * DAY, end=today + 9 * DAY, users=3, name="Beta Client"
    )
    page = login("partner2")
    expect(page.get_by_test_id("companies-to-renew")).to_have_text("1")
    page.goto(f"{live_server.url}/clients/")
    rows = page.locator("tr[data-subscription-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-subscription-id", str(own.pk))

    # Empty states say why the list is empty.
    page.goto(f"{live_server.url}/clients/?q=nobody")
    expect(page.locator("main table")).to_contain_text("No subscription matches these filters.")
    page.goto(f"{live_server.url}/renewals/?status=expired")
    expect(page.locator("main table")).to_contain_text(
        "No subscription to renew matches these filters."
    )

    # A link copied from the first partner's list.
    response = page.goto(f"{live_server.url}/clients/{every_status['renewed'].client_id}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    response = page.goto(f"{live_server.url}/subscriptions/{every_status['expired'].pk}/renew/")
    assert response.status == 404


def test_a_read_only_user_gets_the_403_page(english, login, live_server, every_status, viewer_user):
    page = login("viewer")
    response = page.goto(f"{live_server.url}/subscriptions/{every_status['expiring'].pk}/renew/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Access denied")


# --- 7. keyboard only ----------------------------------------------------------------


def focused(page):
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            const s = getComputedStyle(e);
            return {
                tag: e.tagName.toLowerCase(), name: e.name || "", testid: e.dataset.testid || "",
                text: (e.innerText || "").trim(),
                outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
                shadow: s.boxShadow && s.boxShadow !== "none",
                labels: e.labels ? Array.from(e.labels).map(l => l.innerText.trim()) : [],
            };
        }"""
    )


def tab_until(page, predicate, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if predicate(state):
            return state
    raise AssertionError("the keyboard never reached the element")


def test_a_partner_renews_with_the_keyboard_alone(
    english, live_server, page, every_status, partner_user, grant, alpha, tbox, axe
):
    target = every_status["expiring"]
    page.goto(f"{live_server.url}/accounts/login/")
    axe("login")
    # The login form takes the focus itself.
    page.keyboard.type("partner")
    page.keyboard.press("Tab")
    page.keyboard.type("partner")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("companies-to-renew")).to_be_visible()

    state = tab_until(page, lambda s: s["testid"] == "companies-to-renew-link")
    assert state["outline"] or state["shadow"], "the focused link shows no focus ring"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/renewals/"))

    state = tab_until(
        page,
        lambda s: (
            s["testid"] == "renew"
            and page.evaluate("document.activeElement.closest('tr').dataset.subscriptionId")
            == str(target.pk)
        ),
    )
    assert state["outline"] or state["shadow"]
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/subscriptions/{target.pk}/renew/"))

    state = tab_until(page, lambda s: s["name"] == "years")
    assert state["labels"] == ["Number of years of renewal"]
    assert state["outline"] or state["shadow"]
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    state = focused(page)
    assert state["name"] == "users"
    assert state["labels"] == ["User licenses assigned to Orange SA"]
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    expect(page.get_by_test_id("balance-after")).to_have_text("494")
    state = tab_until(page, lambda s: s["tag"] == "button" and s["text"] == "OK")
    assert state["outline"] or state["shadow"]
    page.keyboard.press("Enter")

    expect(page.locator("[role=status]").first).to_contain_text("Orange SA")
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 494
    expect(page.locator(f"tr[data-subscription-id='{target.pk}']")).to_have_count(0)


def test_every_field_of_the_main_forms_has_a_label(login, live_server, every_status, partner_user):
    page = login("partner")
    for path in (
        "/clients/",
        "/renewals/",
        f"/subscriptions/{every_status['expiring'].pk}/renew/",
        "/clients/new/",
        "/licenses/",
    ):
        page.goto(f"{live_server.url}{path}")
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                    "main input:not([type=hidden]), main select, main textarea"))
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
                .map(e => e.name)"""
        )
        assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"


# --- the finish: the client record's way back ------------------------------------------


def test_the_client_record_leads_back_to_the_list_with_its_filters(
    english, login, live_server, every_status, partner_user
):
    page = login("partner")
    page.goto(f"{live_server.url}/clients/?product=TBOX&sort=-end")
    target = every_status["expiring"]
    page.locator(f"tr[data-subscription-id='{target.pk}'] td a").first.click()
    expect(page).to_have_url(re.compile(rf"/clients/{target.client_id}/"))
    expect(page.locator("h1")).to_have_text("Orange SA")

    page.get_by_test_id("back-to-list").click()
    expect(page).to_have_url(re.compile(r"/clients/\?product=TBOX&sort=-end$"))

    # A `back` to another site is ignored: the plain list instead.
    page.goto(f"{live_server.url}/clients/{target.client_id}/?back=https://evil.example/")
    assert page.get_by_test_id("back-to-list").get_attribute("href") == "/clients/"


# --- the finish: the dashboard chart ----------------------------------------------------


def test_the_chart_shows_licenses_needed_against_the_balance_without_colour_alone(
    english,
    login,
    live_server,
    alpha,
    tbox,
    grant,
    make_subscription,
    today,
    partner_user,
    screenshot,
):
    from dateutil.relativedelta import relativedelta

    grant(alpha, tbox, 10)
    first = today.replace(day=1)
    month_1, month_2 = first + relativedelta(months=1), first + relativedelta(months=2)
    for month, users in ((month_1, 6), (month_2, 8)):
        end = month + relativedelta(days=9)
        make_subscription(
            alpha, tbox, start=end - relativedelta(years=1) + DAY, end=end, users=users
        )

    page = login("partner")
    column_1 = page.locator(f"g[data-month='{month_1:%Y-%m}']")
    column_2 = page.locator(f"g[data-month='{month_2:%Y-%m}']")
    expect(column_1).to_have_attribute("data-licenses", "6")
    expect(column_1).to_have_attribute("data-short", "0")
    # 6 + 8 = 14 licenses due by then, 10 remaining: from that month on it is not covered.
    expect(column_2).to_have_attribute("data-licenses", "8")
    expect(column_2).to_have_attribute("data-short", "1")
    expect(column_2.locator(".chart-value")).to_have_text("! 8")
    fill = column_2.locator("rect").evaluate("e => getComputedStyle(e).fill")
    assert "url(" in fill, fill  # a pattern, not only another colour
    expect(page.get_by_test_id("renewal-chart")).to_have_attribute("data-balance", "10")
    expect(page.get_by_test_id("chart-short-from")).to_be_visible()
    screenshot("dashboard-chart")
