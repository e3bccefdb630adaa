"""Django's own password pages, with the password set recorded in the audit log (rule 24)
in the same transaction as the new password: a member's change, and the e-mailed link that
both invitations and resets use."""

from django.contrib.auth import views as auth_views
from django.db import transaction

from . import services


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_changed(user=form.user, actor=form.user, how="change")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_changed(user=form.user, actor=form.user, how="link")
        return response
