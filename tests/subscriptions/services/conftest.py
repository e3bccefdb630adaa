"""The service tests' rules and subscriptions, seen from TODAY (helpers.py)."""

import datetime

import pytest


@pytest.fixture(autouse=True)
def default_rules(settings):
    settings.RENEWAL_WINDOW_MONTHS = 3
    settings.RENEWAL_AFTER_EXPIRY = "restart"


@pytest.fixture
def active(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), users=7
    )


@pytest.fixture
def expiring(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31), users=7
    )


@pytest.fixture
def expired(alpha, tbox, make_subscription):
    return make_subscription(
        alpha, tbox, start=datetime.date(2024, 6, 1), end=datetime.date(2025, 5, 31), users=7
    )
