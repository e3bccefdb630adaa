"""The client import page now lives in `subscriptions.views.imports`; its names stay
importable from here for code written against the old path."""

from .views.imports import PREVIEW_ROWS, SESSION_KEY, ImportUploadForm, client_import

__all__ = ["PREVIEW_ROWS", "SESSION_KEY", "ImportUploadForm", "client_import"]
