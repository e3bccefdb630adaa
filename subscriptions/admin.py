"""Publisher staff's admin: see everything, fix data, grant licenses.

What the admin never does is change a balance or a term by itself: balances and terms are
read-only here, licenses are granted through `services.grant_licenses` (the "Grant
licenses" action and page), and ledger lines can be read, never added, changed or
deleted. Every list declares its `list_select_related`, so a page costs the same number
of queries whatever its number of rows.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, OrganizationKind
from portal.numbers import figures

from . import services
from .admin_base import ReadOnlyAdminMixin
from .models import (
    AutoRenewClaim,
    AutoRenewNotice,
    Client,
    LicenseMovement,
    LicensePool,
    Product,
    Subscription,
    Term,
)
from .status import Status, status_choices


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


# --- clients and subscriptions ----------------------------------------------------------


class SubscriptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["product", "status", "current_start", "current_end", "current_users", "renewal"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).with_status().select_related("product")

    @admin.display(description=_("status"))
    def status(self, obj):
        return dict(status_choices()).get(obj.status, obj.status)

    @admin.display(description=_("start date"))
    def current_start(self, obj):
        return obj.current_start

    @admin.display(description=_("end date"))
    def current_end(self, obj):
        return obj.current_end

    @admin.display(description=_("users"))
    def current_users(self, obj):
        return obj.current_users

    @admin.display(description=_("queued renewal"))
    def renewal(self, obj):
        if obj.status != Status.RENEWED:
            return "—"
        return f"{obj.term_start} → {obj.term_end} ({obj.users})"


class ClientAdminForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "partner", "reseller"]

    def clean(self):
        cleaned = super().clean()
        partner, reseller = cleaned.get("partner"), cleaned.get("reseller")
        if partner and reseller and reseller.parent_id != partner.pk:
            raise ValidationError(
                {"reseller": gettext("Select one of the partner's resellers.")}
            )
        return cleaned


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientAdminForm
    list_display = ["name", "partner", "reseller", "created_at"]
    list_filter = [
        ("partner", admin.RelatedOnlyFieldListFilter),
        ("reseller", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name"]
    list_select_related = ["partner", "reseller"]
    autocomplete_fields = ["partner", "reseller"]
    inlines = [SubscriptionInline]


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return status_choices()

    def queryset(self, request, queryset):
        if self.value() in Status.ALL:
            return queryset.filter(status=self.value())
        return queryset


class TermInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Term
    extra = 0
    fields = ["kind", "start_date", "end_date", "users", "years", "licenses", "created_by",
              "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class SubscriptionAdminForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["client"]

    def clean_client(self):
        client = self.cleaned_data["client"]
        current = self.instance.client if self.instance.pk else None
        # The ledger says who paid: a subscription may move to another company (a duplicate
        # being merged) only if the same organization pays for both.
        if current is not None and (
            (client.reseller_id or client.partner_id)
            != (current.reseller_id or current.partner_id)
        ):
            raise ValidationError(
                gettext("Choose a client paid by the same organization (%(organization)s).")
                % {"organization": current.paying_organization}
            )
        return client


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionAdminForm
    list_display = ["__str__", "client_link", "product", "status_display", "current_end",
                    "current_users"]
    list_display_links = ["__str__"]
    list_filter = [StatusFilter, "product", "auto_renew"]
    search_fields = ["client__name"]
    list_select_related = ["client", "product"]
    raw_id_fields = ["client"]
    readonly_fields = [
        "product", "status_display", "term_start", "term_end", "users", "years",
        "previous_term_start", "previous_term_end", "previous_users", "previous_years",
        # Rules 22, 23: set by managers on the renewal plan page or the API.
        "auto_renew", "renewal_users", "renewal_years",
        "created_at",
    ]
    inlines = [TermInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    def has_add_permission(self, request):
        # Subscriptions are born with a paid term: through the portal's client creation.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only the edited column: the term columns are the services' (a renewal may have
        # moved them since the form was opened).
        if change:
            obj.save(update_fields=[*(form.changed_data or ["client"]), "updated_at"])
        else:
            super().save_model(request, obj, form, change)

    @admin.display(description=_("client"), ordering="client__name")
    def client_link(self, obj):
        url = reverse("admin:subscriptions_client_change", args=[obj.client_id])
        return format_html('<a href="{}">{}</a>', url, obj.client.name)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return dict(status_choices()).get(obj.status, obj.status)

    @admin.display(description=_("end date"), ordering="current_end")
    def current_end(self, obj):
        return obj.current_end

    @admin.display(description=_("users"), ordering="current_users")
    def current_users(self, obj):
        return obj.current_users


@admin.register(Term)
class TermAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subscription", "kind", "start_date", "end_date", "users", "years",
                    "licenses", "created_by", "created_at"]
    list_filter = ["kind", "subscription__product"]
    search_fields = ["subscription__client__name"]
    list_select_related = ["subscription__client", "subscription__product", "created_by"]


# --- pools, grants and the ledger -------------------------------------------------------

GRANT_TEMPLATE = """{% extends "admin/base_site.html" %}
{% block content %}
<div id="content-main">
  <form method="post" action="{{ action_url }}">{% csrf_token %}
    {% if pools %}
      <p>{{ pools_intro }}</p>
      <ul>{% for pool in pools %}<li>{{ pool }} ({{ pool.balance }})</li>{% endfor %}</ul>
      {% for pool in pools %}
        <input type="hidden" name="_selected_action" value="{{ pool.pk }}">
      {% endfor %}
      <input type="hidden" name="action" value="grant_licenses">
      <input type="hidden" name="apply" value="1">
    {% endif %}
    {{ form.non_field_errors }}
    <fieldset class="module aligned">
      {% for field in form %}
        <div class="form-row">
          {{ field.errors }}
          {{ field.label_tag }} {{ field }}
          {% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}
        </div>
      {% endfor %}
    </fieldset>
    <div class="submit-row">
      <input type="submit" class="default" value="{{ submit_label }}" data-testid="grant-submit">
    </div>
  </form>
</div>
{% endblock %}
"""


class GrantQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Licenses to grant"), min_value=1, max_value=services.MAX_QUANTITY
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class GrantForm(GrantQuantityForm):
    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=Organization.objects.filter(kind=OrganizationKind.PARTNER)
    )
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all())
    field_order = ["partner", "product", "quantity", "note"]


@admin.register(LicensePool)
class LicensePoolAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "organization_kind", "product", "balance", "grant_link"]
    list_filter = ["product", "organization__kind"]
    search_fields = ["organization__name"]
    list_select_related = ["organization", "product"]
    readonly_fields = ["organization", "product", "balance"]
    actions = ["grant_licenses"]

    def has_grant_permission(self, request):
        # Granting is the one change staff make to a pool, so it needs the "change license
        # pool" permission, though no field of a pool can be edited here.
        return request.user.has_perm("subscriptions.change_licensepool")

    def get_urls(self):
        return [
            path(
                "grant/",
                self.admin_site.admin_view(self.grant_view),
                name="subscriptions_licensepool_grant",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("kind"), ordering="organization__kind")
    def organization_kind(self, obj):
        return obj.organization.get_kind_display()

    @admin.display(description=_("grant"))
    def grant_link(self, obj):
        if obj.organization.kind != OrganizationKind.PARTNER:
            return "—"
        url = reverse("admin:subscriptions_licensepool_grant")
        return format_html(
            '<a href="{}?partner={}&amp;product={}">{}</a>',
            url, obj.organization_id, obj.product_id, gettext("Grant licenses"),
        )

    def _render_grant(self, request, *, form, pools=None, action_url=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Grant licenses"),
            "form": form,
            "pools": pools,
            "action_url": action_url,
            "pools_intro": gettext("Licenses granted to each of these partner pools:"),
            "submit_label": gettext("Grant licenses"),
        }
        template = engines["django"].from_string(GRANT_TEMPLATE)
        return TemplateResponse(request, template, context)

    @admin.action(description=_("Grant licenses to the selected partner pools"),
                  permissions=["grant"])
    def grant_licenses(self, request, queryset):
        pools = list(queryset.select_related("organization", "product").order_by("pk"))
        skipped = [pool for pool in pools if pool.organization.kind != OrganizationKind.PARTNER]
        pools = [pool for pool in pools if pool.organization.kind == OrganizationKind.PARTNER]
        if skipped:
            self.message_user(
                request,
                gettext(
                    "Skipped %(count)s reseller pool(s): a reseller's pool is filled by its "
                    "partner's allocation."
                ) % figures({"count": len(skipped)}),
                messages.WARNING,
            )
        if not pools:
            return None
        form = GrantQuantityForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._render_grant(request, form=form, pools=pools)
        for pool in pools:
            self._grant(request, pool.organization, pool.product, form)
        return None

    def grant_view(self, request):
        if not self.has_grant_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = GrantForm(request.POST)
            if form.is_valid():
                self._grant(request, form.cleaned_data["partner"], form.cleaned_data["product"],
                            form)
                return HttpResponseRedirect(reverse("admin:subscriptions_licensepool_changelist"))
        else:
            form = GrantForm(initial={
                "partner": request.GET.get("partner"),
                "product": request.GET.get("product"),
            })
        return self._render_grant(request, form=form)

    def _grant(self, request, partner, product, form):
        try:
            movement = services.grant_licenses(
                partner=partner,
                product=product,
                quantity=form.cleaned_data["quantity"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except services.OperationRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(quantity)s licenses granted to %(pool)s: balance %(balance)s.")
            % figures({
                "quantity": movement.quantity,
                "pool": f"{partner} — {product}",
                "balance": movement.balance_after,
            }),
            messages.SUCCESS,
        )


@admin.register(LicenseMovement)
class LicenseMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "organization", "product", "kind", "quantity",
                    "balance_after", "subscription_ref", "actor", "note"]
    list_filter = ["kind", "pool__product", "created_at"]
    search_fields = ["pool__organization__name"]
    list_select_related = ["pool__organization", "pool__product", "actor"]
    readonly_fields = ["pool", "quantity", "balance_after", "kind", "subscription", "term",
                       "counterpart", "actor", "created_at", "note"]

    def get_actions(self, request):
        # Not even the delete action: ledger lines are append-only (docs/rules.md, rule 10).
        return {}

    @admin.display(description=_("organization"), ordering="pool__organization__name")
    def organization(self, obj):
        return obj.pool.organization

    @admin.display(description=_("product"), ordering="pool__product__name")
    def product(self, obj):
        return obj.pool.product

    @admin.display(description=_("subscription"))
    def subscription_ref(self, obj):
        return obj.subscription_id or "—"


@admin.register(AutoRenewClaim)
class AutoRenewClaimAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What run_auto_renewals renewed (rule 23), for ops to read."""

    list_display = ["subscription", "term_end", "term", "created_at"]
    raw_id_fields = ["subscription", "term"]
    search_fields = ["subscription__client__name"]


@admin.register(AutoRenewNotice)
class AutoRenewNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The notices run_auto_renewals sent (rule 23), for ops to read."""

    list_display = ["subscription", "kind", "day", "missing", "recipients", "sent_at"]
    list_filter = ["kind"]
    raw_id_fields = ["subscription"]
    search_fields = ["subscription__client__name"]


# The lifecycle's pages (add-ons, co-termings) are in their own module.
from . import admin_lifecycle  # noqa: E402,F401
