"""`Authorization: Bearer KEY` (or `Token KEY`, the portal's first spelling), looked up by
the key's hash (keys are never stored)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from audit import context

from .models import ApiToken, hash_key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"
    # Bearer is what generated clients send (the schema declares HTTP bearer).
    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_key(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        # One write a minute at most: a busy script should not turn reads into writes.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # The audit log's "who" for what the call writes (the middleware ran before).
        context.with_user(token.user)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a call without credentials.
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": 'A key from API tokens: "Authorization: Bearer <key>" '
            '("Token <key>" is accepted too).',
        }
