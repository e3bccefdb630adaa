"""The screens' filter sets, held to the schema: a typed parameter (a date, a boolean,
an organization's id) sent empty or malformed is a 400 naming it, where the screens'
forms would ignore it; an organization outside the caller's scope is a 404, as any
object outside the scope is in the API (docs/api.md)."""

import datetime

import django_filters
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import BaseFilterBackend

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


# The largest id a database column holds: a bigger one names no object.
MAX_ID = 2**63 - 1


def parse_since(raw):
    """An ISO 8601 date-time (without an offset: the portal's time zone), or a 400 naming
    `updated_since`. A `+` sent unencoded in a query string arrives as a space."""
    value = raw.strip().replace(" ", "+")
    try:
        moment = parse_datetime(value)
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # In UTC: PostgreSQL refuses offsets past 15:59 that ISO 8601 allows, and a
        # far-off offset can leave the range of dates (a 400, not a 500).
        if moment is not None:
            moment = moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ValidationError({"updated_since": [
            _("Enter a date and time in ISO 8601 format, such as %(example)s.")
            % {"example": "2026-12-06T21:44:18+01:00"}
        ]})
    return moment


def parse_client(raw, view):
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ValidationError({"client": [_("Enter a whole number from 1.")]})
    pk = int(value)
    if pk > MAX_ID or not view.visible().clients().filter(pk=pk).exists():
        raise NotFound(_("No client with this id in your scope."))
    return pk


class SyncFilterBackend(BaseFilterBackend):
    """For a client that keeps a copy in step: `updated_since` on every list (the rows
    whose `view.updated_field` is at or after it), and `client` on the lists whose view
    says `client_filter`. A list that is not a queryset (the pools') is filtered on its
    rows' `updated_at`."""

    def filter_queryset(self, request, queryset, view):
        params = request.query_params
        if "updated_since" in params:
            since = parse_since(params["updated_since"])
            if isinstance(queryset, list):
                queryset = [row for row in queryset if row.updated_at >= since]
            else:
                field = getattr(view, "updated_field", "updated_at")
                queryset = queryset.filter(**{f"{field}__gte": since})
        if getattr(view, "client_filter", False) and "client" in params:
            queryset = queryset.filter(client_id=parse_client(params["client"], view))
        return queryset

    def get_schema_operation_parameters(self, view):
        parameters = [{
            "name": "updated_since",
            "required": False,
            "in": "query",
            "description": "Only the objects whose updated_at is at or after this date and "
            "time (ISO 8601; without an offset, the portal's time zone).",
            "schema": {"type": "string", "format": "date-time"},
        }]
        if getattr(view, "client_filter", False):
            parameters.append({
                "name": "client",
                "required": False,
                "in": "query",
                "description": "Only this client's (its id; outside your scope: 404).",
                "schema": {"type": "integer", "minimum": 1},
            })
        return parameters
