"""A fresh database per size, seeded by `seed_demo` and its cost measured; and the day's
`run_auto_renewals` timed on it (rule 23: a tenth of the generated clients renew
automatically)."""

import os
import subprocess
import time

from .config import PYTHON, ROOT, django_env, manage, psql


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
    # the planner believes the tables are empty.
    psql("VACUUM ANALYZE", name)
    return {"seconds": wall, "max_rss_mb": usage.ru_maxrss / 1024}


def time_auto_renewals(name):
    """`run_auto_renewals` once, as cron runs it, on the seeded database: wall time and what
    it did (one output line per subscription renewed or refused). It renews: the caller
    runs it after the pages of this size were measured."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "manage.py", "run_auto_renewals"], cwd=ROOT, env=django_env(name),
        check=True, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    lines = done.stdout.splitlines()
    return {
        "seconds": wall,
        "renewed": sum(line.startswith("renewed ") for line in lines),
        "refused": sum(line.startswith("refused ") for line in lines),
    }
