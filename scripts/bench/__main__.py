"""`python -m scripts.bench` (`make bench`): every size seeded, served and measured, then
the report written; `_describe` and `_plan` are its child processes' entry points."""

import datetime
import os
import sys
import time

from .config import (
    AFTER_WRITE_PAGES,
    REQUESTS,
    ROOT,
    SIZES,
    UNCACHED_PAGES,
    USERS,
    child_json,
    database_name,
    manage,
    psql,
)
from .http_timing import Server, Session, time_page, time_page_after_writes
from .pages import describe
from .report import BENCHMARKS, fmt, report, write
from .seeding import seed, time_auto_renewals
from .throughput import renewal_plan, throughput


def main():
    started_at = datetime.datetime.now(datetime.UTC)
    begin = time.perf_counter()
    sizes = [int(s) for s in SIZES.split(",")]
    (ROOT / "var").mkdir(exist_ok=True)
    measured, seeds = {}, {}
    rates, renew_latency, uncached = {}, {}, {}
    after_write, computed = {}, {}
    auto_renewals = {}
    for size in sizes:
        name = database_name(size)
        if os.environ.get("BENCH_KEEP_DB") != "1":
            print(f"[{size}] seeding…", flush=True)
            seeds[size] = seed(name, size)
            print(f"[{size}] seeded in {seeds[size]['seconds']:.1f} s", flush=True)
        else:
            # A kept database may predate this release's migrations; it also carries the
            # writes of earlier runs (renewals, throughput): its pages are measured
            # vacuumed and analyzed, like a fresh seed's.
            manage(name, "migrate", "--noinput", "-v0")
            psql("VACUUM ANALYZE", name)
        # Like `make serve`: DEBUG off serves hashed static names from the manifest.
        manage(name, "collectstatic", "--noinput", "-v0")
        info = child_json(name, "_describe", name)
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
        # Last for this size: it renews what is due, which the pages above must not see.
        auto_renewals[size] = time_auto_renewals(name)
        print(
            f"[{size}] run_auto_renewals: {auto_renewals[size]['renewed']} renewed, "
            f"{auto_renewals[size]['refused']} refused in "
            f"{auto_renewals[size]['seconds']:.1f} s",
            flush=True,
        )
    section = report(
        sizes, measured, seeds, rates, renew_latency, started_at, time.perf_counter() - begin,
        uncached, after_write, computed, auto_renewals,
    )
    print(section)
    if os.environ.get("BENCH_NO_WRITE") != "1":
        write(section)
        print(f"Written to {BENCHMARKS.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_describe":
        describe(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "_plan":
        renewal_plan(sys.argv[2], int(sys.argv[3]))
    else:
        main()
