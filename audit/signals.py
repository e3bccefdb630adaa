"""Logins, logouts and failed logins (rule 24), from Django's signals: `user_logged_in`
once the session is open (after the second factor when there is one), `user_logged_out`
when it is closed, `user_login_failed` for a wrong password and for django-axes'
lock-out, which Django's `authenticate` reports the same way."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import context, services
from .models import Action


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    origin = context.origin_of(request, user=user) if request is not None else context.current()
    with context.using(origin):
        services.record(Action.LOGIN, actor=user, target=user, label=user.get_username())


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    # A logout of a session that had no user (an expired one) concerns nobody.
    if user is None:
        return
    origin = context.origin_of(request, user=user) if request is not None else context.current()
    with context.using(origin):
        services.record(Action.LOGOUT, actor=user, target=user, label=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username") or "")[:150]
    # The organization of the account tried, if it exists, so that its managers see
    # someone trying it; an unknown name is publisher staff's to read.
    user = get_user_model().objects.filter(username__iexact=username).first() if username else None
    origin = context.origin_of(request) if request is not None else context.current()
    with context.using(origin):
        services.record(
            Action.LOGIN_FAILED,
            actor=None,
            actor_name=username,
            organization=services.organization_of(user),
            object_type="user",
            object_id=user.pk if user else None,
            label=username,
            after={"username": username},
        )
