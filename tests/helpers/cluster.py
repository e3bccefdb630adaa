"""A PRIVATE PostgreSQL cluster for the tests marked `load`: made with initdb in a
temporary folder, run as the `postgres` user on a free port, never the machine's shared
server, so a test may restart it. The `cluster` fixture (tests/conftest.py) yields
`private_cluster`'s answer."""

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(*args, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True,
                          capture_output=True, text=True, timeout=120, **kwargs)


def skip_unless_possible():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.skip("needs root (to run PostgreSQL as the postgres user) and PostgreSQL 15")


@contextmanager
def private_cluster(database="portal_load"):
    """{"url": DATABASE_URL of `database`, "folder": the cluster's folder (its server.log
    included), "restart": a callable, `pg_ctl restart -m fast`}; the cluster is stopped
    and its folder removed afterwards."""
    skip_unless_possible()
    folder = Path(tempfile.mkdtemp(prefix="portal-load-"))
    shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    as_postgres(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=100"
    control = [PG_BIN / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w"]
    as_postgres(*control, "start")
    try:
        as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                    database)
        yield {"url": f"postgres://postgres@127.0.0.1:{port}/{database}", "folder": folder,
               "restart": lambda: as_postgres(*control, "-m", "fast", "restart")}
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                        str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def sql(cluster_url, query):
    """The rows of `query` on the cluster, each a list of its columns as text."""
    result = subprocess.run(["psql", cluster_url, "-At", "-c", query], capture_output=True,
                            text=True, timeout=60, check=True)
    return [line.split("|") for line in result.stdout.splitlines() if line]
