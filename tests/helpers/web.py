"""Browsers of the test client, speaking English unless told otherwise (the `browse`
fixture of tests/conftest.py hands this out)."""

from django.test import Client as HttpClient


def browser(user=None, language="en"):
    client = HttpClient(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client
