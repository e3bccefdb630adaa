"""Two production servers (gunicorn, DEBUG off, as `make serve` runs them) on one
PostgreSQL database, renewals raced through both over real HTTP: the same guarantees as
one server — no subscription renewed twice, no pool overdrawn, the ledger holds. The
API's rate limit is one allowance per token for both servers together, not one each; and
each server's own figures cache never shows what the other's writes made stale."""

import datetime
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from api.models import ApiToken
from subscriptions.models import LicensePool, Term

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-test-password-42"
# Calls per token the servers allow: an hour's window never ends during the test.
RATE = 10

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several app servers share one PostgreSQL database (docs/deployment.md): "
        "its row locks, its snapshot; an SQLite file serves one machine",
    ),
]


def _port(preferred):
    for port in (*preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def _database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A session cookie and a CSRF token, over plain HTTP: what a browser sends."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    @staticmethod
    def field(html, name):
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        assert match, f"no {name} in the page"
        return match.group(1)

    def login(self, base, username):
        status, page = self.request(f"{base}/accounts/login/")
        assert status == 200
        status, _page = self.request(
            f"{base}/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.field(page, "csrfmiddlewaretoken"),
            },
        )
        assert status == 302, "login refused"


@pytest.fixture
def servers(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "two-instance-test-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "DATABASE_URL": _database_url(),
        # collectstatic's manifest is not built here; `make serve` builds it.
        "PORTAL_PLAIN_STATIC": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "API_RATE": f"{RATE}/hour",
    }
    env.pop("PORTAL_ALLOW_INSECURE_KEY", None)
    processes, bases, logs = [], [], []
    try:
        for preferred in ((8021, 8023), (8022, 8024)):
            port = _port(preferred)
            logs.append(tmp_path / f"gunicorn-{port}.log")
            # Each server its own cache directory, as on two machines: whatever they
            # share, they share through the database.
            cache_dir = tmp_path / f"cache-{port}"
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "portal.wsgi:application",
                     "--bind", f"127.0.0.1:{port}", "--workers", "3", "--timeout", "30"],
                    cwd=ROOT, env={**env, "CACHE_DIR": str(cache_dir)},
                    stdout=subprocess.DEVNULL,
                    stderr=logs[-1].open("wb"),
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for base, process, log in zip(bases, processes, logs, strict=True):
            while True:
                assert process.poll() is None, log.read_text()[-2000:]
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"{base} did not start"
                time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.django_db(transaction=True)
def test_renewals_raced_through_two_servers_keep_every_guarantee(
    servers, today, alpha, tbox, grant, make_subscription, partner_user
):
    partner_user.set_password(PASSWORD)
    partner_user.save()
    grant(alpha, tbox, 10)
    start = today - datetime.timedelta(days=300)
    # 8 subscriptions of 2 users: the pool pays for 5 renewals, not 8.
    subscriptions = [make_subscription(alpha, tbox, start=start, users=2) for _ in range(8)]
    first, second = servers

    browser = Browser()
    browser.login(first, "partner")  # sessions live in the database: valid on both servers
    forms = []
    for subscription in subscriptions:
        for base in servers:
            status, page = browser.request(f"{base}/subscriptions/{subscription.pk}/renew/")
            assert status == 200
            forms.append(
                (
                    base,
                    subscription.pk,
                    {
                        "csrfmiddlewaretoken": browser.field(page, "csrfmiddlewaretoken"),
                        "token": browser.field(page, "token"),
                        "years": "1",
                        "users": "2",
                    },
                )
            )

    def submit(form):
        base, pk, data = form
        return pk, browser.request(f"{base}/subscriptions/{pk}/renew/", data)[0]

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        answers = list(pool.map(submit, forms))

    assert {status for _pk, status in answers} <= {200, 302}
    renewed = [pk for pk, status in answers if status == 302]
    renewal_terms = Term.objects.filter(kind="renewal")
    # No double renewal: each success is one term, at most one per subscription.
    assert len(renewed) == renewal_terms.count() == len(set(renewed))
    # No overdraft: exactly what the pool could pay, and nothing below zero.
    assert len(renewed) == 5
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 0
    call_command("check_ledger")


def _api_call(base, key):
    request = urllib.request.Request(
        f"{base}/api/v1/clients/", headers={"Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


@pytest.mark.django_db(transaction=True)
def test_two_servers_allow_the_rate_once_per_token_not_once_each(servers, partner_user):
    first, second = servers

    # In turn: half the allowance through each server, then neither has any left.
    _token, key = ApiToken.issue(partner_user, "in turn")
    for base in (first, second):
        assert [_api_call(base, key)[0] for _ in range(RATE // 2)] == [200] * (RATE // 2)
    for base in (first, second):
        status, retry_after = _api_call(base, key)
        assert status == 429
        assert 0 < int(retry_after) <= 3600

    # At once: twice the allowance raced through both servers, exactly the allowance let
    # through — the last call of the window is taken by one server only.
    _token, raced = ApiToken.issue(partner_user, "raced")
    calls = [first, second] * RATE
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answers = list(pool.map(lambda base: _api_call(base, raced), calls))
    statuses = [status for status, _retry_after in answers]
    assert statuses.count(200) == RATE
    assert statuses.count(429) == RATE
    assert all(0 < int(retry_after) <= 3600 for status, retry_after in answers if status == 429)

    # Another token's allowance is untouched by both.
    _token, fresh = ApiToken.issue(partner_user, "fresh")
    assert _api_call(second, fresh)[0] == 200


def _companies_to_renew(page):
    match = re.search(r'data-testid="companies-to-renew">(\d+)<', page)
    assert match, "no counter on the dashboard"
    return int(match.group(1))


@pytest.mark.django_db(transaction=True)
def test_a_write_through_one_server_shows_at_once_on_the_other(
    servers, today, alpha, tbox, grant, make_subscription, partner_user
):
    partner_user.set_password(PASSWORD)
    partner_user.save()
    grant(alpha, tbox, 10)
    start = today - datetime.timedelta(days=300)
    subscriptions = [make_subscription(alpha, tbox, start=start, users=2) for _ in range(3)]
    first, second = servers
    browser = Browser()
    browser.login(first, "partner")
    # Read on the first server until every worker there could have kept the figures.
    for _ in range(6):
        status, page = browser.request(f"{first}/")
        assert status == 200
        assert _companies_to_renew(page) == 3

    url = f"{second}/subscriptions/{subscriptions[0].pk}/renew/"
    status, form = browser.request(url)
    assert status == 200
    status, _page = browser.request(
        url,
        {
            "csrfmiddlewaretoken": browser.field(form, "csrfmiddlewaretoken"),
            "token": browser.field(form, "token"),
            "years": "1",
            "users": "2",
        },
    )
    assert status == 302

    for _ in range(6):
        status, page = browser.request(f"{first}/")
        assert status == 200
        assert _companies_to_renew(page) == 2
