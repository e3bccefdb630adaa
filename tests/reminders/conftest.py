import datetime

import pytest


@pytest.fixture
def ending_on(make_subscription, alpha, tbox):
    """ending_on(end, **kwargs): a subscription of alpha whose current term ends on `end`."""

    def _make(end, **kwargs):
        start = kwargs.pop("start", None) or end - datetime.timedelta(days=364)
        kwargs.setdefault("years", 1)
        subscription = make_subscription(
            kwargs.pop("partner", alpha), kwargs.pop("product", tbox), start=start, end=end,
            **kwargs,
        )
        return subscription

    return _make
