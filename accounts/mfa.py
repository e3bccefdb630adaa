"""Two-factor login (docs/interface.md "Two-factor login"): a TOTP device from any
authenticator app, and one-time recovery codes, both kept by django-otp.

Every check of a code locks the user's row first: two requests with the same code, at the
same moment, are checked one after the other, so a TOTP code (RFC 6238 §5.2) or a recovery
code is accepted once even then. django-otp refuses a TOTP code whose time step is not
later than the last one accepted, and deletes a recovery code when it is used.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from audit.models import Action
from audit.services import organization_of, record

from .models import membership_of

User = get_user_model()

RECOVERY_CODES = 10
# Longer than any TOTP or recovery code with its separators: refused before any lookup.
MAX_CODE_LENGTH = 32
# What the audit log records of a second factor turned on, or of new recovery codes.
ON = {"two_factor": True}
NEW_CODES = {"recovery_codes": RECOVERY_CODES}
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery"

WRONG_CODE = _(
    "This code is not right: type the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes."
)
WRONG_ENROLMENT_CODE = _(
    "This code is not right: type the 6-digit code your authenticator app shows now."
)
REQUIRED_BY_ORGANIZATION = _(
    "Your organization requires two-factor login: it cannot be turned off."
)
ALREADY_ON = _("Two-factor login is already on for your account.")
NOT_ON = _("Two-factor login is not on for your account.")


class TwoFactorRefused(Exception):
    """A refusal to show at the form's `code` field."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class _WrongCode(Exception):
    """Rolls back the enrolment's transaction (the device django-otp saved while checking)."""


def normalise(code):
    """The code as django-otp stores it: people copy codes with spaces and dashes, and
    recovery codes are kept in lower case."""
    return "".join((code or "").split()).replace("-", "").lower()


def has_two_factor(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user):
    """Whether the user's organization requires two-factor login of its members."""
    membership = membership_of(user)
    return membership is not None and membership.organization.require_mfa


def new_secret():
    """A new TOTP secret, hex-encoded (20 bytes, as RFC 4226 recommends)."""
    return random_hex(20)


def provisioning(user, secret):
    """What the enrolment page shows for a secret: the secret in base32 (typed by hand), the
    otpauth URI (issuer: settings.OTP_TOTP_ISSUER; account: the username) and its QR code,
    an SVG drawn on the server, as a data: URL the page's policy allows."""
    device = TOTPDevice(user=user, key=secret)
    uri = device.config_url
    out = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(out)
    qr = "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return {
        "secret": base64.b32encode(device.bin_key).decode("ascii"),
        "uri": uri,
        "qr": qr,
    }


def _lock(user):
    return User.objects.select_for_update().get(pk=user.pk)


def _replace_recovery_codes(user):
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def enrol(user, secret, code):
    """Confirms the authenticator holding `secret` with a code it shows now; returns the
    device and the new recovery codes (to show once). Nothing is kept on a wrong code."""
    code = normalise(code)
    try:
        with transaction.atomic():
            _lock(user)
            if has_two_factor(user):
                raise TwoFactorRefused(ALREADY_ON)
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(
                user=user, name=AUTHENTICATOR, key=secret, confirmed=False
            )
            if len(code) > MAX_CODE_LENGTH or not device.verify_token(code):
                raise _WrongCode
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _audit(Action.MFA_ENABLED, user, before={"two_factor": False}, after=ON)
            return device, _replace_recovery_codes(user)
    except _WrongCode:
        raise TwoFactorRefused(WRONG_ENROLMENT_CODE) from None


def new_recovery_codes(user):
    """New recovery codes for an enrolled user; the old ones stop working."""
    with transaction.atomic():
        _lock(user)
        if not has_two_factor(user):
            raise TwoFactorRefused(NOT_ON)
        _audit(Action.MFA_RECOVERY_CODES, user, before=None, after=NEW_CODES)
        return _replace_recovery_codes(user)


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY).count()


def verify(user, code):
    """The confirmed device that accepts `code` (a TOTP code or a recovery code), which is
    then used up; None if none does."""
    code = normalise(code)
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    with transaction.atomic():
        _lock(user)
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def turn_off(user, code):
    """Turns two-factor login off, with a code that proves the user holds the factor;
    refused while the user's organization requires it."""
    if required_for(user):
        raise TwoFactorRefused(REQUIRED_BY_ORGANIZATION)
    if verify(user, code) is None:
        raise TwoFactorRefused(WRONG_CODE)
    reset(user, action=Action.MFA_DISABLED)


def reset(user, *, action=Action.MFA_RESET):
    """Removes every second factor of the user (staff, in the admin; or the user, above):
    the password alone logs in again, until the user enrols anew."""
    with transaction.atomic():
        _lock(user)
        had = has_two_factor(user)
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        _audit(action, user, before={"two_factor": had}, after={"two_factor": False})


def _audit(action, user, *, before, after):
    """Rule 24: the change of `user`'s second factor, by whoever acts (the user, or the
    staff member resetting it)."""
    record(action, organization=organization_of(user), target=user, label=user.get_username(),
           before=before, after=after)
