"""Who may do what, for the views of every app: beside `Scope`, which it reads, so that
no app borrows another app's screens for its access rules."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .models import Scope


def manager_required(view):
    """Read-only users get 403 on anything that would change something, before any
    other check: they learn nothing about the objects named in the request."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not Scope.for_user(request.user).can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def organization_required(view):
    """Users are managed per organization; publisher staff, who belong to none, use the
    admin, where every account is."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if Scope.for_user(request.user).organization_id is None:
            if request.user.is_staff:
                return redirect("admin:auth_user_changelist")
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
