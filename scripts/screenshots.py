"""`.venv/bin/python -m scripts.screenshots`: the README's pictures (docs/screenshots/),
taken again on the demo data in a real browser.

A throwaway SQLite database is migrated and seeded (`seed_demo --force --seed 1`), a
development server serves it on a free loopback port, and Playwright drives Debian's
Chromium (/usr/bin/chromium, never a downloaded one) through the main screens as the demo
`partner`: in French at 1280 px, a few at 390 px (a phone) and a few in English.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Long lists are cut at this height: the README shows their top, and the pictures stay
# small enough to commit.
MAX_HEIGHT = 1400


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(database):
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "1",
        "HTTPS": "0",
        "PORTAL_ALLOW_INSECURE_KEY": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _manage(env, *arguments):
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)


def _serve(env, port):
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the development server stopped before answering") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the development server did not answer within a minute")


class Camera:
    def __init__(self, page, base):
        self.page, self.base, self.taken = page, base, []

    def go(self, address):
        self.page.goto(self.base + address)
        self.page.wait_for_load_state("networkidle")

    def shoot(self, name, viewport=DESKTOP):
        self.page.set_viewport_size(viewport)
        height = min(self.page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        path = OUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled",
                             clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
        self.taken.append(path)
        self.page.set_viewport_size(DESKTOP)


def _french_tour(camera):
    page = camera.page
    camera.go("/accounts/login/")
    camera.shoot("login-desktop")
    page.fill("input[name=username]", "partner")
    page.fill("input[name=password]", "partner")
    page.locator("form [type=submit]").first.click()
    page.get_by_test_id("companies-to-renew").wait_for()
    camera.shoot("dashboard-desktop")

    camera.go("/clients/")
    camera.shoot("client-list-desktop")
    camera.shoot("client-list-phone", PHONE)
    camera.go("/clients/?by=company")
    camera.shoot("client-list-by-company-desktop")

    camera.go("/renewals/")
    camera.shoot("renewals-desktop")
    camera.shoot("renewals-phone", PHONE)
    page.locator("a[data-testid=renew]").first.click()
    page.get_by_test_id("balance-after").wait_for()
    page.fill("input[name=years]", "2")
    camera.shoot("renewal-form-desktop")

    camera.go("/renewals/")
    for box in page.locator("input[name=subscriptions]").all()[:3]:
        box.check()
    page.get_by_test_id("bulk-renew").click()
    page.get_by_test_id("bulk-confirm").wait_for()
    camera.shoot("bulk-preview-desktop")

    camera.go("/licenses/")
    camera.shoot("licenses-desktop")

    camera.go("/clients/")
    page.locator("tr[data-status=renewed] a[href^='/clients/']").first.click()
    page.locator("[data-term-id]").first.wait_for()
    camera.shoot("client-detail-desktop")


def _english_tour(camera):
    camera.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": camera.base}])
    camera.go("/")
    camera.shoot("dashboard-en-desktop")
    camera.go("/renewals/")
    camera.shoot("renewals-en-desktop")


def main():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is absent: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as scratch:
        env = _environment(Path(scratch) / "demo.sqlite3")
        env["CACHE_DIR"] = str(Path(scratch) / "cache")
        _manage(env, "migrate", "--noinput", "-v0")
        _manage(env, "seed_demo", "--force", "--seed", "1", "-v0")
        port = _free_port()
        server = _serve(env, port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                context = browser.new_context(locale="fr-FR", viewport=DESKTOP,
                                              device_scale_factor=1)
                camera = Camera(context.new_page(), f"http://127.0.0.1:{port}")
                camera.page.set_default_timeout(15_000)
                _french_tour(camera)
                _english_tour(camera)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    for path in camera.taken:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
