"""The audit log's filters (docs/interface.md "Audit log"): action, who, date range and
free text; they narrow the rows `selectors.entries` already scoped."""

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.forms import LocalDateInput
from subscriptions.filtersets import BootstrapFilterSet

from .models import Action


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditFilterSet(BootstrapFilterSet):
    action = django_filters.ChoiceFilter(
        choices=Action.choices, label=_("Action"),
        empty_label=pgettext_lazy("every action", "All"),
    )
    who = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="icontains", label=_("Who")
    )
    # Local days: "until the 5th" keeps the whole of the 5th.
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_from", widget=LocalDateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), method="filter_to", widget=LocalDateInput()
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")

    # The calendar's first and last days bound nothing, and the first's local midnight (in
    # UTC) or the day after the last falls outside what a datetime can hold.
    def filter_from(self, queryset, name, value):
        if value == datetime.date.min:
            return queryset
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        if value == datetime.date.max:
            return queryset
        return queryset.filter(created_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_text(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(actor_name__icontains=text)
            | Q(object_label__icontains=text)
            | Q(object_type__icontains=text)
            | Q(object_id=text)
            | Q(organization_name__icontains=text)
            | Q(organization__name__icontains=text)
            | Q(ip_address__startswith=text)
            | Q(source__icontains=text)
        )
