"""The bench's knobs, its databases and the Django processes it starts."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HOST = "127.0.0.1"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8031"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench")
SIZES = os.environ.get("BENCH_SIZES", "1000,10000,100000,999999")
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PAGE_SIZE = 25
ADMIN_PAGE_SIZE = 100  # ModelAdmin.list_per_page
DEEP_PAGE = 2000
USERS = ("admin", "partner")
# The pages whose aggregates the figures cache keeps (subscriptions/selectors/figures_cache.py),
# measured again at the largest size with it off: each request sums the kept figures and
# counts the lists again (a first visit after a write is AFTER_WRITE_PAGES, below).
UNCACHED_PAGES = (
    "dashboard",
    "licenses and ledger",
    "client list, status = expiring",
    "client list, name search",
    "renewals list",
)


# The pages that show the kept figures (selectors/figures*.py), measured at the largest
# size right after a write in the user's scope (the figures of its paying organization are
# recomputed first), and with the figures computed from every subscription on each request
# (`KEPT_FIGURES=0 FIGURES_CACHE=0`: what the first visit after a write cost before).
AFTER_WRITE_PAGES = ("dashboard", "licenses and ledger")
WRITES_SAMPLE = 200
RAW_BARE = "raw SQL without the figures' balance trigger"


def database_name(size):
    return f"{DB_PREFIX}_{size}"


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


def setup_django():
    import django

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    django.setup()


def child_json(name, *args):
    """What `python -m scripts.bench <args>` prints last, as JSON: the parts that need
    Django run in a process of their own, against database `name`."""
    return json.loads(
        subprocess.run(
            [PYTHON, "-m", "scripts.bench", *args],
            cwd=ROOT, env=django_env(name), check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.strip().splitlines()[-1]
    )
