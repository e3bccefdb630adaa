from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500


class LedgerCursorPagination(CursorPagination):
    """Ledger lines newest first; a cursor stays right while new lines are appended."""

    page_size = 100
    page_size_query_param = "per_page"
    max_page_size = 500
    ordering = ("-created_at", "-pk")
