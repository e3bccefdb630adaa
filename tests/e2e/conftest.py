"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Skipped, with the reason printed, when /usr/bin/chromium is absent (`.ci/run` installs it).
Screenshots of what the tests saw go to test-artifacts/screenshots/.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: apt-get install chromium")
    for item in items:
        if "e2e" in item.nodeid.split("::")[0]:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API runs, this thread counts as running an event loop, so
    # every ORM call (fixtures, assertions, the database flush after each test) is plain
    # synchronous code that Django would otherwise refuse. Set here, per module, not at
    # import: pytest-django runs the tests without a database after the browser tests, and
    # they (`check --deploy` in tests/security) must see the environment as it is.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    def _login(username, password=None):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password or username)
        page.locator("form [type=submit]").first.click()
        page.wait_for_load_state()
        return page

    return _login


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def screenshot(page):
    """screenshot(name): the page as it is, at desktop width and at phone width
    (`<name>-desktop.png`, `<name>-phone.png`); the page is left at desktop width."""

    def _shot(name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
        # Nothing may stick out sideways at phone width (tables scroll inside their card).
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        page.set_viewport_size(DESKTOP)
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than a phone screen"

    return _shot


@pytest.fixture
def english(page, live_server):
    """The English UI, for the tests that read words (the French catalogue is the lead's)."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    return page


AXE_IMPACTS_REFUSED = ("serious", "critical")
# Moderate rules our own pages hold too (a section and the scrolling table inside it once
# shared one label: two landmarks a screen reader could not tell apart).
AXE_RULES_REFUSED = ("landmark-unique",)


@pytest.fixture
def axe(page):
    """axe(): runs axe-core (shipped inside the axe-playwright-python wheel) on the page
    and fails on any serious or critical violation, or one of AXE_RULES_REFUSED, naming
    the rule and the elements."""
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-playwright-python is not installed")
    script = Path(axe_playwright_python.__file__).with_name("axe.min.js")

    def _check(context=""):
        # Evaluated through the DevTools protocol: the portal's CSP (script-src 'self')
        # rightly refuses an injected <script>, and the tests keep that CSP on.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(script.read_text(encoding="utf-8") + "\n;true")
        # At both widths: a phone gets scrolling regions and a collapsed menu of its own.
        found = []
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            found.extend(_run())
        bad = [
            v for v in found
            if v["impact"] in AXE_IMPACTS_REFUSED or v["id"] in AXE_RULES_REFUSED
        ]
        assert not bad, f"axe-core on {context or page.url}: {bad}"
        return found

    def _run():
        return page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ["violations"]});
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
                }));
            }"""
        )

    return _check
