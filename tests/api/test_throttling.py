"""The API's rate limit (api/throttling.py), counted in the database: the same behaviour on
SQLite and PostgreSQL. Two servers sharing the count: tests/ops/test_two_instances.py."""

import pytest
from rest_framework.test import APIRequestFactory

from api.models import RateCount
from api.throttling import PerTokenRateThrottle, count_call

CLIENTS = "/api/v1/clients/"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand: `clock.now += 61`."""

    class Clock:
        now = 1_700_000_000.0

    monkeypatch.setattr(PerTokenRateThrottle, "timer", staticmethod(lambda: Clock.now))
    return Clock


def test_the_call_over_the_rate_is_a_429_with_retry_after(
    partner_user, api_for, settings, clock
):
    settings.API_RATE = "3/min"
    client = api_for(partner_user)
    assert [client.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 200]
    clock.now += 20
    refused = client.get(CLIENTS)
    assert refused.status_code == 429
    # The window opened with the first call: it ends 60 s after it, 40 s from now.
    assert refused["Retry-After"] == "40"
    assert refused.json()["status"] == 429


def test_another_token_keeps_its_own_allowance(partner_user, api_for, settings, clock):
    settings.API_RATE = "2/min"
    first, second = api_for(partner_user), api_for(partner_user)
    assert [first.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 429]
    assert [second.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 429]


def test_the_allowance_comes_back_when_the_window_ends(partner_user, api_for, settings, clock):
    settings.API_RATE = "2/min"
    client = api_for(partner_user)
    assert [client.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 429]
    clock.now += 59.5
    assert client.get(CLIENTS).status_code == 429
    clock.now += 0.5
    assert [client.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 429]


def test_refused_calls_do_not_stretch_the_window(partner_user, api_for, settings, clock):
    settings.API_RATE = "1/min"
    client = api_for(partner_user)
    assert client.get(CLIENTS).status_code == 200
    for _ in range(5):
        clock.now += 10
        assert client.get(CLIENTS).status_code == 429
    clock.now += 10
    assert client.get(CLIENTS).status_code == 200


def test_the_count_is_one_row_per_client_in_the_database(db):
    assert count_call("api_token:token-1", 100.0, 60) == (1, 160.0)
    assert count_call("api_token:token-1", 130.0, 60) == (2, 160.0)
    assert count_call("api_token:token-2", 130.0, 60) == (1, 190.0)
    assert count_call("api_token:token-1", 160.0, 60) == (1, 220.0)
    assert dict(RateCount.objects.values_list("key", "calls")) == {
        "api_token:token-1": 1,
        "api_token:token-2": 1,
    }


def test_the_rows_of_clients_gone_quiet_are_deleted(db):
    count_call("api_token:token-1", 100.0, 60)
    count_call("api_token:token-2", 150.0, 60)
    # token-1's window ended at 160: the next window opened by anyone lets its row go.
    count_call("api_token:token-3", 170.0, 60)
    assert set(RateCount.objects.values_list("key", flat=True)) == {
        "api_token:token-2",
        "api_token:token-3",
    }


def test_a_session_user_and_an_address_are_counted_too(partner_user):
    throttle = PerTokenRateThrottle()
    request = APIRequestFactory().get(CLIENTS, REMOTE_ADDR="192.0.2.7")
    request.user, request.auth = partner_user, None
    assert throttle.get_cache_key(request, None) == f"api_token:user-{partner_user.pk}"
    request.user = None
    assert throttle.get_cache_key(request, None) == "api_token:192.0.2.7"
    long = APIRequestFactory().get(CLIENTS, HTTP_X_FORWARDED_FOR=", ".join(["192.0.2.7"] * 40))
    long.user, long.auth = None, None
    key = throttle.get_cache_key(long, None)
    assert key.startswith("api_token:sha256-")
    assert len(key) <= RateCount._meta.get_field("key").max_length


def test_every_counted_answer_says_what_is_left_of_the_window(
    partner_user, api_for, settings, clock
):
    settings.API_RATE = "3/min"
    client = api_for(partner_user)
    first = client.get(CLIENTS)
    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"], first["RateLimit-Reset"]) == (
        "3", "2", "60"
    )
    clock.now += 15
    second = client.get(CLIENTS)
    assert (second["RateLimit-Remaining"], second["RateLimit-Reset"]) == ("1", "45")
    client.get(CLIENTS)
    refused = client.get(CLIENTS)
    assert refused.status_code == 429
    assert (refused["RateLimit-Remaining"], refused["RateLimit-Reset"]) == ("0", "45")
    assert refused["Retry-After"] == "45"


def test_pages_of_the_portal_carry_no_rate_limit_headers(partner_user, client):
    client.force_login(partner_user)
    assert "RateLimit-Limit" not in client.get("/")
