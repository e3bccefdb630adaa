"""The admin's read-only pages for what happens between two renewals (docs/rules.md rules
19–21): the add-on lines of the terms, and the co-termings with their extensions and
debits. Staff read them to answer a partner ("who added these users?", "what did this
co-terming cost, and was it undone?"); only the services write them, so nothing here can
be added, changed or deleted. Registered from admin.py, which Django loads."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .admin_base import ReadOnlyAdminMixin
from .models import CoTermDebit, CoTermExtension, CoTerming, TermChange


class ReadOnly(ReadOnlyAdminMixin):
    """Read-only, and without the delete action either."""

    def get_actions(self, request):
        # Not even the delete action: each row is part of an operation and its ledger.
        return {}


class CancelledFilter(admin.SimpleListFilter):
    """Undone (rule 21) or standing."""

    title = _("cancelled")
    parameter_name = "cancelled"
    # The lookup on the model's own `cancelled_at`, or on its term's.
    field = "cancelled_at"

    def lookups(self, request, model_admin):
        return [("yes", _("Cancelled")), ("no", _("Standing"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class TermCancelledFilter(CancelledFilter):
    field = "term__cancelled_at"


@admin.register(TermChange)
class TermChangeAdmin(ReadOnly, admin.ModelAdmin):
    """Users added mid-term (rule 19): one line per term an add-on raised."""

    list_display = ["created_at", "subscription", "term", "users_added", "licenses",
                    "created_by", "cancelled_at"]
    list_filter = [CancelledFilter, "subscription__product", "created_at"]
    search_fields = ["subscription__client__name"]
    list_select_related = ["subscription__client", "subscription__product",
                           "term__subscription__client", "term__subscription__product",
                           "created_by"]
    date_hierarchy = "created_at"


class ExtensionInline(ReadOnly, admin.TabularInline):
    model = CoTermExtension
    fields = ["term", "pool"]
    readonly_fields = fields
    extra = 0


class DebitInline(ReadOnly, admin.TabularInline):
    model = CoTermDebit
    fields = ["movement"]
    readonly_fields = fields
    extra = 0


@admin.register(CoTerming)
class CoTermingAdmin(ReadOnly, admin.ModelAdmin):
    """A client's co-terming (rule 20), its extensions and per-pool debits below."""

    list_display = ["created_at", "client", "end_date", "extended", "licenses", "created_by",
                    "cancelled_at", "cancelled_by"]
    list_filter = [CancelledFilter, "end_date", "created_at"]
    search_fields = ["client__name"]
    list_select_related = ["client", "created_by", "cancelled_by"]
    date_hierarchy = "created_at"
    inlines = [ExtensionInline, DebitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(extended_count=Count("extensions"))

    @admin.display(description=_("subscriptions extended"), ordering="extended_count")
    def extended(self, obj):
        return obj.extended_count


@admin.register(CoTermExtension)
class CoTermExtensionAdmin(ReadOnly, admin.ModelAdmin):
    """One extension term a co-terming wrote, and the pool that paid for it."""

    list_display = ["coterming", "subscription", "start", "end", "licenses", "pool",
                    "cancelled"]
    list_filter = [TermCancelledFilter, "pool__product"]
    search_fields = ["coterming__client__name"]
    list_select_related = ["coterming__client", "term__subscription__client",
                           "term__subscription__product", "pool__organization",
                           "pool__product"]

    @admin.display(description=_("subscription"))
    def subscription(self, obj):
        return obj.term.subscription

    @admin.display(description=_("start date"), ordering="term__start_date")
    def start(self, obj):
        return obj.term.start_date

    @admin.display(description=_("end date"), ordering="term__end_date")
    def end(self, obj):
        return obj.term.end_date

    @admin.display(description=_("licenses debited"))
    def licenses(self, obj):
        return obj.term.licenses

    @admin.display(description=_("cancelled"), boolean=True)
    def cancelled(self, obj):
        return obj.term.cancelled_at is not None


@admin.register(CoTermDebit)
class CoTermDebitAdmin(ReadOnly, admin.ModelAdmin):
    """The ledger line that paid one pool's share of a co-terming."""

    list_display = ["coterming", "organization", "product", "quantity", "created_at"]
    list_filter = ["movement__pool__product"]
    search_fields = ["coterming__client__name"]
    list_select_related = ["coterming__client", "movement__pool__organization",
                           "movement__pool__product"]

    @admin.display(description=_("organization"))
    def organization(self, obj):
        return obj.movement.pool.organization

    @admin.display(description=_("product"))
    def product(self, obj):
        return obj.movement.pool.product

    @admin.display(description=_("quantity"))
    def quantity(self, obj):
        return obj.movement.quantity

    @admin.display(description=_("date"), ordering="movement__created_at")
    def created_at(self, obj):
        return obj.movement.created_at
