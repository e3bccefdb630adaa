"""Django's own password pages, with the password set recorded in the audit log (rule 24)
in the same transaction as the new password: a member's change, and the e-mailed link that
both invitations and resets use."""

from django.contrib.auth import views as auth_views
from django.db import transaction

from . import services


class AuditedPasswordSet:
    """A password page whose new password is audited; `how` says which page set it."""

    how = ""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_changed(user=form.user, actor=form.user, how=self.how)
        return response


class PasswordChangeView(AuditedPasswordSet, auth_views.PasswordChangeView):
    how = "change"


class PasswordResetConfirmView(AuditedPasswordSet, auth_views.PasswordResetConfirmView):
    how = "link"
