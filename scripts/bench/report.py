"""The run written up: one Markdown section, and where it goes in docs/benchmarks.md."""

import os
import platform
import re
import statistics

from .config import (
    ADMIN_PAGE_SIZE,
    PAGE_SIZE,
    RAW_BARE,
    REQUESTS,
    ROOT,
    SECONDS,
    USERS,
    WORKERS,
    database_url,
)
from .http_timing import percentile
from .pages import ADMIN_PEERS

BENCHMARKS = ROOT / "docs" / "benchmarks.md"
# The run's section: from this line to the end of the file, replaced by each run.
LATEST = "## Latest run"

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


def _throughput_lines(largest, rates, renew_latency):
    """The renewal throughput table (not measured with BENCH_NO_THROUGHPUT=1)."""
    deployed8 = rates.get("raw SQL, 8 connections") or 0
    bare8 = rates.get(f"{RAW_BARE}, 8 connections") or 0
    lines = [
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
    return lines


def report(sizes, measured, seeds, rates, renew_latency, started_at, took, uncached,
           after_write=None, computed=None, auto_renewals=None):
    lines = [
        LATEST,
        "",
        f"`make bench`, {started_at:%Y-%m-%d %H:%M} UTC. Machine: {machine()}. "
        f"Sizes: {', '.join(f'{s:,}' for s in sizes)} generated clients "
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
            f"(the kept figures of its paying organization recomputed first; the first "
            f"partner and its reseller pay for 30 % and 25 % of the generated clients), and "
            f"with the figures "
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
    if rates:
        lines += _throughput_lines(largest, rates, renew_latency)
    if auto_renewals:
        lines += [
            "",
            "`run_auto_renewals` once on each seeded database, as the daily cron runs it (a "
            "tenth of the generated clients renew automatically: those ending within 7 days "
            "or expired are due; target for a day's 1,000 due: under 30 s):",
            "",
            "| clients | renewed | refused | wall time s |",
            "|---:|---:|---:|---:|",
        ]
        for size in sizes:
            if size in auto_renewals:
                row = auto_renewals[size]
                lines.append(
                    f"| {size:,} | {row['renewed']:,} | {row['refused']:,} "
                    f"| {row['seconds']:.1f} |"
                )
    lines += ["", "| seed_demo --clients | wall time s | peak memory MB |", "|---:|---:|---:|"]
    for size in sizes:
        if size in seeds:
            lines.append(
                f"| {size:,} | {seeds[size]['seconds']:.1f} | {seeds[size]['max_rss_mb']:.0f} |"
            )
    lines.append("")
    return "\n".join(lines)


def write(section, path=BENCHMARKS):
    """Replaces everything from the `## Latest run` line to the end of the file with
    `section` (which starts with that line), or appends it when the heading is absent:
    the file keeps one run, its history is in git. What comes before stays as it is."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    match = re.search(rf"^{re.escape(LATEST)}[ \t]*$", old, re.M)
    head = old[: match.start()] if match else old
    path.write_text(head.rstrip() + "\n\n" + section.strip() + "\n")
