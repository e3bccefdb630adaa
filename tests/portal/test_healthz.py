"""/healthz against a database that really does not answer (docs/interface.md: 503)."""

import copy
import socket

import pytest
from django.db import connections


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released on exit: nothing listens there


@pytest.fixture
def unreachable_database(db, tmp_path):
    """The request's `default` connection points at a closed port (PostgreSQL) or a file
    that cannot be opened (SQLite); the test's own connection is put back afterwards."""
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
        settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
    else:
        settings_dict["NAME"] = str(tmp_path / "no-such-directory" / "portal.sqlite3")
    broken = original.__class__(settings_dict, alias="default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = original


def test_it_answers_503_when_the_database_does_not_answer(client, unreachable_database):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_answers_200_again_once_the_database_is_back(client, db):
    assert client.get("/healthz").status_code == 200
