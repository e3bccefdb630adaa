from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_q.apps import DjangoQConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner Portal"

    def ready(self):
        # Registers the name search function and the French collation on every SQLite
        # connection (portal/names.py); PostgreSQL has them from the migrations.
        from . import names  # noqa: F401


class LoginSecurityConfig(AxesConfig):
    """django-axes as the admin shows it: its access attempts, failures and logs are the
    login locks (docs/rules.md), under a name an administrator recognises, not "Axes"."""

    verbose_name = _("Login security")


class WebhookQueueConfig(DjangoQConfig):
    """django-q2 as the admin shows it: the webhooks' queue and worker (docs/webhooks.md),
    not "Django Q"."""

    verbose_name = _("Webhook queue")
