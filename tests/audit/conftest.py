"""The audit tests' day and subscriptions (the services' tests' fixed today)."""

import datetime

import pytest

from tests.subscriptions.services.helpers import TODAY

D = datetime.date


@pytest.fixture(autouse=True)
def default_rules(settings):
    settings.RENEWAL_WINDOW_MONTHS = 3
    settings.RENEWAL_AFTER_EXPIRY = "restart"


@pytest.fixture
def expiring(alpha, tbox, make_subscription):
    """Alpha's own client, its TBox ending on 31 July (expiring on TODAY, 15 June)."""
    return make_subscription(
        alpha, tbox, start=D(2024, 8, 1), end=D(2025, 7, 31), users=7, name="Expirante"
    )


@pytest.fixture
def resold(alpha, alpha_reseller, tbox, make_subscription):
    """Alpha Revente's client, expiring too."""
    return make_subscription(
        alpha, tbox, start=D(2024, 8, 1), end=D(2025, 7, 31), users=3, reseller=alpha_reseller,
        name="Revendue",
    )


@pytest.fixture
def today():
    return TODAY
