"""The login, in one or two steps (docs/interface.md "Two-factor login").

`/accounts/login/` keeps Django's form and fields. A user with two-factor login who gives
the right password is not logged in yet: the session only remembers who passed the first
step, for LOGIN_CODE_MAX_AGE seconds, and `/accounts/login/code/` asks for a code. Only a
right code logs the user in, so no page is reachable between the steps.

django-axes counts a wrong code as a failed login of the same username, with the wrong
passwords, and its lock (and its answer, accounts.views.locked_out) holds at both steps.
"""

import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import mfa, sso
from .forms import CodeForm
from .views import locked_out

User = get_user_model()

PENDING = "portal_login_pending"


class PortalLoginView(LoginView):
    """Django's LoginView, which stops after the password for a user with two-factor
    login."""

    def get_context_data(self, **kwargs):
        # The single sign-on button is offered only when a provider is configured.
        return super().get_context_data(**kwargs, sso_enabled=sso.enabled())

    def form_valid(self, form):
        user = form.get_user()
        # A password login is not the provider's: the session no longer counts as having
        # passed a second factor through it (accounts/sso.py).
        self.request.session.pop(sso.SESSION_KEY, None)
        if not mfa.has_two_factor(user):
            return super().form_valid(form)
        # A new session key: whatever an attacker planted before the password is not the
        # session the second step completes.
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            # As typed: axes counts the failures of this username, at both steps.
            "username": form.cleaned_data.get("username", ""),
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login_code")


def _pending(request):
    """Who passed the password step in this session, if it is recent; else None."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > settings.LOGIN_CODE_MAX_AGE:
        del request.session[PENDING]
        messages.info(request, _("Your login took too long: log in again."))
        return None
    user = User._default_manager.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        del request.session[PENDING]
        return None
    return pending, user


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    found = _pending(request)
    if found is None:
        return redirect("login")
    pending, user = found
    credentials = {"username": pending["username"]}
    if not AxesProxyHandler.is_allowed(request, credentials):
        del request.session[PENDING]
        return locked_out(request, credentials=credentials)
    form = CodeForm(
        request.POST if request.method == "POST" else None,
        label=_("Code from your authenticator app, or a recovery code"),
    )
    # The page holds this one field: the person types the code at once.
    form.fields["code"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        device = mfa.verify(user, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if device.name == mfa.RECOVERY:
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You logged in with a recovery code, which cannot be used again. "
                        "%(left)s recovery code is left: make new ones on your security page.",
                        "You logged in with a recovery code, which cannot be used again. "
                        "%(left)s recovery codes are left: make new ones on your security "
                        "page if you need to.",
                        left,
                    ) % {"left": left},
                )
            return redirect(pending["next"])
        form.add_error("code", mfa.WRONG_CODE)
        # axes records the failure and, at the limit, flags the request: its middleware
        # then answers with the lock instead of this page.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return render(request, "registration/login_code.html", {"form": form})
