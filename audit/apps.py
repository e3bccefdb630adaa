from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        # Logins and failed logins are recorded from Django's own signals.
        from . import signals  # noqa: F401
