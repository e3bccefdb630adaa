"""A tampered OpenID Connect answer signs nobody in: the ID token's signature, issuer,
audience, nonce and expiry are each changed on the way from the tests' real provider
(tests/sso_provider) by a man in the middle (tests/sso_provider/tamper.py); the same
answer untouched signs in."""

import base64
import json
import time

import pytest

from tests.helpers.sso import sign_in
from tests.sso_provider.tamper import TamperingProxy

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(scope="module")
def proxy(oidc_provider):
    proxy = TamperingProxy(oidc_provider).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def through_proxy(sso, settings, proxy):
    settings.OIDC_ISSUER = proxy.issuer
    proxy.change = None
    yield proxy
    proxy.change = None


@pytest.fixture
def ada(partner_user):
    partner_user.email = "ada.sso@alpha.example"
    partner_user.save(update_fields=["email"])
    return partner_user


def _bad_signature(proxy, header, claims):
    token = proxy.signed(header, claims)
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{signature[:-6]}{'A' * 6 if signature[-6:] != 'A' * 6 else 'B' * 6}"


def _claims(**values):
    def change(proxy, header, claims):
        return proxy.signed(header, {**claims, **values})

    return change


def _claim(name, value):
    return _claims(**{name: value})


def _unsigned(proxy, header, claims):
    """The claims as they are, under `"alg": "none"` and no signature."""

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_the_untouched_answer_signs_in(client, through_proxy, ada):
    through_proxy.change = lambda proxy, header, claims: proxy.signed(header, claims)
    answer = sign_in(client, "ada")
    assert answer["Location"] == "/"
    assert client.get("/").wsgi_request.user == ada


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_bad_signature, id="signature"),
        pytest.param(_unsigned, id="alg-none"),
        pytest.param(_claim("iss", "https://impostor.example/openid"), id="issuer"),
        pytest.param(_claim("aud", "another-client"), id="audience"),
        # OpenID Connect Core §3.1.3.7: `aud` must contain the client, whatever `azp` says.
        pytest.param(_claims(aud=["another-client"], azp="partner-portal"), id="audience-azp"),
        pytest.param(_claim("nonce", "not-the-sessions"), id="nonce"),
        pytest.param(_claim("exp", int(time.time()) - 3600), id="expired"),
    ],
)
def test_a_tampered_id_token_is_refused(client, through_proxy, ada, change):
    through_proxy.change = change
    answer = sign_in(client, "ada")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert not page.wsgi_request.user.is_authenticated
    assert "Single sign-on did not succeed." in page.content.decode()
