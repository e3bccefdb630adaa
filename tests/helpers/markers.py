"""Marks shared by the tests that only PostgreSQL can run."""

import pytest
from django.db import connection


class Marks(list):
    """Marks usable as a module's `pytestmark` or, called, as one test's decorator."""

    def __call__(self, test):
        for mark in reversed(self):
            test = mark(test)
        return test


def postgres_only(reason, *, transaction=False):
    """Marked `postgres` and skipped on any other database, saying `reason`; with
    `transaction`, run in real transactions (for tests that race two connections)."""
    marks = Marks([pytest.mark.postgres])
    if transaction:
        marks.append(pytest.mark.django_db(transaction=True))
    marks.append(pytest.mark.skipif(connection.vendor != "postgresql", reason=reason))
    return marks


racing = postgres_only("concurrent transactions need PostgreSQL", transaction=True)
