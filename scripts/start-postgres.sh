#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 cluster for tests and benchmarks, installing it if
# missing, with `trust` for local connections (a test machine: no password to manage).
# Idempotent: does nothing when the server already answers.
set -euo pipefail

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
hba=/etc/postgresql/$version/main/pg_hba.conf
if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    sed -i -E 's/^(local|host)(\s+)(all|replication)(.*)(peer|scram-sha-256|md5)$/\1\2\3\4trust/' "$hba"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
    sleep 1
done
echo "PostgreSQL did not start" >&2
exit 1
