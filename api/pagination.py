from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSize:
    """`per_page` is a whole number from 1 (the schema says so): anything else is a 400
    naming the parameter, rather than silently falling back to the default size. Above
    the maximum, the maximum applies."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1 or str(size) != raw.strip().lstrip("+"):
            raise ValidationError({self.page_size_query_param: [_("Enter a whole number from 1.")]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PagePagination(StrictPageSize, PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500


class LedgerCursorPagination(StrictPageSize, CursorPagination):
    """Ledger lines newest first; a cursor stays right while new lines are appended."""

    page_size = 100
    page_size_query_param = "per_page"
    max_page_size = 500
    ordering = ("-created_at", "-pk")


class IdCursorPagination(StrictPageSize, CursorPagination):
    """Lists that change while a client pages through them (clients, subscriptions), in
    id order: a row written meanwhile comes last, updated rows keep their place, so no
    row is skipped or given twice."""

    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500
    ordering = ("id",)

    def paginate_queryset(self, queryset, request, view=None):
        # These lists had numbered pages once: a `page` sent now would get the first page
        # again and again, and a client looping to the last page would never stop.
        if "page" in request.query_params:
            raise ValidationError({"page": [
                _("This list is paged by cursor: follow the next link of each answer.")
            ]})
        return super().paginate_queryset(queryset, request, view)
