"""`/account/security/`: a user's own two-factor login (docs/interface.md "Two-factor
login"). Every signed-in user may enrol, read-only members too: it protects their account
and changes nothing in the organization.

Recovery codes are shown in the answer to the POST that makes them, and never again: they
are not kept anywhere the page could read them back from.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import mfa
from .forms import CodeForm
from .views import locked_out

# The secret being enrolled, kept in the session between the page and its confirmation.
ENROLMENT_SECRET = "portal_totp_secret"


def _enrolment(request, form=None):
    secret = request.session.get(ENROLMENT_SECRET)
    if not secret:
        secret = request.session[ENROLMENT_SECRET] = mfa.new_secret()
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": False,
            "required": mfa.required_for(request.user),
            "provisioning": mfa.provisioning(request.user, secret),
            "form": form or CodeForm(label=_("Code shown by your authenticator app")),
        },
    )


def _enrolled(request, *, codes=None, off_form=None, status=200):
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": True,
            "required": mfa.required_for(request.user),
            "codes": codes,
            "codes_left": mfa.recovery_codes_left(request.user),
            "off_form": off_form or CodeForm(
                label=_("Code from your authenticator app, or a recovery code")
            ),
        },
        status=status,
    )


def _enrol(request):
    form = CodeForm(request.POST, label=_("Code shown by your authenticator app"))
    secret = request.session.get(ENROLMENT_SECRET)
    if not form.is_valid() or not secret:
        return _enrolment(request, form)
    try:
        device, codes = mfa.enrol(request.user, secret, form.cleaned_data["code"])
    except mfa.TwoFactorRefused as refusal:
        form.add_error("code", refusal.message)
        return _enrolment(request, form)
    del request.session[ENROLMENT_SECRET]
    # This session has just proved the new factor: it counts as a two-factor login.
    otp_login(request, device)
    messages.success(request, _("Two-factor login is on for your account."))
    return _enrolled(request, codes=codes)


def _turn_off(request):
    # Guessing codes here counts against the same lock as at login: a session taken over
    # must not be able to try every code until the second factor is off.
    credentials = {"username": request.user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request, credentials=credentials)
    form = CodeForm(
        request.POST, label=_("Code from your authenticator app, or a recovery code")
    )
    if form.is_valid():
        try:
            mfa.turn_off(request.user, form.cleaned_data["code"])
        except mfa.TwoFactorRefused as refusal:
            form.add_error("code", refusal.message)
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        else:
            messages.success(
                request, _("Two-factor login is off: your password alone logs you in.")
            )
            return redirect("account_security")
    return _enrolled(request, off_form=form)


@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def security(request):
    enrolled = mfa.has_two_factor(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    if not enrolled:
        if action == "enrol":
            return _enrol(request)
        return _enrolment(request)
    if action == "recovery_codes":
        codes = mfa.new_recovery_codes(request.user)
        messages.success(request, _("New recovery codes were made: the old ones no longer work."))
        return _enrolled(request, codes=codes)
    if action == "turn_off":
        return _turn_off(request)
    return _enrolled(request)
