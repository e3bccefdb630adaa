from accounts.models import Scope


def portal(request):
    """The acting user's scope, for menus and buttons (never for access: views check)."""
    user = getattr(request, "user", None)
    scope = Scope.for_user(user)
    return {"portal_scope": scope, "can_manage": scope.can_manage}
