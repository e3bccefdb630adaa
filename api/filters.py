"""The screens' filter sets, held to the schema: a typed parameter (a date, a boolean,
an organization's id) sent empty or malformed is a 400 naming it, where the screens'
forms would ignore it; an organization outside the caller's scope is a 404, as any
object outside the scope is in the API (docs/api.md)."""

import django_filters
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import NotFound, ValidationError

BOOLEAN_VALUES = ("true", "false", "True", "False", "1", "0")
# The filters naming an organization by its id (`minimum: 1` in the schema).
ORGANIZATION_FILTERS = ("reseller", "organization")


def _typed_errors(filterset, params):
    errors = {}
    for name, declared in filterset.filters.items():
        if name not in params:
            continue
        value = params.get(name).strip()
        if isinstance(declared, django_filters.DateFilter) and not value:
            errors[name] = [_("Enter a valid date.")]
        elif isinstance(declared, django_filters.BooleanFilter) and value not in BOOLEAN_VALUES:
            errors[name] = [_("Enter true or false.")]
        elif name in ORGANIZATION_FILTERS and not (value.isascii() and value.isdigit()):
            errors[name] = [_("Enter a whole number.")]
    return errors


class ScopedFilterBackend(DjangoFilterBackend):
    """The list filters of the screens, with the status choices the view allows."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        statuses = getattr(view, "filter_statuses", None)
        if statuses is not None:
            kwargs["statuses"] = statuses
        return kwargs

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = _typed_errors(filterset, request.query_params)
        if errors:
            raise ValidationError(errors)
        if not filterset.is_valid():
            if any(name in filterset.errors for name in ORGANIZATION_FILTERS):
                raise NotFound(_("No organization with this id in your scope."))
            raise ValidationError(filterset.errors)
        return filterset.qs
