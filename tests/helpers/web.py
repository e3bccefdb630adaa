"""Browsers of the test client, speaking English unless told otherwise (the `browse`
fixture of tests/conftest.py hands this out)."""

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext


def browser(user=None, language="en"):
    client = HttpClient(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


def queries_for(client, url):
    """How many SQL statements a GET of `url` runs; the page must answer 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)
