"""The two pages of single sign-on (accounts/sso.py): the start, which sends the browser to
the provider, and the callback the provider sends it back to. Both answer 404 while
OIDC_ISSUER is unset.

A refusal, whatever its cause, leads back to the login page with a message: the password
login stays there for whoever the provider cannot sign in.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from . import sso

logger = logging.getLogger(__name__)

NEXT = "portal_sso_next"
# The backend the session remembers: the one that reads the membership with the user.
BACKEND = "accounts.backends.PortalBackend"


def _refuse_unless_get(request):
    """404 while single sign-on is off, whatever the method; then GET only."""
    if not sso.enabled():
        raise Http404
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return None


def _safe_next(request, url):
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _refused(request, refusal):
    logger.warning("Single sign-on refused: %s", refusal.reason)
    messages.error(request, refusal.message)
    return redirect("login")


@never_cache
def sso_login(request):
    if (refusal := _refuse_unless_get(request)) is not None:
        return refusal
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        request.session[NEXT] = next_url
    else:
        request.session.pop(NEXT, None)
    try:
        return sso.authorize_redirect(request, request.build_absolute_uri(reverse("sso_callback")))
    except sso.Refused as refusal:
        return _refused(request, refusal)


@never_cache
def sso_callback(request):
    if (refusal := _refuse_unless_get(request)) is not None:
        return refusal
    try:
        user = sso.user_from_callback(request)
    except sso.Refused as refusal:
        return _refused(request, refusal)
    next_url = _safe_next(request, request.session.pop(NEXT, None))
    # Django's login: a new session key, and the session of anyone signed in before
    # emptied when it was someone else.
    auth_login(request, user, backend=BACKEND)
    request.session[sso.SESSION_KEY] = True
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
