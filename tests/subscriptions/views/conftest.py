"""The screens' tests speak plain HTTP to the portal, over the portfolio below."""

import datetime
from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _plain_http(plain_http):
    """Every screen here is read over plain HTTP (the `plain_http` of tests/conftest.py)."""


@pytest.fixture
def portfolio(alpha, alpha_reseller, beta, tbox, tsend, grant, make_subscription, today):
    """Alpha holds one subscription in each status (one managed by its reseller), Beta one.

    Pools: Alpha TBox 100, Alpha Revente TBox 50, Beta TBox 100; nobody has TSend.
    """
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 50)
    grant(beta, tbox, 100)
    soon = today + datetime.timedelta(days=20)
    return SimpleNamespace(
        expiring=make_subscription(alpha, tbox, end=soon, users=4, name="Expiring SA"),
        expired=make_subscription(
            alpha,
            tbox,
            start=today - datetime.timedelta(days=400),
            end=today - datetime.timedelta(days=10),
            users=3,
            name="Expired SARL",
        ),
        reseller_expiring=make_subscription(
            alpha,
            tbox,
            end=soon + datetime.timedelta(days=1),
            users=2,
            reseller=alpha_reseller,
            name="Revente Client",
        ),
        active=make_subscription(
            alpha, tsend, start=today - datetime.timedelta(days=30), users=6, name="Active SA"
        ),
        not_started=make_subscription(
            alpha, tbox, start=today + datetime.timedelta(days=10), users=1, name="Future SAS"
        ),
        renewed=make_subscription(
            alpha,
            tbox,
            start=today - datetime.timedelta(days=300),
            users=5,
            renewal_years=1,
            name="Renewed SA",
        ),
        beta_expiring=make_subscription(beta, tbox, end=soon, users=7, name="Beta Client"),
    )
