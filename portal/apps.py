from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner Portal"

    def ready(self):
        # Registers the name search function and the French collation on every SQLite
        # connection (portal/names.py); PostgreSQL has them from the migrations.
        from . import names  # noqa: F401
