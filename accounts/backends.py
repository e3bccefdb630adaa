"""Authentication: Django's ModelBackend, reading the user's membership with the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PortalBackend(ModelBackend):
    """ModelBackend whose `get_user`, run on every request, reads the user's membership and
    its organization in the same query: the user's scope (accounts.models.Scope) then
    needs no query of its own, one round trip less on every page."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager
        try:
            user = users.select_related("membership__organization").get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
