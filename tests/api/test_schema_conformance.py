"""Schemathesis against the live schema: every operation, generated inputs, through the
WSGI application. No answer is a 500, and every answer matches the schema (status code
documented, body valid). Runs in `make test` in well under a minute."""

import datetime

import pytest
import schemathesis
from dateutil.relativedelta import relativedelta
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiToken
from subscriptions.models import Subscription
from subscriptions.status import Status

EXAMPLES_PER_OPERATION = 25
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the connection after each request; the test's transaction
    lives on it, so keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def populated(
    keep_connection, partner_user, alpha, alpha_reseller, tbox, tsend, grant,
    make_subscription, today, settings,
):
    settings.API_RATE = "100000/min"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    grant(alpha, tbox, 50)
    grant(alpha_reseller, tsend, 20)
    end = today + datetime.timedelta(days=20)
    start = end - relativedelta(years=1) + datetime.timedelta(days=1)
    for index in range(4):
        make_subscription(alpha, tbox, start=start, end=end, users=3 + index)
    make_subscription(alpha, tsend, reseller=alpha_reseller, start=start, end=end)
    make_subscription(alpha, tbox, renewal_years=1)
    _token, key = ApiToken.issue(partner_user, "schemathesis")
    return key


def test_every_operation_answers_within_the_schema_and_never_500(populated):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    headers = {"Authorization": f"Token {populated}", "Accept-Language": "en"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    seen = set()

    def check_operation(operation):
        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=headers)
            seen.add((operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS)

        check()

    for operation in operations:
        check_operation(operation)

    # Every operation was called; the generated calls reached the data, not only the
    # error paths.
    assert {label for label, _status in seen} == {operation.label for operation in operations}
    assert ("GET /api/v1/subscriptions/", 200) in seen
    assert ("GET /api/v1/pools/", 200) in seen
    assert {status for _label, status in seen} >= {200, 400, 404}


def test_the_answers_of_undo_and_the_not_renewing_mark_match_the_schema(populated, alpha):
    """Generated inputs rarely name a subscription that can be undone or marked: walk
    each write's success and refusal once, on real rows, and check every answer."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    headers = {"Authorization": f"Token {populated}", "Accept-Language": "en"}
    due = list(
        Subscription.objects.with_status()
        .filter(client__partner=alpha, status=Status.EXPIRING, client__reseller=None)
        .order_by("pk")
    )
    renewed = Subscription.objects.with_status().get(status=Status.RENEWED)
    statuses = []

    def call(path, method, subscription=None, *, key=None, body=None, query=None):
        operation = schema[path][method]
        case = operation.Case(
            path_parameters={"id": subscription.pk} if subscription else None,
            headers={**headers, **({"Idempotency-Key": key} if key else {})},
            query=query,
            **({"body": body} if body is not None else {}),
        )
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        statuses.append((method, path, response.status_code))
        return response

    renew = "/api/v1/subscriptions/{id}/renew/"
    cancel = "/api/v1/subscriptions/{id}/cancel-renewal/"
    mark = "/api/v1/subscriptions/{id}/not-renewing/"
    call(renew, "POST", due[0], key="r-1", body={"years": 1})
    call(cancel, "POST", due[0], key="c-1")
    call(cancel, "POST", due[0], key="c-1")  # the replay
    call(cancel, "POST", due[0], key="c-2")  # nothing left to undo
    call(cancel, "POST", renewed, key="c-3")  # a renewal with no ledger line
    call(mark, "POST", due[1], body={"reason": "other", "comment": "Folded"})
    call(mark, "POST", renewed, body={"reason": "price"})  # not due
    call("/api/v1/subscriptions/{id}/", "GET", due[1])
    call("/api/v1/renewals-due/", "GET", query={"not_renewing": True})
    call(mark, "DELETE", due[1])

    assert [status for _method, _path, status in statuses] == [
        201, 200, 200, 409, 200, 200, 409, 200, 200, 200
    ]
