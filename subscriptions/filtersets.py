"""Filters of the lists (docs/interface.md query parameters: status, product, reseller, q,
end_from, end_to; the ledger's organization, product, kind, date range).

They narrow a queryset the view already scoped with `visible_to(user)`; the choices that
name organizations are scoped the same way, so another partner's reseller is an invalid
choice.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, Scope
from portal.forms import LocalDateInput
from portal.names import related_name_contains

from .models import Client, LicenseMovement, MovementKind, Product, Subscription
from .organization_menus import (
    CappedChoiceMixin,
    CappedSelect,
    ListedChoiceIterator,
    show_selected,
)
from .status import status_choices, status_q


def _visible_organizations(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user).select_related("parent")


def _visible_resellers(request):
    return _visible_organizations(request).resellers()


# Publisher staff see every organization: these menus are capped (organization_menus.py),
# and any organization in scope is still accepted by id (`?reseller=ID`, the links of the
# licenses page and the forecast), as validation uses the whole scoped queryset.
class _CappedModelChoiceField(CappedChoiceMixin, django_filters.fields.ModelChoiceField):
    pass


class CappedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _CappedModelChoiceField


class _ProductChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedChoiceIterator


class ProductChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ProductChoiceField


class FilterCheckbox(forms.CheckboxInput):
    """A box sending `1` when ticked; unticked (absent) it does not filter at all,
    where Django's CheckboxInput would read False and keep only the other rows."""

    def format_value(self, value):
        return "1"

    def value_from_datadict(self, data, files, name):
        return data.get(name) or None


def _date_widget():
    return LocalDateInput()


class BootstrapFilterSet(django_filters.FilterSet):
    """Small Bootstrap controls; an invalid value filters out everything (see `rows`)."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_portal_styled", False):
            user = getattr(self.request, "user", None)
            show_selected(form, with_parent=Scope.for_user(user).everything)
            for field in form.fields.values():
                if isinstance(field.widget, forms.CheckboxInput):
                    field.widget.attrs["class"] = "form-check-input"
                elif isinstance(field.widget, forms.Select):
                    field.widget.attrs["class"] = "form-select form-select-sm"
                else:
                    field.widget.attrs["class"] = "form-control form-control-sm"
            form._portal_styled = True
        return form

    @property
    def rows(self):
        """The filtered rows. A value that is not a valid choice (another partner's
        reseller, an unknown product, a malformed date) matches nothing, rather than
        being silently dropped and listing everything."""
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()
        return self.qs

    @property
    def active(self):
        return self.is_bound and any(self.form.data.get(name) for name in self.filters)


class SubscriptionFilterSet(BootstrapFilterSet):
    # Case and accents ignored, on both databases (portal/names.py).
    q = django_filters.CharFilter(
        field_name="client__name", label=_("Client name"), method="filter_name"
    )
    status = django_filters.ChoiceFilter(
        field_name="status", choices=status_choices, label=_("Status"),
        empty_label=pgettext_lazy("every status", "All"),
        method="filter_status",
        widget=CappedSelect,
    )
    product = ProductChoiceFilter(
        field_name="product",
        to_field_name="code",
        queryset=Product.objects.all(),
        label=_("Product"),
        empty_label=pgettext_lazy("every product", "All"),
        widget=CappedSelect,
    )
    reseller = CappedModelChoiceFilter(
        field_name="client_reseller",
        queryset=_visible_resellers,
        label=_("Reseller"),
        empty_label=pgettext_lazy("every reseller", "All"),
        search_kind="reseller",
    )
    # The current term's end: a queued renewal does not move a row out of the range.
    end_from = django_filters.DateFilter(
        field_name="current_end", lookup_expr="gte", label=_("End from"), widget=_date_widget()
    )
    end_to = django_filters.DateFilter(
        field_name="current_end", lookup_expr="lte", label=_("End until"), widget=_date_widget()
    )
    # Rule 15: /renewals/?not_renewing=1 lists the subscriptions marked as not renewing
    # (`asks_for_not_renewing` picks those rows; this filter keeps only them).
    not_renewing = django_filters.BooleanFilter(
        field_name="not_renewing_reason",
        lookup_expr="isnull",
        exclude=True,
        label=_("Not renewing"),
        widget=FilterCheckbox,
    )

    class Meta:
        model = Subscription
        fields = []

    def only_name_search(self):
        """The searched name when it is the only filter the list applies (valid), else
        None: the client list then reads its pages from the first matching clients by
        name (selectors.searched_name_keys)."""
        if not self.active or not self.form.is_valid():
            return None
        others = (name for name in self.filters if name != "q")
        if any(self.form.data.get(name) for name in others):
            return None
        return self.form.cleaned_data.get("q") or None

    def filter_name(self, queryset, name, value):
        return queryset.filter(related_name_contains("client_id", Client, value))

    def filter_status(self, queryset, name, value):
        # The status's conditions rather than its CASE: see status.status_q.
        return queryset.filter(status_q(value))

    def __init__(self, *args, statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if statuses is not None:
            self.filters["status"].extra["choices"] = lambda: [
                choice for choice in status_choices() if choice[0] in statuses
            ]


class MovementFilterSet(BootstrapFilterSet):
    organization = CappedModelChoiceFilter(
        field_name="pool__organization",
        queryset=_visible_organizations,
        label=_("Organization"),
        # French agrees "all" with the noun: "Toutes" (organisations), "Tous" elsewhere.
        empty_label=pgettext_lazy("every organization", "All"),
    )
    product = ProductChoiceFilter(
        field_name="pool__product",
        to_field_name="code",
        queryset=Product.objects.all(),
        label=_("Product"),
        empty_label=pgettext_lazy("every product", "All"),
    )
    kind = django_filters.ChoiceFilter(
        choices=MovementKind.choices,
        label=_("Kind"),
        empty_label=pgettext_lazy("every kind", "All"),
    )
    date_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From"), widget=_date_widget()
    )
    date_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Until"), widget=_date_widget()
    )

    class Meta:
        model = LicenseMovement
        fields = []


def asks_for_not_renewing(params):
    """`?not_renewing=1` (or true): the renewals list shows the marked subscriptions."""
    return params.get("not_renewing") in ("1", "true", "True")
