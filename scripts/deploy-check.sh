#!/usr/bin/env bash
# Follows docs/deployment.md once, from scratch, on this machine: a fresh PostgreSQL
# database, migrations, demo data, two `make serve` app servers on one database, /healthz
# on both, a login through the second with the session made by the first, then a pg_dump
# backup restored into another database where check_ledger must hold. Stops everything
# it started and drops its databases (KEEP_DATABASES=1 keeps them).
#
#   bash scripts/deploy-check.sh            # ports 8025 and 8026
#   DEPLOY_DB=mydb PORTS="8125 8126" bash scripts/deploy-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DEPLOY_DB=${DEPLOY_DB:-portal_deploy_check}
RESTORE_DB=${RESTORE_DB:-${DEPLOY_DB}_restore}
PORTS=${PORTS:-"8025 8026"}
PG="-h 127.0.0.1 -U postgres"
WORK=var/deploy-check
mkdir -p "$WORK"

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        # Each server was started in its own process group (setsid): make, gunicorn's
        # master and its workers stop together, and nothing else.
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    if [ "${KEEP_DATABASES:-0}" != 1 ]; then
        psql $PG -q -c "DROP DATABASE IF EXISTS $DEPLOY_DB" -c "DROP DATABASE IF EXISTS $RESTORE_DB" \
            >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

step "PostgreSQL"
bash scripts/start-postgres.sh
psql $PG -q -c "DROP DATABASE IF EXISTS $DEPLOY_DB" -c "CREATE DATABASE $DEPLOY_DB"

# The production environment: the same variables on every app server (docs/deployment.md).
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DEPLOY_DB"
export SECRET_KEY="deploy-check-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS="127.0.0.1,localhost"
export HTTPS=0 WEB_CONCURRENCY=${WEB_CONCURRENCY:-2} PORTAL_BASE_URL="http://127.0.0.1"
unset DEBUG PORTAL_ALLOW_INSECURE_KEY PORTAL_PLAIN_STATIC

step "Install, migrate, seed (once, from one node)"
make install
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo --force
.venv/bin/python manage.py check --deploy --fail-level ERROR

step "Two app servers on one database: make serve on ports $PORTS"
for port in $PORTS; do
    # One after the other: each `make serve` migrates and collects static files first.
    setsid make serve HOST=127.0.0.1 PORT="$port" >"$WORK/serve-$port.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 60); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$WORK/serve-$port.log"; exit 1; }
        sleep 0.5
    done
done

step "/healthz on both"
for port in $PORTS; do
    answer=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
    echo "http://127.0.0.1:$port/healthz -> $answer"
    [ "$answer" = 200 ] || exit 1
done

step "A session made on one server is valid on the other (sessions in the database)"
set -- $PORTS
jar="$WORK/cookies.txt"; rm -f "$jar"
csrf=$(curl -fsS -c "$jar" "http://127.0.0.1:$1/accounts/login/" \
    | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -n 1)
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
    --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode username=partner \
    --data-urlencode password=partner "http://127.0.0.1:$1/accounts/login/")
[ "$code" = 302 ] || { echo "login on :$1 answered $code"; exit 1; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" "http://127.0.0.1:$2/renewals/")
echo "GET :$2/renewals/ with the session from :$1 -> $code"
[ "$code" = 200 ] || exit 1
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/static/js-lib-bootstrap5/css/bootstrap.min.css")
echo "static file through whitenoise on :$2 -> $code"

step "Backup with pg_dump, restore into $RESTORE_DB, check_ledger there"
pg_dump $PG --format=custom --file="$WORK/backup.dump" "$DEPLOY_DB"
psql $PG -q -c "DROP DATABASE IF EXISTS $RESTORE_DB" -c "CREATE DATABASE $RESTORE_DB"
pg_restore $PG --no-owner --exit-on-error --dbname="$RESTORE_DB" "$WORK/backup.dump"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$RESTORE_DB" .venv/bin/python manage.py check_ledger
count() { psql $PG -At -d "$1" -c "SELECT count(*) FROM subscriptions_subscription"; }
echo "subscriptions: $(count "$DEPLOY_DB") in $DEPLOY_DB, $(count "$RESTORE_DB") in $RESTORE_DB"
[ "$(count "$DEPLOY_DB")" = "$(count "$RESTORE_DB")" ]

step "deploy-check passed"
