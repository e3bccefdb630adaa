"""Pages of pools (docs/interface.md, "Pages of pools"): whoever may see more pools than a
page holds gets the short ones first, a page at a time, and a search by organization name,
on the dashboard's forecast, the licenses page and the allocation page; a partner still
sees every pool of its own."""

import datetime
from urllib.parse import urlsplit

import pytest
from dateutil.relativedelta import relativedelta

from accounts.models import Organization, OrganizationKind
from subscriptions.models import LicensePool
from subscriptions.selectors import POOLS_PER_PAGE
from tests.helpers import web
from tests.helpers.html import by_testid, elements, visible_text

pytestmark = pytest.mark.usefixtures("plain_http")

QUIET_POOLS = 2 * POOLS_PER_PAGE + 3


@pytest.fixture
def crowd(alpha, alpha_reseller, tbox, grant, make_subscription, today):
    """More pools than two pages: Alpha's TBox pool misses 40 licenses now, a partner's
    misses 5, a third misses 5 only within 12 months; the others need nothing, Zénith's
    last by name."""
    due = today + datetime.timedelta(days=20)
    grant(alpha, tbox, 10)
    make_subscription(alpha, tbox, start=due - relativedelta(years=1), end=due, users=50)
    grant(alpha_reseller, tbox, 4)
    short = Organization.objects.create(kind=OrganizationKind.PARTNER, name="Partner short")
    grant(short, tbox, 5)
    make_subscription(short, tbox, start=due - relativedelta(years=1), end=due, users=10)
    later = Organization.objects.create(kind=OrganizationKind.PARTNER, name="Partner later")
    grant(later, tbox, 3)
    ends = today + datetime.timedelta(days=200)
    make_subscription(later, tbox, start=ends - relativedelta(years=1), end=ends, users=8)
    quiet = Organization.objects.bulk_create(
        [Organization(kind=OrganizationKind.PARTNER, name=f"Quiet {index:03d}")
         for index in range(QUIET_POOLS)]
        + [Organization(kind=OrganizationKind.PARTNER, name="Zénith Conseil")]
    )
    LicensePool.objects.bulk_create(
        [LicensePool(organization=organization, product=tbox, balance=7)
         for organization in quiet]
    )
    pool = LicensePool.objects.get
    return {
        "first": [pool(organization=alpha).pk, pool(organization=short).pk,
                  pool(organization=later).pk],
        "zenith": pool(organization__name="Zénith Conseil").pk,
        "reseller": pool(organization=alpha_reseller).pk,
    }


def _pool_ids(response, testid="shortfall"):
    return [int(e.attrs["data-pool-id"]) for e in by_testid(response, testid)]


def _pager(response):
    [nav] = by_testid(response, "pool-pages")
    return {name: int(nav.attrs[f"data-{name}"]) for name in ("page", "pages", "count")}


def _link(response, testid):
    links = elements(response, lambda tag, attrs: attrs.get("data-testid") == testid)
    return links[0].attrs["href"] if links else None


def _all_pages(browser, url, testid="shortfall"):
    """The pools of every page, following the Next links from `url`."""
    seen = []
    while url:
        response = browser.get(url)
        assert response.status_code == 200
        seen.append(_pool_ids(response, testid))
        url = _link(response, "pool-page-next")
    return seen


def test_staff_get_the_short_pools_first_and_a_page_of_them(staff, crowd):
    response = web.browser(staff).get("/")
    hooks = by_testid(response, "shortfall")
    assert len(hooks) == POOLS_PER_PAGE
    assert [int(e.attrs["data-pool-id"]) for e in hooks[:3]] == crowd["first"]
    assert [e.text for e in hooks[:3]] == ["40", "5", "0"]
    assert hooks[2].attrs["data-missing-12"] == "5"
    assert {e.text for e in hooks[3:]} == {"0"}
    assert _pager(response) == {
        "page": 1, "pages": 3, "count": LicensePool.objects.count()
    }
    assert by_testid(response, "pool-search")
    assert _link(response, "pool-page-previous") is None


def test_the_next_pages_and_the_search_find_every_other_pool(staff, crowd):
    browser = web.browser(staff)
    pages = _all_pages(browser, "/")
    assert [len(page) for page in pages] == [POOLS_PER_PAGE, POOLS_PER_PAGE, 8]
    shown = [pk for page in pages for pk in page]
    assert sorted(shown) == sorted(LicensePool.objects.values_list("pk", flat=True))
    assert crowd["zenith"] not in pages[0]

    second = browser.get("/?pool_page=2")
    assert _pager(second)["page"] == 2
    assert urlsplit(_link(second, "pool-page-previous")).query == ""

    found = browser.get("/?pool_q=zénith")
    assert _pool_ids(found) == [crowd["zenith"]]
    assert _pager(found) == {"page": 1, "pages": 1, "count": 1}
    [field] = elements(found, lambda tag, attrs: attrs.get("name") == "pool_q")
    assert field.attrs["value"] == "zénith"
    assert _link(found, "pool-search-clear") == "/"
    # Searching "Quiet" pages through what it found only.
    quiet = _all_pages(browser, "/?pool_q=quiet")
    assert sum(len(page) for page in quiet) == QUIET_POOLS
    assert "pool_q=quiet" in _link(browser.get("/?pool_q=quiet"), "pool-page-next")


@pytest.mark.parametrize("typed", ["zenith", "ZÉNITH", "zénith cons"])
def test_the_pool_search_ignores_case_and_accents(staff, crowd, typed):
    for url in ("/", "/licenses/", "/licenses/allocate/"):
        found = web.browser(staff).get(url, {"pool_q": typed})
        assert _pool_ids(found, "pool-balance" if "licenses" in url else "shortfall") == [
            crowd["zenith"]
        ], url


def test_the_pool_search_takes_percent_and_underscore_as_plain_characters(staff, crowd):
    for typed in ("%", "_", "Quiet_0"):
        found = web.browser(staff).get("/", {"pool_q": typed})
        assert _pool_ids(found) == [], typed
        assert by_testid(found, "pool-search-empty")


def test_a_page_past_the_end_shows_the_last_and_nothing_found_says_so(staff, crowd):
    browser = web.browser(staff)
    assert _pager(browser.get("/?pool_page=99"))["page"] == 3
    assert _pager(browser.get("/?pool_page=x"))["page"] == 1
    nothing = browser.get("/?pool_q=%3Cb%3Enobody")
    assert _pool_ids(nothing) == []
    assert by_testid(nothing, "pool-search-empty")
    assert "<b>nobody" not in nothing.content.decode()
    assert not by_testid(nothing, "pool-pages")


@pytest.mark.parametrize("url", ["/", "/licenses/"])
def test_a_partner_still_sees_all_of_its_pools_without_pages(
    partner_user, crowd, alpha, alpha_reseller, url
):
    response = web.browser(partner_user).get(f"{url}?pool_page=2&pool_q=zzz")
    mine = set(LicensePool.objects.filter(organization__in=[alpha, alpha_reseller])
               .values_list("pk", flat=True))
    assert set(_pool_ids(response)) == mine
    assert not by_testid(response, "pool-search")
    assert not by_testid(response, "pool-pages")


def test_the_licenses_page_pages_and_searches_staffs_pools(staff, crowd):
    browser = web.browser(staff)
    response = browser.get("/licenses/?product=TBOX")
    balances = by_testid(response, "pool-balance")
    assert len(balances) == POOLS_PER_PAGE
    assert [int(e.attrs["data-pool-id"]) for e in balances[:3]] == crowd["first"]
    assert [e.text for e in balances[:3]] == ["10", "5", "3"]
    # One list: the forecast of the same pools, each once.
    assert _pool_ids(response) == _pool_ids(response, "pool-balance")
    assert by_testid(response, "pool-table")
    # The ledger's filters stay as the pools change page, and go with the search.
    next_page = _link(response, "pool-page-next")
    assert "product=TBOX" in next_page and "pool_page=2" in next_page
    hidden = elements(response, lambda tag, attrs: tag == "input" and attrs.get("type") == "hidden"
                      and attrs.get("name") == "product")
    assert [e.attrs["value"] for e in hidden] == ["TBOX"]

    pages = _all_pages(browser, "/licenses/", "pool-balance")
    assert sorted(pk for page in pages for pk in page) == sorted(
        LicensePool.objects.values_list("pk", flat=True)
    )
    found = browser.get("/licenses/?pool_q=Z%C3%A9nith")
    assert _pool_ids(found, "pool-balance") == [crowd["zenith"]]
    assert [e.text for e in by_testid(found, "pool-balance")] == ["7"]


def test_the_allocation_page_pages_the_pools_too(staff, crowd):
    browser = web.browser(staff)
    response = browser.get("/licenses/allocate/")
    assert len(by_testid(response, "pool-balance")) == POOLS_PER_PAGE
    found = browser.get("/licenses/allocate/?pool_q=z%C3%A9nith")
    assert _pool_ids(found, "pool-balance") == [crowd["zenith"]]


@pytest.mark.parametrize(
    ("language", "pools", "ordered"), [("fr", "réserves.", "d’abord"), ("en", "pools.", "first")]
)
def test_pages_of_pools_say_how_many_and_how_they_are_ordered(
    staff, crowd, language, pools, ordered
):
    response = web.browser(staff, language=language).get("/")
    [count] = by_testid(response, "pool-count")
    # One sentence, its full stop included, then the next one.
    assert count.text.split()[:2] == [str(LicensePool.objects.count()), pools]
    assert ordered in count.text


# Short pools only (`pool_short=1`): the pools missing licenses now.


def _box(response):
    [box] = elements(response, lambda tag, attrs: attrs.get("data-testid") == "pool-short")
    return box


@pytest.mark.parametrize(
    ("url", "testid"),
    [("/", "shortfall"), ("/licenses/", "pool-balance"), ("/licenses/allocate/", "pool-balance")],
)
def test_short_pools_only_keeps_the_pools_missing_licenses_now(staff, crowd, url, testid):
    browser = web.browser(staff)
    response = browser.get(f"{url}?pool_short=1")
    # Alpha's pool and the partner's miss licenses now; the third only within 12 months.
    assert _pool_ids(response, testid) == crowd["first"][:2]
    assert _pager(response) == {"page": 1, "pages": 1, "count": 2}
    assert "checked" in _box(response).attrs
    assert not by_testid(response, "pool-short-empty")
    assert "checked" not in _box(browser.get(url)).attrs
    # Back to every pool: neither the search nor the box.
    assert _link(response, "pool-search-clear") == url
    # With a search, the short pools of the organizations found.
    found = browser.get(url, {"pool_short": "1", "pool_q": "partner"})
    assert _pool_ids(found, testid) == crowd["first"][1:2]
    quiet = browser.get(url, {"pool_short": "1", "pool_q": "quiet"})
    assert _pool_ids(quiet, testid) == []
    assert by_testid(quiet, "pool-short-empty")
    assert not by_testid(quiet, "pool-search-empty")


@pytest.mark.parametrize(
    ("language", "said", "ordered", "box"),
    [
        ("fr", "2 réserves à court de licences dès maintenant.", "Seulement les réserves",
         "Réserves à court seulement"),
        ("en", "2 pools missing licenses now.", "Only the pools missing licenses now",
         "Short pools only"),
    ],
)
def test_short_pools_only_says_so_in_the_users_language(
    staff, crowd, language, said, ordered, box
):
    response = web.browser(staff, language=language).get("/licenses/?pool_short=1")
    [count] = by_testid(response, "pool-count")
    assert count.text.startswith(said)
    assert ordered in count.text
    assert box in visible_text(response)


def test_the_pages_of_short_pools_keep_the_box_and_the_other_parameters(
    staff, crowd, tbox, grant, make_subscription, today
):
    due = today + datetime.timedelta(days=20)
    for index in range(POOLS_PER_PAGE):
        late = Organization.objects.create(kind=OrganizationKind.PARTNER, name=f"Late {index:02d}")
        grant(late, tbox, 1)
        make_subscription(late, tbox, start=due - relativedelta(years=1), end=due, users=2)
    short = LicensePool.objects.filter(organization__name__startswith="Late").count() + 2
    browser = web.browser(staff)
    pages = _all_pages(browser, "/licenses/?pool_short=1&product=TBOX", "pool-balance")
    assert [len(page) for page in pages] == [POOLS_PER_PAGE, short - POOLS_PER_PAGE]
    assert pages[0][:1] == crowd["first"][:1]
    assert crowd["first"][2] not in {pk for page in pages for pk in page}
    first = browser.get("/licenses/?pool_short=1&product=TBOX")
    next_page = urlsplit(_link(first, "pool-page-next")).query
    assert "pool_short=1" in next_page and "product=TBOX" in next_page
    # The box is the form's own field, not a hidden copy of the query string.
    hidden = elements(first, lambda tag, attrs: tag == "input" and attrs.get("type") == "hidden"
                      and attrs.get("name") == "pool_short")
    assert hidden == []
    assert _pager(browser.get("/licenses/?pool_short=1&pool_page=99"))["page"] == 2


@pytest.mark.parametrize("value", ["0", "yes", "true", "", "1%00", "%3Cb%3E", "-1"])
def test_a_bad_pool_short_is_ignored(staff, crowd, value):
    response = web.browser(staff).get(f"/licenses/?pool_short={value}")
    assert response.status_code == 200
    assert _pager(response)["count"] == LicensePool.objects.count()
    assert "checked" not in _box(response).attrs


def test_short_pools_only_stays_within_the_users_scope(
    partner_user, crowd, alpha, tbox, make_subscription, today
):
    """A partner with more pools than a page (its resellers'): the short ones among its
    own, never another partner's."""
    resellers = Organization.objects.bulk_create(
        [Organization(kind=OrganizationKind.RESELLER, name=f"Alpha R{index:02d}", parent=alpha)
         for index in range(POOLS_PER_PAGE)]
    )
    LicensePool.objects.bulk_create(
        [LicensePool(organization=reseller, product=tbox, balance=7) for reseller in resellers]
    )
    due = today + datetime.timedelta(days=20)
    make_subscription(alpha, tbox, reseller=resellers[5], start=due - relativedelta(years=1),
                      end=due, users=30)
    response = web.browser(partner_user).get("/licenses/?pool_short=1")
    reseller_pool = LicensePool.objects.get(organization=resellers[5]).pk
    assert _pool_ids(response, "pool-balance") == [crowd["first"][0], reseller_pool]
    assert _pager(response)["count"] == 2


def test_a_partner_with_a_handful_of_pools_sees_them_all_whatever_pool_short_says(
    partner_user, crowd, alpha, alpha_reseller
):
    response = web.browser(partner_user).get("/licenses/?pool_short=1")
    mine = set(LicensePool.objects.filter(organization__in=[alpha, alpha_reseller])
               .values_list("pk", flat=True))
    assert set(_pool_ids(response, "pool-balance")) == mine
    assert not by_testid(response, "pool-short")


def test_the_dashboard_links_staff_to_the_short_pools_on_the_licenses_page(
    staff, partner_user, crowd
):
    browser = web.browser(staff)
    link = _link(browser.get("/"), "short-pools-link")
    assert link == "/licenses/?pool_short=1"
    assert _pool_ids(browser.get(link), "pool-balance") == crowd["first"][:2]
    assert _link(web.browser(partner_user).get("/"), "short-pools-link") is None
