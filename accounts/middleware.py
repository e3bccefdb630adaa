"""An organization's `require_mfa` (docs/interface.md "Two-factor login"): a member who
signed in with a password alone reaches only the security page, the logout and what those
pages need, until two-factor login is on. Single sign-on counts as a second factor.

Costs no query for the members of organizations that do not require it: the backend
reads the membership and its organization with the user. The API is not concerned: its
calls authenticate with a token, never with this session.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa, sso

ALWAYS_OPEN = ("/api/", "/i18n/", "/healthz", "/favicon.ico")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = self._refusal(request)
        return answer if answer is not None else self.get_response(request)

    def _refusal(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not mfa.required_for(user):
            return None
        # The identity provider is trusted for the second factor (accounts/sso.py).
        if request.session.get(sso.SESSION_KEY):
            return None
        path = request.path
        security = reverse("account_security")
        if path in (security, reverse("logout")) or path.startswith(
            (*ALWAYS_OPEN, "/" + settings.STATIC_URL.lstrip("/"))
        ):
            return None
        if mfa.has_two_factor(user):
            # A session opened before the device was confirmed never passed the second
            # step: it logs in again, with its code.
            logout(request)
            return redirect(f"{reverse('login')}?{urlencode({'next': path})}")
        # The security page says why.
        return redirect(security)
