"""Fixtures several of the subscriptions' test modules share (the cast is in
tests/conftest.py)."""

import datetime

import pytest
from django.utils import translation


@pytest.fixture
def expiring(alpha, tbox, grant, make_subscription, today):
    """Alpha's client whose 5-user term ends in 30 days, Alpha's TBox pool holding 100."""
    grant(alpha, tbox, 100)
    return make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=300),
        end=today + datetime.timedelta(days=30), users=5,
    )


@pytest.fixture
def english():
    """Reports and refusals read in English, whatever an earlier test left active."""
    with translation.override("en"):
        yield
