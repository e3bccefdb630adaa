"""Renewal throughput: over HTTP, through the service layer and as raw SQL."""

import json
import os
import time
from multiprocessing import get_context

from .config import RAW_BARE, SECONDS, child_json, database_url, django_env, psql, setup_django
from .http_timing import Session, hidden

# Seconds allowed per session (and one more) to start its process and log in before the
# timed renewals begin.
LOGIN_MARGIN = 1.0


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
    from subscriptions.services.idempotency import issue_token

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
    ids, seconds, start_at = args
    session = Session().login("partner")
    # Every session logs in first, then all start at once: a login's password hash takes
    # far more CPU than a renewal, and sessions still logging in would slow the others'.
    time.sleep(max(0.0, start_at - time.time()))
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
    plan = child_json(name, "_plan", name, str(budget))
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
        start_at = time.time() + LOGIN_MARGIN * (1 + workers)
        rate, raw = run_parallel(
            _http_worker, [(chunk[k::workers], SECONDS, start_at) for k in range(workers)]
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
