from rest_framework import permissions

from accounts.models import Scope


class ManagerForWrites(permissions.BasePermission):
    """Everyone signed in reads their scope; read-only users cannot write (403), like on
    the screens, whatever the request names."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return Scope.for_user(request.user).can_manage
