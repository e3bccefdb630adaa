import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The cast's users are created with passwords in every test: a slow hasher would make
    # the access matrix (one test per URL and kind of user) take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    # The load test starts its own PostgreSQL cluster and gunicorn: only `-m load` runs it
    # (.ci/run's separate step), never the ordinary suite.
    if "load" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="the load test runs with -m load (a separate CI step)")
    for item in items:
        if item.get_closest_marker("load"):
            item.add_marker(skip)
