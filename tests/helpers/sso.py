"""Single sign-on as a person goes through it, against the tests' real OpenID Connect
provider (tests/sso_provider): the portal's start page sends to the provider, the person
logs in there, and the provider sends the browser back to the portal's callback."""

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import requests

CALLBACK = "/accounts/sso/callback/"


def through_provider(authorize_url, username, password=None, portal="http://testserver"):
    """Logs `username` in at the provider, starting from its authorization URL, and returns
    the URL on the portal (`portal`) the provider sends the browser back to."""
    session = requests.Session()
    answer = session.get(authorize_url, allow_redirects=False, timeout=30)
    for _ in range(10):
        if answer.is_redirect:
            location = urljoin(answer.url, answer.headers["Location"])
            if location.startswith(portal):
                return location
            answer = session.get(location, allow_redirects=False, timeout=30)
            continue
        assert answer.status_code == 200, f"the provider answered {answer.status_code}"
        assert 'data-testid="provider-login"' in answer.text, answer.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text).group(1)
        next_url = unescape(re.search(r'name="next" value="([^"]*)"', answer.text).group(1))
        answer = session.post(
            answer.url,
            {
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": password or username,
                "next": next_url,
            },
            allow_redirects=False,
            timeout=30,
        )
    raise AssertionError("the provider never sent the browser back to the portal")


def local(url):
    """The path and query of a URL, as the Django test client takes it."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def sign_in(client, username, next_url=None, language="en"):
    """The whole single sign-on through the test client; returns the portal's last answer
    (the callback's)."""
    query = {"next": next_url} if next_url else {}
    answer = client.get("/accounts/sso/login/", query, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 302, answer.status_code
    back = through_provider(answer["Location"], username)
    return client.get(local(back), HTTP_ACCEPT_LANGUAGE=language)
