import datetime

import pytest
from dateutil.relativedelta import relativedelta
from rest_framework.test import APIClient

from api.models import ApiToken


@pytest.fixture
def api_for():
    """api_for(user): an API client sending a fresh token of that user, in English."""

    def _client(user):
        _token, key = ApiToken.issue(user, "tests")
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.key = key
        return client

    return _client


@pytest.fixture
def expiring(make_subscription, today):
    """expiring(partner, product, **kwargs): a subscription whose one-year term ends in 15
    days (status `expiring`)."""

    def _expiring(partner, product, **kwargs):
        end = today + datetime.timedelta(days=15)
        return make_subscription(
            partner, product, start=end - relativedelta(years=1) + datetime.timedelta(days=1),
            end=end, **kwargs,
        )

    return _expiring
