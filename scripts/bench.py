"""`make bench`: the scale benchmark of issue 4, on the local PostgreSQL.

For each size (BENCH_SIZES, default 1000,10000,100000 generated clients) it seeds a fresh
database with `seed_demo --force --clients N --seed 1`, serves it like `make serve`
(gunicorn, DEBUG=0, HTTPS=0) and measures over HTTP, with sessions logged in through the
real login form, the p50/p95 latency of each page for publisher staff (`admin`) and a
partner (`partner`), next to Django admin's changelist on the same data. Queries per page
are counted in a separate process with Django's test client. At the largest size it also
measures renewal throughput over HTTP, through the service layer, and as raw SQL. It
writes a dated section at the top of docs/benchmarks.md, earlier sections kept below.

Knobs: BENCH_SIZES, BENCH_REQUESTS (per page, default 50), BENCH_SECONDS (per throughput
run, default 4), BENCH_PORT (default 8031), BENCH_WORKERS (gunicorn, default 4),
BENCH_KEEP_DB=1 (reuse an already seeded bench_N database), BENCH_NO_WRITE=1 (print only).
"""

import datetime
import html
import http.client
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8031"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PAGE_SIZE = 25
ADMIN_PAGE_SIZE = 100  # ModelAdmin.list_per_page
DEEP_PAGE = 2000
USERS = ("admin", "partner")
# The pages whose aggregates the figures cache keeps (subscriptions/figures_cache.py),
# measured again at the largest size with it off: each request sums the kept figures and
# counts the lists again (a first visit after a write is AFTER_WRITE_PAGES, below).
UNCACHED_PAGES = (
    "dashboard",
    "licenses and ledger",
    "client list, status = expiring",
    "client list, name search",
    "renewals list",
)


# The pages that show the kept figures (subscriptions/figures.py), measured at the largest
# size right after a write in the user's scope (the figures of its paying organization are
# recomputed first), and with the figures computed from every subscription on each request
# (`KEPT_FIGURES=0 FIGURES_CACHE=0`: what the first visit after a write cost before).
AFTER_WRITE_PAGES = ("dashboard", "licenses and ledger")
WRITES_SAMPLE = 200
RAW_BARE = "raw SQL without the figures' balance trigger"


def database_url(name):
    return f"{PG}/{name}"


def django_env(name, **extra):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(name),
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,testserver",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    env.pop("PORTAL_ALLOW_INSECURE_KEY", None)
    env.update(extra)
    return env


def psql(sql, dbname="postgres"):
    import psycopg

    with psycopg.connect(database_url(dbname), autocommit=True) as conn:
        conn.execute(sql)


def manage(name, *args, **kwargs):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=django_env(name), check=True, **kwargs
    )


# --- seeding -----------------------------------------------------------------------------


def seed(name, clients):
    """Fresh database, migrations, then seed_demo timed with the child's own rusage."""
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    manage(name, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    child = subprocess.Popen(
        [PYTHON, "manage.py", "seed_demo", "--force", "--clients", str(clients), "--seed", "1"],
        cwd=ROOT, env=django_env(name), stdout=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"seed_demo failed for {clients} clients")
    # What autovacuum would do within a minute of a bulk load; without fresh statistics
    # the planner believes the tables are empty (see docs/benchmarks.md).
    psql("VACUUM ANALYZE", name)
    return {"seconds": wall, "max_rss_mb": usage.ru_maxrss / 1024}


# --- the server ----------------------------------------------------------------------------


class Server:
    def __init__(self, name, **env):
        self.name = name
        self.env = env
        self.process = None

    def __enter__(self):
        log = open(ROOT / "var" / f"bench-{self.name}.log", "w")
        self.process = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "portal.wsgi:application",
                "--bind", f"{HOST}:{PORT}", "--workers", str(WORKERS),
                "--forwarded-allow-ips", "*",
            ],
            cwd=ROOT, env=django_env(self.name, **self.env), stdout=log, stderr=log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start; see var/bench-*.log")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


# --- HTTP --------------------------------------------------------------------------------


def request(method, path, *, headers=None, body=None):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


class Session:
    """Cookies and the CSRF dance, as a browser does them."""

    def __init__(self):
        self.cookies = {}

    def _headers(self, extra=None):
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, headers):
        for key, value in headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]

    def get(self, path):
        status, headers, body = request("GET", path, headers=self._headers())
        self._remember(headers)
        return status, body

    def post(self, path, data):
        status, headers, body = request(
            "POST", path,
            headers=self._headers({
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{HOST}:{PORT}{path}",
                "Origin": f"http://{HOST}:{PORT}",
            }),
            body=urllib.parse.urlencode(data),
        )
        self._remember(headers)
        return status, body

    def login(self, username):
        status, body = self.get("/accounts/login/")
        assert status == 200, status
        status, body = self.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": hidden(body, "csrfmiddlewaretoken"),
             "username": username, "password": username},
        )
        assert status == 302, f"login of {username} answered {status}"
        return self


def hidden(body, name):
    tag = re.search(rb'<input[^>]*\bname="%s"[^>]*>' % name.encode(), body)
    value = tag and re.search(rb'\bvalue="([^"]*)"', tag.group(0))
    if not value:
        raise AssertionError(f"no {name} in the page")
    return html.unescape(value.group(1).decode())


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def warm_up(session, path):
    """Every worker's caches warmed (compiled templates, translations, connection), as a
    user's second visit would find them. gunicorn's sync workers close the connection
    after each answer, so a request lands on whichever of the WORKERS processes accepts
    it first: 2 × WORKERS requests one after another missed a worker about one page in
    ten, and its first visit (250 to 320 ms) was then the p95 of 50. WORKERS requests at
    once make each sync worker take one (a busy worker accepts nothing), then the same
    one after another."""
    for _ in range(2):
        threads = [
            threading.Thread(target=session.get, args=(path,)) for _ in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for _ in range(2 * WORKERS):
        session.get(path)


def time_page(session, path, count):
    warm_up(session, path)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _body = session.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path} answered {status}"
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95)}


# --- in-process Django parts (run in child processes) ---------------------------------------


def time_page_after_writes(session, name, path, subscription_ids, count):
    """`time_page`, each request right after a committed write to a subscription of the
    user's scope, picked at random (a big paying organization as often as it holds
    subscriptions): `UPDATE … SET users = users`, which changes nothing but is recorded by
    the triggers like any write, so the next read recomputes that organization's figures."""
    import psycopg

    picker = random.Random(1)
    warm_up(session, path)
    samples = []
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        for _ in range(count):
            conn.execute(
                "UPDATE subscriptions_subscription SET users = users WHERE id = %s",
                (picker.choice(subscription_ids),),
            )
            started = time.perf_counter()
            status, _body = session.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert status == 200, f"{path} answered {status}"
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95)}


def setup_django():
    import django

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    django.setup()


def describe(name):
    """What the HTTP part needs to know about the data, and the queries of each page,
    counted with the test client (CaptureQueriesContext), in a process of its own."""
    os.environ.update(django_env(name))
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from subscriptions import selectors

    User = get_user_model()
    info = {"pages": {}, "subscriptions": {}, "writes": {}}
    for username in USERS:
        user = User.objects.get(username=username)
        rows = selectors.subscription_rows(user)
        total = rows.count()
        info["subscriptions"][username] = total
        info["writes"][username] = list(
            selectors.subscription_rows(user).order_by("?").values_list("pk", flat=True)[
                :WRITES_SAMPLE
            ]
        )
        deepest = min(DEEP_PAGE, max(1, -(-total // PAGE_SIZE)))
        renewable = (
            selectors.subscriptions_to_renew(user).order_by("pk").values_list("pk", flat=True)
        )
        pages = pages_for(username, deepest, renewable.first())
        client = Client()
        client.force_login(user)
        counted = {}
        for label, path in pages:
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            assert status == 200, f"{path} answered {status} to {username}"
            counted[label] = (path, len(captured))
        info["pages"][username] = counted
    print(json.dumps(info))


def pages_for(username, deepest, renew_id):
    pages = [
        ("dashboard", "/"),
        ("client list, page 1", "/clients/"),
        # Page 2 000, or the last one at sizes that have fewer.
        ("client list, page 2 000 (or the last)", f"/clients/?page={deepest}"),
        ("client list, sorted by end date", "/clients/?sort=end"),
        ("client list, status = expiring", "/clients/?status=expiring"),
        ("client list, name search", "/clients/?q=dupont"),
        ("client list, 100 rows", f"/clients/?per_page={ADMIN_PAGE_SIZE}"),
        ("renewals list", "/renewals/"),
        ("renewal form", f"/subscriptions/{renew_id}/renew/"),
        ("licenses and ledger", "/licenses/"),
    ]
    if username == "admin":
        # The same selections at admin's page size, for the like-for-like comparison.
        per_page = f"per_page={ADMIN_PAGE_SIZE}"
        pages += [
            ("client list, 100 rows, sorted by end date", f"/clients/?sort=end&{per_page}"),
            ("client list, 100 rows, status = expiring", f"/clients/?status=expiring&{per_page}"),
            ("client list, 100 rows, name search", f"/clients/?q=dupont&{per_page}"),
        ]
        changelist = "/admin/subscriptions/subscription/"
        pages += [
            ("Django admin changelist (100 rows)", changelist),
            # o=4: list_display's fifth column, the current end date.
            ("Django admin changelist, sorted by end date", f"{changelist}?o=4"),
            ("Django admin changelist, expiring", f"{changelist}?status=expiring"),
            ("Django admin changelist, search", f"{changelist}?q=dupont"),
        ]
    return pages


# Each portal list and the admin changelist showing the same selection (admin's page is
# 100 rows; the portal's 25 unless the label says 100).
ADMIN_PEERS = {
    "client list, page 1": "Django admin changelist (100 rows)",
    "client list, page 2 000 (or the last)": "Django admin changelist (100 rows)",
    "client list, sorted by end date": "Django admin changelist, sorted by end date",
    "client list, status = expiring": "Django admin changelist, expiring",
    "client list, name search": "Django admin changelist, search",
    "renewals list": "Django admin changelist, expiring",
    "client list, 100 rows": "Django admin changelist (100 rows)",
    "client list, 100 rows, sorted by end date": "Django admin changelist, sorted by end date",
    "client list, 100 rows, status = expiring": "Django admin changelist, expiring",
    "client list, 100 rows, name search": "Django admin changelist, search",
}


def renewal_plan(name, count):
    """Renewable subscriptions paid by the first partner's own pools, whose pools get a
    large grant first so neither renewals nor raw debits run dry."""
    os.environ.update(django_env(name))
    setup_django()
    from django.contrib.auth import get_user_model

    from accounts.models import Organization
    from subscriptions import selectors, services
    from subscriptions.models import Product

    user = get_user_model().objects.get(username="partner")
    alpha = Organization.objects.get(name="Alpha Distribution")
    for product in Product.objects.all():
        services.grant_licenses(partner=alpha, product=product, quantity=10_000_000)
    rows = list(
        selectors.subscriptions_to_renew(user)
        .filter(client__reseller__isnull=True, status__in=selectors.Status.RENEWABLE)
        .order_by("pk")
        .values_list("pk", "pool_id", "current_users")[:count]
    )
    print(json.dumps(rows))


def _service_worker(args):
    name, ids, seconds = args
    os.environ.update(django_env(name))
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from subscriptions import services
    from subscriptions.tokens import issue_token

    user = get_user_model().objects.get(username="partner")
    connection.ensure_connection()
    done, started = 0, time.perf_counter()
    for pk in ids:
        if time.perf_counter() - started > seconds:
            break
        services.renew_subscription(
            actor=user, subscription_id=pk, years=1, token=issue_token(user)
        )
        done += 1
    return done, time.perf_counter() - started


def _raw_worker(args):
    name, plan, seconds = args
    import psycopg

    done = 0
    with psycopg.connect(database_url(name)) as conn:
        started = time.perf_counter()
        for _pk, pool_id, users in plan:
            if time.perf_counter() - started > seconds:
                break
            with conn.transaction():
                row = conn.execute(
                    "UPDATE subscriptions_licensepool SET balance = balance - %s "
                    "WHERE id = %s AND balance >= %s RETURNING balance",
                    (users, pool_id, users),
                ).fetchone()
                assert row is not None, "raw debit refused"
                conn.execute(
                    "INSERT INTO subscriptions_licensemovement "
                    "(pool_id, quantity, balance_after, kind, note, created_at) "
                    "VALUES (%s, %s, %s, 'renewal', 'bench raw SQL', now())",
                    (pool_id, -users, row[0]),
                )
            done += 1
    return done, time.perf_counter() - started


def _http_worker(args):
    ids, seconds = args
    session = Session().login("partner")
    get_ms, post_ms = [], []
    done, started = 0, time.perf_counter()
    for pk in ids:
        if time.perf_counter() - started > seconds:
            break
        path = f"/subscriptions/{pk}/renew/"
        t0 = time.perf_counter()
        status, body = session.get(path)
        t1 = time.perf_counter()
        assert status == 200, status
        status, _ = session.post(
            path,
            {
                "csrfmiddlewaretoken": hidden(body, "csrfmiddlewaretoken"),
                "token": hidden(body, "token"),
                "years": "1",
                "users": hidden(body, "users"),
            },
        )
        t2 = time.perf_counter()
        assert status == 302, f"renewal of {pk} answered {status}"
        get_ms.append((t1 - t0) * 1000)
        post_ms.append((t2 - t1) * 1000)
        done += 1
    return done, time.perf_counter() - started, get_ms, post_ms


def run_parallel(worker, chunks):
    with get_context("spawn").Pool(len(chunks)) as pool:
        results = pool.map(worker, chunks)
    done = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    return done / elapsed if elapsed else 0.0, results


def throughput(name, server_running):
    """Renewals per second: HTTP (1 and 8 sessions), service layer (1 and 8 processes),
    raw SQL (1 and 8 connections); each run takes its own subscriptions."""
    budget = 12_000
    plan = json.loads(
        subprocess.run(
            [PYTHON, __file__, "_plan", name, str(budget)],
            cwd=ROOT, env=django_env(name), check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.strip().splitlines()[-1]
    )
    ids = [row[0] for row in plan]
    results, renew_latency = {}, {}
    cursor = 0

    def take(n):
        nonlocal cursor
        chunk = ids[cursor:cursor + n]
        cursor += n
        return chunk

    for workers, share in ((1, 400), (8, 1600)):
        chunk = take(share)
        rate, raw = run_parallel(
            _http_worker, [(chunk[k::workers], SECONDS) for k in range(workers)]
        )
        results[f"HTTP, {workers} session{'s' if workers > 1 else ''}"] = rate
        if workers == 1:
            renew_latency = {
                "get": raw[0][2],
                "post": raw[0][3],
            }
    for workers, share in ((1, 1500), (8, 4000)):
        chunk = take(share)
        rate, _ = run_parallel(
            _service_worker, [(name, chunk[k::workers], SECONDS) for k in range(workers)]
        )
        results[f"service layer, {workers} process{'es' if workers > 1 else ''}"] = rate
    # Raw debits do not use up subscriptions: the same rows may serve again. Each is also
    # run without the trigger that records a balance for the kept figures (migration
    # 0007): the database's limit before that trigger, measured right after the other so
    # that both see the same machine. The balances it did not record are recorded after.
    trigger = "subscriptions_figures_pool_balance"
    for workers in (1, 8):
        chunks = [(name, plan[k::workers], SECONDS) for k in range(workers)]
        connections = f"{workers} connection{'s' if workers > 1 else ''}"
        results[f"raw SQL, {connections}"], _ = run_parallel(_raw_worker, chunks)
        psql(f"ALTER TABLE subscriptions_licensepool DISABLE TRIGGER {trigger}", dbname=name)
        try:
            results[f"{RAW_BARE}, {connections}"], _ = run_parallel(_raw_worker, chunks)
        finally:
            psql(f"ALTER TABLE subscriptions_licensepool ENABLE TRIGGER {trigger}", dbname=name)
    psql(
        "INSERT INTO subscriptions_figureschange (organization_id) "
        "SELECT DISTINCT organization_id FROM subscriptions_licensepool",
        dbname=name,
    )
    if cursor > len(ids):
        results["note"] = f"only {len(ids)} renewable subscriptions: some runs ended early"
    return results, renew_latency


# --- the report -----------------------------------------------------------------------------


def machine():
    cores = os.cpu_count()
    with open("/proc/meminfo") as meminfo:
        kib = int(meminfo.readline().split()[1])
    import psycopg

    with psycopg.connect(database_url("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return (
        f"{cores} cores ({cpu or platform.machine()}), {kib / 1024 / 1024:.1f} GiB memory, "
        f"PostgreSQL {version}, Python {platform.python_version()}, gunicorn {WORKERS} "
        f"sync workers"
    )


def fmt(ms):
    return f"{ms:.0f}" if ms >= 10 else f"{ms:.1f}"


def _side_by_side(rows):
    """Table lines: page, who, then p50 and p95 of two measures (— where one is missing)."""
    lines = []
    for label, username, left, right in rows:
        cells = "".join(
            f" {fmt(timing['p50'])} | {fmt(timing['p95'])} |" if timing else " — | — |"
            for timing in (left, right)
        )
        lines.append(f"| {label} | {username} |{cells}")
    return lines + [""]


def report(sizes, measured, seeds, rates, renew_latency, started_at, took, uncached,
           after_write=None, computed=None):
    lines = [
        f"## {started_at:%Y-%m-%d %H:%M} UTC — `make bench`",
        "",
        f"Machine: {machine()}. Sizes: {', '.join(f'{s:,}' for s in sizes)} generated clients "
        f"(`seed_demo --force --clients N --seed 1`, then `VACUUM ANALYZE`). {REQUESTS} "
        f"sequential requests per page after {4 * WORKERS} warm-ups ({WORKERS} at once, "
        f"twice, so that each worker has had its first visit, then {2 * WORKERS} in turn), "
        f"over HTTP with a session logged in through the login form; latency in ms; "
        f"queries counted with Django's test client. "
        f"Page size {PAGE_SIZE} unless said. Whole run: {took / 60:.1f} min.",
        "",
    ]
    header = "| page | who |" + "".join(
        f" {s:,}: p50 | p95 | queries |" for s in sizes
    )
    lines += [header, "|---|---|" + "---:|---:|---:|" * len(sizes)]
    first = measured[sizes[0]]
    for username in USERS:
        for label in first[username]:
            cells = ""
            for size in sizes:
                row = measured[size][username][label]
                cells += f" {fmt(row['p50'])} | {fmt(row['p95'])} | {row['queries']} |"
            lines.append(f"| {label} | {username} |{cells}")
    lines.append("")
    largest = sizes[-1]
    admin_rows = measured[largest]["admin"]
    lines += [
        f"Portal lists next to Django admin's changelist of the same selection at "
        f"{largest:,} clients (staff; admin shows {ADMIN_PAGE_SIZE} rows a page, the portal "
        f"25 unless the label says 100; target: at most half of admin's time):",
        "",
        "| portal page | p50 | p95 | admin peer | p50 | p95 | ratio p50 | ratio p95 |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for label, peer_label in ADMIN_PEERS.items():
        row, peer = admin_rows.get(label), admin_rows.get(peer_label)
        if row is None or peer is None:
            continue
        lines.append(
            f"| {label} | {fmt(row['p50'])} | {fmt(row['p95'])} "
            f"| {peer_label.removeprefix('Django admin changelist').strip(' ,') or 'page 1'} "
            f"| {fmt(peer['p50'])} | {fmt(peer['p95'])} "
            f"| {row['p50'] / peer['p50']:.2f} | {row['p95'] / peer['p95']:.2f} |"
        )
    lines.append("")
    if after_write:
        lines += [
            f"The pages with the dashboard's figures at {largest:,} clients, each request "
            f"right after a committed write to a random subscription of the user's scope "
            f"(the kept figures of its paying organization recomputed first; the two largest "
            f"of the demo hold 30 000 and 25 000 subscriptions), and with the figures "
            f"computed from every subscription in scope on each request "
            f"(`KEPT_FIGURES=0 FIGURES_CACHE=0`, what a first visit after a write cost "
            f"before). ms:",
            "",
            "| page | who | after a write p50 | p95 | computed p50 | p95 |",
            "|---|---|---:|---:|---:|---:|",
        ]
        lines += _side_by_side(
            (label, username, row, (computed or {}).get(username, {}).get(label))
            for username, pages in after_write.items()
            for label, row in pages.items()
        )
    if uncached:
        lines += [
            f"The same pages at {largest:,} clients with the figures cache off "
            f"(`FIGURES_CACHE=0`): every request computes what the cache keeps (the "
            f"dashboard's figures read from the kept rows, the list counts). ms:",
            "",
            "| page | who | cached p50 | p95 | cache off p50 | p95 |",
            "|---|---|---:|---:|---:|---:|",
        ]
        lines += _side_by_side(
            (label, username, measured[largest][username][label], row)
            for username, pages in uncached.items()
            for label, row in pages.items()
        )
    deployed8 = rates.get("raw SQL, 8 connections") or 0
    bare8 = rates.get(f"{RAW_BARE}, 8 connections") or 0
    lines += [
        f"Renewal throughput at {largest:,} clients ({SECONDS:g} s per run; HTTP = a form GET "
        f"and its POST as `partner`; service = `services.renew_subscription` with a token; "
        f"raw SQL = one `UPDATE … WHERE balance >= n` + ledger insert per transaction, on "
        f"the schema as deployed, and without the trigger that records a balance for the "
        f"kept figures (the database's limit before that trigger):",
        "",
        "| how | renewals/s | ratio to raw SQL, 8 connections | ratio to raw SQL without "
        "the trigger, 8 connections |",
        "|---|---:|---:|---:|",
    ]
    for label, rate in rates.items():
        if label == "note":
            continue
        ratios = " | ".join(
            f"{rate / reference:.3f}" if reference else "—" for reference in (deployed8, bare8)
        )
        lines.append(f"| {label} | {rate:.1f} | {ratios} |")
    if "note" in rates:
        lines.append(f"\n{rates['note']}")
    if renew_latency.get("get"):
        lines += [
            "",
            f"Renewal over HTTP, one session: form GET p50 "
            f"{fmt(statistics.median(renew_latency['get']))} / p95 "
            f"{fmt(percentile(renew_latency['get'], 0.95))} ms, POST p50 "
            f"{fmt(statistics.median(renew_latency['post']))} / p95 "
            f"{fmt(percentile(renew_latency['post'], 0.95))} ms "
            f"({len(renew_latency['post'])} renewals).",
        ]
    lines += ["", "| seed_demo --clients | wall time s | peak memory MB |", "|---:|---:|---:|"]
    for size in sizes:
        if size in seeds:
            lines.append(
                f"| {size:,} | {seeds[size]['seconds']:.1f} | {seeds[size]['max_rss_mb']:.0f} |"
            )
    lines.append("")
    return "\n".join(lines)


def write(section):
    """The new run goes above the earlier runs (dated `## YYYY-…` sections); what comes
    before them (the title, the notes on changes) stays where it is."""
    path = ROOT / "docs" / "benchmarks.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n\nWritten by `make bench`.\n"
    match = re.search(r"^## \d{4}-", old, re.M)
    head, rest = (old[: match.start()], old[match.start():]) if match else (old, "")
    tail = "\n" + rest if rest else ""
    path.write_text(head.rstrip() + "\n\n" + section.rstrip() + "\n" + tail)


def main():
    started_at = datetime.datetime.now(datetime.UTC)
    begin = time.perf_counter()
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
    (ROOT / "var").mkdir(exist_ok=True)
    measured, seeds = {}, {}
    rates, renew_latency, uncached = {}, {}, {}
    after_write, computed = {}, {}
    for size in sizes:
        name = f"bench_{size}"
        if os.environ.get("BENCH_KEEP_DB") != "1":
            print(f"[{size}] seeding…", flush=True)
            seeds[size] = seed(name, size)
            print(f"[{size}] seeded in {seeds[size]['seconds']:.1f} s", flush=True)
        # Like `make serve`: DEBUG off serves hashed static names from the manifest.
        manage(name, "collectstatic", "--noinput", "-v0")
        info = json.loads(
            subprocess.run(
                [PYTHON, __file__, "_describe", name],
                cwd=ROOT, env=django_env(name), check=True, stdout=subprocess.PIPE, text=True,
            ).stdout.strip().splitlines()[-1]
        )
        measured[size] = {}
        with Server(name):
            for username in USERS:
                session = Session().login(username)
                measured[size][username] = {}
                for label, (path, queries) in info["pages"][username].items():
                    timing = time_page(session, path, REQUESTS)
                    measured[size][username][label] = {**timing, "queries": queries}
                    print(
                        f"[{size}] {username:8} {label:40} p50 {fmt(timing['p50']):>6} "
                        f"p95 {fmt(timing['p95']):>6} ms  {queries} queries",
                        flush=True,
                    )
        if size == sizes[-1]:
            with Server(name):
                for username in USERS:
                    session = Session().login(username)
                    for label in AFTER_WRITE_PAGES:
                        path, _queries = info["pages"][username][label]
                        timing = time_page_after_writes(
                            session, name, path, info["writes"][username], REQUESTS
                        )
                        after_write.setdefault(username, {})[label] = timing
                        print(
                            f"[{size}] {username:8} {label + ' (after a write)':40} "
                            f"p50 {fmt(timing['p50']):>6} p95 {fmt(timing['p95']):>6} ms",
                            flush=True,
                        )
            with Server(name, FIGURES_CACHE="0", KEPT_FIGURES="0"):
                for username in USERS:
                    session = Session().login(username)
                    for label in AFTER_WRITE_PAGES:
                        path, _queries = info["pages"][username][label]
                        timing = time_page(session, path, REQUESTS)
                        computed.setdefault(username, {})[label] = timing
                        print(
                            f"[{size}] {username:8} {label + ' (computed)':40} "
                            f"p50 {fmt(timing['p50']):>6} p95 {fmt(timing['p95']):>6} ms",
                            flush=True,
                        )
            with Server(name, FIGURES_CACHE="0"):
                for username in USERS:
                    session = Session().login(username)
                    for label in UNCACHED_PAGES:
                        path, queries = info["pages"][username][label]
                        timing = time_page(session, path, REQUESTS)
                        uncached.setdefault(username, {})[label] = {**timing}
                        print(
                            f"[{size}] {username:8} {label + ' (cache off)':40} "
                            f"p50 {fmt(timing['p50']):>6} p95 {fmt(timing['p95']):>6} ms",
                            flush=True,
                        )
        with Server(name):
            if size == sizes[-1] and os.environ.get("BENCH_NO_THROUGHPUT") != "1":
                rates, renew_latency = throughput(name, True)
                for label, rate in rates.items():
                    print(f"[{size}] {label}: {rate}", flush=True)
    section = report(
        sizes, measured, seeds, rates, renew_latency, started_at, time.perf_counter() - begin,
        uncached, after_write, computed,
    )
    print(section)
    if os.environ.get("BENCH_NO_WRITE") != "1":
        write(section)
        print("Written to docs/benchmarks.md")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_describe":
        describe(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "_plan":
        renewal_plan(sys.argv[2], int(sys.argv[3]))
    else:
        main()
