"""Single sign-on with OpenID Connect (docs/interface.md "Single sign-on"), end to end
against a real provider on loopback (django-oidc-provider, tests/sso_provider): the test
client plays the portal's side, plain HTTP requests the person's at the provider."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization
from tests.helpers.html import by_testid, text_of
from tests.helpers.sso import local, sign_in, through_provider
from tests.sso_provider.tamper import TamperingProxy

pytestmark = pytest.mark.usefixtures("plain_http")

User = get_user_model()
ADA = "ada.sso@alpha.example"


@pytest.fixture
def client(browse):
    """A browser speaking English."""
    return browse()


@pytest.fixture
def ada(partner_user):
    """The portal's user whose address the provider's `ada` (verified) and `mallory`
    (unverified) both give."""
    partner_user.email = ADA.upper()
    partner_user.save(update_fields=["email"])
    return partner_user


def _signed_in_as(client):
    page = client.get("/")
    return page.status_code == 200 and page.wsgi_request.user.get_username()


def _refused(answer, client, language="en"):
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert not page.wsgi_request.user.is_authenticated
    return text_of(page)


def test_the_login_page_offers_single_sign_on_in_french(client, sso):
    page = client.get("/accounts/login/?next=/licenses/", HTTP_ACCEPT_LANGUAGE="fr")
    [link] = by_testid(page, "sso-login")
    assert link.text == "Se connecter avec l’authentification unique"
    assert link.attrs["href"] == "/accounts/sso/login/?next=/licenses/"
    # The password login stays.
    assert 'name="password"' in page.content.decode()


def test_without_an_issuer_there_is_no_button_and_the_pages_are_not_found(client, settings):
    settings.OIDC_ISSUER = ""
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert not by_testid(page, "sso-login")
    assert client.get("/accounts/sso/login/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404


def test_the_start_sends_to_the_provider_with_pkce_state_and_nonce(client, sso):
    answer = client.get("/accounts/sso/login/")
    assert answer.status_code == 302
    location = answer["Location"]
    assert location.startswith(f"{sso.issuer}/authorize")
    for parameter in ("code_challenge=", "code_challenge_method=S256", "state=", "nonce="):
        assert parameter in location
    assert "response_type=code" in location


def test_a_verified_address_signs_in_its_user_without_the_second_step(client, sso, ada):
    # Enrolled, and in an organization that requires two-factor login: the provider is
    # trusted for the second factor.
    TOTPDevice.objects.create(user=ada, name="authenticator", confirmed=True)
    Organization.objects.filter(pk=ada.membership.organization_id).update(require_mfa=True)
    answer = sign_in(client, "ada", next_url="/licenses/")
    assert answer.status_code == 302
    assert answer["Location"] == "/licenses/"
    assert _signed_in_as(client) == "partner"
    assert client.get("/licenses/").status_code == 200
    assert client.get("/account/users/").status_code == 200


def test_without_next_it_lands_on_the_dashboard(client, sso, ada):
    answer = sign_in(client, "ada")
    assert answer["Location"] == "/"
    assert _signed_in_as(client) == "partner"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "\\\\evil.example/"]
)
def test_next_never_leaves_the_portal(client, sso, ada, next_url):
    answer = sign_in(client, "ada", next_url=next_url)
    assert answer["Location"] == "/"


def test_the_pages_answer_get_only(client, sso):
    assert client.post("/accounts/sso/login/").status_code == 405
    assert client.post("/accounts/sso/callback/").status_code == 405


def test_an_unknown_address_is_refused_and_creates_nobody(client, sso, ada):
    users = User.objects.count()
    answer = sign_in(client, "stranger")
    text = _refused(answer, client)
    assert "No account of the portal has the e-mail address nobody@elsewhere.example." in text
    assert User.objects.count() == users
    assert not User.objects.filter(email__iexact="nobody@elsewhere.example").exists()


def test_an_unverified_address_is_refused_even_if_a_user_has_it(client, sso, ada):
    answer = sign_in(client, "mallory", language="fr")
    text = _refused(answer, client, language="fr")
    assert "Votre fournisseur d’identité n’a pas vérifié votre adresse e-mail" in text


def test_an_inactive_user_is_refused(client, sso, ada):
    User.objects.create_user("dormant", "dormant.sso@alpha.example", "dormant", is_active=False)
    answer = sign_in(client, "dormant")
    assert "is deactivated" in _refused(answer, client)


def test_two_active_users_with_the_address_are_refused(client, sso, ada):
    User.objects.create_user("ada2", ADA, "ada2")
    answer = sign_in(client, "ada")
    assert "Several accounts of the portal" in _refused(answer, client)


def test_a_tampered_state_is_refused(client, sso, ada):
    start = client.get("/accounts/sso/login/")
    back = local(through_provider(start["Location"], "ada"))
    assert "state=" in back
    tampered = back.replace("state=", "state=x")
    answer = client.get(tampered)
    assert "Single sign-on did not succeed." in _refused(answer, client)


def test_a_callback_is_used_once(client, sso, ada):
    start = client.get("/accounts/sso/login/")
    back = local(through_provider(start["Location"], "ada"))
    assert client.get(back)["Location"] == "/"
    client.logout()
    answer = client.get(back)
    assert "Single sign-on did not succeed." in _refused(answer, client)


def test_a_callback_from_another_browser_is_refused(client, sso, ada):
    # The code was asked for in someone else's session (login cross-site request forgery).
    start = client.get("/accounts/sso/login/")
    back = local(through_provider(start["Location"], "ada"))
    other = type(client)(headers={"accept-language": "en"})
    answer = other.get(back)
    assert answer["Location"] == "/accounts/login/"
    assert not other.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_a_refusal_by_the_provider_is_shown(client, sso, ada):
    start = client.get("/accounts/sso/login/")
    state = start["Location"].split("state=")[1].split("&")[0]
    answer = client.get(f"/accounts/sso/callback/?error=access_denied&state={state}")
    assert "Single sign-on did not succeed." in _refused(answer, client)


def test_an_unreachable_provider_is_said(client, settings, sso):
    from tests.sso_provider.server import _free_port

    settings.OIDC_ISSUER = f"http://127.0.0.1:{_free_port()}/openid"
    answer = client.get("/accounts/sso/login/")
    assert "The identity provider cannot be reached right now." in _refused(answer, client)


def test_a_sign_in_through_the_provider_lifts_the_password_lock(client, sso, ada, settings):
    # The lock guards against guessed passwords; the provider's sign-in is not one, and
    # clears the failures as a successful password login does.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "partner", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "partner", "password": "partner"})
    assert not locked.wsgi_request.user.is_authenticated
    assert AccessAttempt.objects.filter(username="partner").exists()
    assert sign_in(client, "ada")["Location"] == "/"
    assert client.get("/").wsgi_request.user == ada
    assert not AccessAttempt.objects.filter(username="partner").exists()


def test_the_discovery_document_and_keys_are_read_once_then_after_their_max_age(
    client, sso, settings, ada
):
    # Through a proxy of its own, which notes what the portal asks the provider.
    proxy = TamperingProxy(sso).start()
    try:
        settings.OIDC_ISSUER = proxy.issuer
        discovery, keys = "/openid/.well-known/openid-configuration", "/openid/jwks"
        for _ in range(2):
            assert sign_in(client, "ada")["Location"] == "/"
            client.logout()
        assert (proxy.seen.count(discovery), proxy.seen.count(keys)) == (1, 1)
        settings.OIDC_METADATA_MAX_AGE = 0
        assert sign_in(client, "ada")["Location"] == "/"
        assert proxy.seen.count(discovery) > 1
        assert proxy.seen.count(keys) == 2
    finally:
        proxy.stop()


def test_a_password_login_after_it_is_held_to_require_mfa_again(client, sso, ada):
    Organization.objects.filter(pk=ada.membership.organization_id).update(require_mfa=True)
    assert sign_in(client, "ada")["Location"] == "/"
    assert client.get("/licenses/").status_code == 200
    client.post("/accounts/login/", {"username": "partner", "password": "partner"})
    # The same session, now opened by a password alone: enrolment first.
    assert client.get("/licenses/")["Location"] == "/account/security/"
