"""The load test (`pytest -m load`, a separate step of .ci/run): renewals and allocations
from many concurrent sessions over HTTP against gunicorn with several workers, on a
PRIVATE PostgreSQL cluster this test creates with initdb in a temporary folder (never the
machine's shared server), with one PostgreSQL restart in the middle.

Afterwards: check_ledger holds, no subscription is renewed twice, every request either
succeeded or failed cleanly (an HTTP error or a dropped connection, with nothing
half-written), and the counts add up. The figures are written to docs/reliability.md.
"""

import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers.cluster import free_port, sql

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 24
WORKERS = 4
ALLOCATIONS = 100
# Dashboards read meanwhile: each brings the kept figures up to date with the renewals and
# allocations committed so far, while more commit (subscriptions/selectors/figures_kept.py).
DASHBOARD_READS = 60
# Enough generated clients for a few hundred renewal requests (each wanted twice).
GENERATED_CLIENTS = 500
REPORT = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- load-figures -->", "<!-- /load-figures -->"


@pytest.fixture
def server(cluster):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in {"PORTAL_ALLOW_INSECURE_KEY", "DJANGO_SETTINGS_MODULE"}}
    env.update(DATABASE_URL=cluster["url"], DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="127.0.0.1", HTTPS="0", PORTAL_PLAIN_STATIC="1",
               LOG_LEVEL="WARNING")

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    assert manage("migrate", "--noinput", "-v0").returncode == 0
    seeded = manage("seed_demo", "--force", "--clients", str(GENERATED_CLIENTS), "--seed", "1")
    assert seeded.returncode == 0, seeded.stderr
    # make serve's gunicorn line (make serve itself also runs collectstatic, not needed here).
    log = open(Path(cluster["folder"]) / "gunicorn.log", "w")  # noqa: SIM115
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--timeout", "30",
         "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield {"base": base, "manage": manage, "cluster": cluster}
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(20)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait(10)
        log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if data is not None:
            csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
            request.add_header("X-CSRFToken", csrf)
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, username):
        self.request("/accounts/login/")
        status, _body = self.request("/accounts/login/",
                                     {"username": username, "password": username})
        assert status == 302, status


def token_in(body):
    match = re.search(r'name="token" value="([^"]+)"', body)
    return match.group(1) if match else None


def test_renewals_and_allocations_under_load_with_a_database_restart(server):
    base, url = server["base"], server["cluster"]["url"]
    started = sql(url, "SELECT now()")[0][0]
    scout = Session(base)
    scout.login("partner")
    _status, page = scout.request("/renewals/?per_page=500")
    # Expiring ones only: renewing an expired subscription starts its new term today, after
    # which a second renewal may rightly queue one more term (docs/rules.md, rule 4).
    subscription_ids = [
        int(pk) for pk, status in re.findall(
            r'data-subscription-id="(\d+)"[^>]*data-status="(\w+)"', page)
        if status == "expiring"
    ]
    assert len(subscription_ids) >= 10
    # Every subscription is wanted by two sessions at once: only one may renew it.
    jobs = [("renew", pk) for pk in subscription_ids for _twice in range(2)]
    jobs += [("allocate", n % 2) for n in range(ALLOCATIONS)]
    jobs += [("dashboard", n) for n in range(DASHBOARD_READS)]
    jobs.sort(key=lambda job: hash((job, secrets.token_hex(4))))
    outcomes = []
    lock = threading.Lock()
    local = threading.local()

    def session():
        if getattr(local, "session", None) is None:
            local.session = Session(base)
            local.session.login("partner")
        return local.session

    def run(job):
        kind, value = job
        try:
            me = session()
            if kind == "renew":
                status, body = me.request(f"/subscriptions/{value}/renew/")
                token = token_in(body)
                data = {"years": "1", "token": token or ""}
                users = re.search(r'name="users" value="(\d+)"', body)
                data["users"] = users.group(1) if users else "1"
                status, body = me.request(f"/subscriptions/{value}/renew/", data)
            elif kind == "dashboard":
                status, body = me.request("/")
            else:
                status, body = me.request("/licenses/allocate/")
                reseller = re.search(r'name="reseller"[^>]*>.*?<option value="(\d+)"', body,
                                     re.S)
                data = {"reseller": reseller.group(1) if reseller else "", "product": "TBOX",
                        "quantity": "1", "direction": "give" if value else "take",
                        "token": token_in(body) or ""}
                status, body = me.request("/licenses/allocate/", data)
            done = 200 if kind == "dashboard" else 302
            outcome = "success" if status == done else "refused" if status < 500 else "failed"
        except (OSError, urllib.error.URLError, AssertionError):
            outcome, status = "failed", None
            local.session = None
        with lock:
            outcomes.append((kind, value, outcome, status))

    begin = time.monotonic()
    with ThreadPoolExecutor(SESSIONS) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        while len(outcomes) < len(jobs) // 2:
            time.sleep(0.05)
        server["cluster"]["restart"]()
        for future in futures:
            future.result()
    elapsed = time.monotonic() - begin

    # Afterwards the ledger holds, pool by pool.
    checked = server["manage"]("check_ledger")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The kept figures, refreshed by readers while writers committed, are what a
    # computation from every subscription gives.
    checked = server["manage"]("refresh_figures", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "match" in checked.stdout
    renewed = {int(pk): int(n) for pk, n in sql(
        url, "SELECT subscription_id, count(*) FROM subscriptions_term WHERE kind = 'renewal' "
        f"AND created_at >= '{started}' GROUP BY subscription_id")}
    assert all(n == 1 for n in renewed.values()), "a subscription was renewed twice"
    half_written = sql(url, (
        "SELECT count(*) FROM subscriptions_term t WHERE t.kind = 'renewal' "
        f"AND t.created_at >= '{started}' AND NOT EXISTS (SELECT 1 FROM "
        "subscriptions_licensemovement m WHERE m.term_id = t.id)"))[0][0]
    assert half_written == "0"
    allocation_lines = int(sql(url, (
        "SELECT count(*) FROM subscriptions_licensemovement WHERE kind = 'allocation' "
        f"AND created_at >= '{started}'"))[0][0])
    assert allocation_lines % 2 == 0  # both sides of every transfer, or neither

    renew_success = {v for k, v, o, _s in outcomes if k == "renew" and o == "success"}
    # Every success is in the database (nothing lost)...
    lost = len(renew_success - set(renewed))
    assert lost == 0
    # ...and every renewal in the database was asked for once: a success, or a request
    # whose answer was lost in the restart after its commit.
    renew_failed = {v for k, v, o, _s in outcomes if k == "renew" and o == "failed"}
    assert set(renewed) <= renew_success | renew_failed
    alloc_success = sum(1 for k, _v, o, _s in outcomes if k == "allocate" and o == "success")
    alloc_failed = sum(1 for k, _v, o, _s in outcomes if k == "allocate" and o == "failed")
    assert alloc_success <= allocation_lines // 2 <= alloc_success + alloc_failed
    # No subscription wanted twice was renewed twice; one of each pair was refused or failed.
    figures = {
        "requests": len(outcomes),
        "renewal requests": sum(1 for k, *_ in outcomes if k == "renew"),
        "allocation requests": sum(1 for k, *_ in outcomes if k == "allocate"),
        "dashboard requests": sum(1 for k, *_ in outcomes if k == "dashboard"),
        "successes": sum(1 for *_x, o, _s in outcomes if o == "success"),
        "refused (the twin won, or the pool could not pay)":
            sum(1 for *_x, o, _s in outcomes if o == "refused"),
        "clean failures (HTTP 5xx or dropped connection, nothing half-written)":
            sum(1 for *_x, o, _s in outcomes if o == "failed"),
        "subscriptions renewed": len(renewed),
        "subscriptions renewed twice": 0,
        "lost": lost,
        "concurrent sessions": SESSIONS,
        "gunicorn workers": WORKERS,
        "seconds": round(elapsed, 1),
    }
    write_figures(figures)
    print(json.dumps(figures, indent=2))


def write_figures(figures):
    lines = [BEGIN, "| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures.items()]
    lines.append(END)
    text = REPORT.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(lines) + rest.split(END, 1)[1]
    else:
        text += "\n" + "\n".join(lines) + "\n"
    REPORT.write_text(text)
