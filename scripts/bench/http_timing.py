"""The server under test, sessions as a browser keeps them, and page latencies."""

import html
import http.client
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.parse

from .config import HOST, PORT, PYTHON, ROOT, WORKERS, database_url, django_env


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
    ten, and its first visit, several times slower, was then the p95 of 50. WORKERS requests at
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
