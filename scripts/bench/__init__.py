"""`make bench` (`python -m scripts.bench`): the scale benchmark, on the local PostgreSQL.

For each size (BENCH_SIZES, default 1000,10000,100000,999999 generated clients) it seeds a
fresh database with `seed_demo --force --clients N --seed 1`, serves it like `make serve`
(gunicorn, DEBUG=0, HTTPS=0) and measures over HTTP, with sessions logged in through the
real login form, the p50/p95 latency of each page for publisher staff (`admin`) and a
partner (`partner`), next to Django admin's changelist on the same data. Queries per page
are counted in a separate process with Django's test client. At the largest size it also
measures renewal throughput over HTTP, through the service layer, and as raw SQL. The run
replaces the `## Latest run` section of docs/benchmarks.md (everything from that heading
to the end of the file); what comes before it stays as it is.

- `config`: the knobs, the databases and the child processes;
- `seeding`: a fresh database per size, seeded; `pages`: the pages measured, their
  queries counted; `http_timing`: the server, sessions and latencies;
- `throughput`: renewals per second; `report`: the section written; `__main__`: the run.

Knobs: BENCH_SIZES, BENCH_REQUESTS (per page, default 50), BENCH_SECONDS (per throughput
run, default 4), BENCH_PORT (default 8031), BENCH_WORKERS (gunicorn, default 4),
BENCH_DB_PREFIX (databases are PREFIX_N, default bench), BENCH_KEEP_DB=1 (reuse an
already seeded database), BENCH_NO_THROUGHPUT=1 (skip the renewal throughput),
BENCH_NO_WRITE=1 (print only).
"""
