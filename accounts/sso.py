"""Single sign-on with OpenID Connect (docs/interface.md "Single sign-on").

Authlib's Django client runs the authorization code flow with PKCE (S256), a state and a
nonce kept in the session, and checks the ID token (signature against the provider's
keys, issuer, audience, nonce, expiry). The endpoints and keys come from the provider's
discovery document, `OIDC_ISSUER/.well-known/openid-configuration`, read once per process
and again after OIDC_METADATA_MAX_AGE seconds.

An identity only ever maps to an existing, active user with the same e-mail address, and
only when the provider says it verified that address: single sign-on never creates a
user, a membership or any access. The provider is trusted for the second factor: the
session is marked (SESSION_KEY), and accounts.middleware lets it through `require_mfa`.
"""

import logging
import threading
import time

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

logger = logging.getLogger(__name__)

User = get_user_model()

# In the session of a user who signed in through the provider (never set by a password).
SESSION_KEY = "portal_sso"
NAME = "sso"
# Seconds a call to the provider (discovery, keys, token, userinfo) may take.
PROVIDER_TIMEOUT = 10

FAILED = _(
    "Single sign-on did not succeed. Start again, or log in with your username and password."
)
UNREACHABLE = _(
    "The identity provider cannot be reached right now. Try again in a moment, or log in "
    "with your username and password."
)
NO_EMAIL = _(
    "Your identity provider did not give your e-mail address, so single sign-on cannot "
    "find your account. Log in with your username and password."
)
UNVERIFIED = _(
    "Your identity provider has not verified your e-mail address, so single sign-on cannot "
    "use it. Log in with your username and password."
)
UNKNOWN = _(
    "No account of the portal has the e-mail address %(email)s. Ask a manager of your "
    "organization to invite you with this address."
)
INACTIVE = _(
    "Your account of the portal with the e-mail address %(email)s is deactivated. Ask a "
    "manager of your organization to reactivate it."
)
AMBIGUOUS = _(
    "Several accounts of the portal have the e-mail address %(email)s, so single sign-on "
    "cannot tell which one is yours. Log in with your username and password."
)


class Refused(Exception):
    """A sign-in refused, with the message the login page shows."""

    def __init__(self, message, reason):
        super().__init__(reason)
        self.message = message
        self.reason = reason


_clients = {}
_clients_lock = threading.Lock()


def enabled():
    return bool(settings.OIDC_ISSUER)


def discovery_url():
    return f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"


def client():
    """Authlib's client for the configured provider, kept per process with the discovery
    document and keys it has read."""
    key = (settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)
    with _clients_lock:
        app = _clients.get(key)
        loaded_at = app.server_metadata.get("_loaded_at") if app is not None else None
        if loaded_at is not None and time.time() - loaded_at > settings.OIDC_METADATA_MAX_AGE:
            app = None
        if app is None:
            app = OAuth().register(
                NAME,
                client_id=settings.OIDC_CLIENT_ID,
                client_secret=settings.OIDC_CLIENT_SECRET,
                server_metadata_url=discovery_url(),
                client_kwargs={
                    "scope": "openid email profile",
                    "code_challenge_method": "S256",
                    "default_timeout": PROVIDER_TIMEOUT,
                },
            )
            _clients.clear()
            _clients[key] = app
    return app


def _metadata(app):
    metadata = app.load_server_metadata()
    # OpenID Connect Discovery §4.3: the document must name the issuer it was read from,
    # else ID tokens would be checked against an issuer nobody configured.
    if str(metadata.get("issuer") or "").rstrip("/") != settings.OIDC_ISSUER:
        raise Refused(FAILED, f"the discovery document names issuer {metadata.get('issuer')!r}")
    return metadata


def authorize_redirect(request, redirect_uri):
    """The redirect to the provider's login, its state, nonce and PKCE verifier kept in the
    session."""
    app = client()
    try:
        _metadata(app)
        return app.authorize_redirect(
            request, redirect_uri, ui_locales=getattr(request, "LANGUAGE_CODE", "")
        )
    except (requests.RequestException, ValueError) as exc:
        raise Refused(UNREACHABLE, f"the discovery document: {exc}") from exc
    except (KeyError, RuntimeError) as exc:
        raise Refused(FAILED, f"the discovery document lacks {exc}") from exc


def _claims(app, request):
    """The provider's answer on the callback, checked: the verified claims of the ID token,
    with the userinfo endpoint's when the ID token lacks the e-mail."""
    try:
        metadata = _metadata(app)
        token = app.authorize_access_token(
            request,
            # Authlib checks `aud` only when told to: without this, a token for another
            # client naming this one in `azp` alone would pass (OpenID Connect Core
            # §3.1.3.7: `aud` must contain the client id).
            claims_options={
                "iss": {"essential": True, "values": [metadata["issuer"]]},
                "aud": {"essential": True, "values": [settings.OIDC_CLIENT_ID]},
            },
        )
        claims = token.get("userinfo")
        # Authlib checks an ID token only when there is one: an answer without is refused.
        if not claims or not claims.get("sub"):
            raise Refused(FAILED, "no ID token in the token response")
        claims = dict(claims)
        if "email" not in claims or "email_verified" not in claims:
            info = app.userinfo(token=token)
            # OpenID Connect Core §5.3.2: a userinfo answer for another subject is not used.
            if info.get("sub") != claims["sub"]:
                raise Refused(FAILED, "the userinfo answer is for another subject")
            claims["email"] = info.get("email")
            claims["email_verified"] = info.get("email_verified")
    except OAuthError as exc:
        raise Refused(FAILED, f"{exc.error}: {exc.description}") from exc
    except JoseError as exc:
        raise Refused(FAILED, f"the ID token: {exc}") from exc
    except (KeyError, RuntimeError) as exc:
        raise Refused(FAILED, f"the discovery document lacks {exc}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise Refused(UNREACHABLE, f"the provider: {exc}") from exc
    return claims


def _verified(value):
    # Some providers send the boolean as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def user_for(claims):
    """The one active user the verified e-mail of `claims` designates; Refused otherwise."""
    email = (claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise Refused(NO_EMAIL, "no e-mail address")
    if not _verified(claims.get("email_verified")):
        raise Refused(UNVERIFIED, f"{email} is not verified")
    found = list(User._default_manager.filter(email__iexact=email))
    active = [user for user in found if user.is_active]
    if len(active) == 1:
        return active[0]
    if len(active) > 1:
        raise Refused(AMBIGUOUS % {"email": email}, f"{len(active)} active users have {email}")
    if found:
        raise Refused(INACTIVE % {"email": email}, f"the user of {email} is inactive")
    raise Refused(UNKNOWN % {"email": email}, f"no user has {email}")


def user_from_callback(request):
    """The user the provider's answer on the callback signs in; Refused otherwise."""
    claims = _claims(client(), request)
    return user_for(claims)
