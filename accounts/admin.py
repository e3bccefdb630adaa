"""Publisher staff's admin for the channel: partners, their resellers, and who works where.

Staff attach a user to an organization, with a role, from the user's page (Membership
inline); partners list their resellers inline.
"""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action
from audit.services import record

from . import mfa, services
from .models import Membership, Organization, OrganizationKind, Partner, Reseller

User = get_user_model()


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login has no second step: an account with two-factor login uses the
    portal's login page (docs/interface.md "Two-factor login")."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if mfa.has_two_factor(user):
            raise ValidationError(
                _("Your account uses two-factor login: log in on the portal's login page, "
                  "then open the administration."),
                code="two_factor",
            )


admin.site.login_form = AdminLoginForm


def count_of(model, field):
    """A per-row count as a correlated subquery: evaluated for the page's rows only, where
    a JOIN + GROUP BY would aggregate every client of every organization first."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _client_model():
    from subscriptions.models import Client

    return Client


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role"]
    verbose_name_plural = _("members")


class ResellerInline(admin.TabularInline):
    model = Reseller
    fk_name = "parent"
    extra = 0
    fields = ["name"]
    show_change_link = True
    verbose_name = _("reseller")
    verbose_name_plural = _("resellers")



def _plain(value):
    return value.pk if hasattr(value, "pk") else value


class AuditedSettings:
    """Staff's changes to an organization in the admin are audited like a manager's
    (rule 24), in the admin's own transaction: the fields changed, before and after."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            record(
                Action.SETTINGS_CHANGED, actor=request.user, organization=obj, target=obj,
                before={name: _plain(form.initial.get(name)) for name in form.changed_data},
                after={name: _plain(form.cleaned_data.get(name)) for name in form.changed_data},
            )


class AuditedMemberships:
    """Staff's changes to memberships in the admin (an organization's members, a user's
    organization and role) are audited like a manager's (rule 24), in the admin's own
    transaction: a role changed, a membership added or removed."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        roles = [
            (inline.instance, inline.initial.get("role"), inline.cleaned_data.get("role"))
            for inline in formset.initial_forms
            if "role" in inline.changed_data and inline not in formset.deleted_forms
        ]
        super().save_formset(request, form, formset, change)
        for membership, before, after in roles:
            record(Action.ROLE_CHANGED, actor=request.user, organization=membership.organization,
                   target=membership.user, before={"role": before}, after={"role": after})
        for membership in formset.new_objects:
            record(Action.MEMBERSHIP_ADDED, actor=request.user,
                   organization=membership.organization, target=membership.user,
                   after={"organization": membership.organization_id, "role": membership.role})
        for membership in formset.deleted_objects:
            record(Action.MEMBERSHIP_REMOVED, actor=request.user,
                   organization=membership.organization, target=membership.user,
                   before={"organization": membership.organization_id, "role": membership.role})


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form: the password staff set is audited (rule 24)."""

    def save(self, commit=True):
        with transaction.atomic():
            user = super().save(commit=commit)
            if commit:
                services.password_changed(user=user, how="admin")
        return user


# The user fields that give or take access: a change to any is audited.
ACCESS_FIELDS = ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]


def _access_value(value):
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return sorted(str(item) for item in value)
    return value


@admin.register(Organization)
class OrganizationAdmin(AuditedSettings, AuditedMemberships, admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "renewal_window_months", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # A partner turned reseller (or back) would change who pays for its clients and
        # whose pools are whose: the kind is chosen once, at creation.
        if obj is not None:
            return ["kind", *self.readonly_fields]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Organization.objects.partners()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Partner)
class PartnerAdmin(AuditedSettings, AuditedMemberships, admin.ModelAdmin):
    list_display = ["name", "reseller_count", "client_count", "renewal_window_months", "grant"]
    search_fields = ["name"]
    fields = [
        "name", "renewal_window_months", "reminder_days", "require_mfa",
        "auto_renew_new_clients", "created_at",
    ]
    readonly_fields = ["created_at"]
    inlines = [ResellerInline, MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                reseller_count=count_of(Organization, "parent"),
                client_count=count_of(_client_model(), "partner"),
            )
        )

    @admin.display(description=_("resellers"), ordering="reseller_count")
    def reseller_count(self, obj):
        return obj.reseller_count

    @admin.display(description=_("clients"), ordering="client_count")
    def client_count(self, obj):
        return obj.client_count

    @admin.display(description=_("licenses"))
    def grant(self, obj):
        url = reverse("admin:subscriptions_licensepool_grant")
        return format_html('<a href="{}?partner={}">{}</a>', url, obj.pk, _("Grant licenses"))


class PartnerChoiceFilter(admin.SimpleListFilter):
    """The partner a reseller belongs to (partners only, unlike a plain FK filter)."""

    title = _("partner")
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        return list(Organization.objects.partners().values_list("pk", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(parent_id=self.value())
        return queryset


@admin.register(Reseller)
class ResellerAdmin(AuditedSettings, AuditedMemberships, admin.ModelAdmin):
    list_display = ["name", "parent", "client_count"]
    list_filter = [PartnerChoiceFilter]
    search_fields = ["name", "parent__name"]
    list_select_related = ["parent"]
    fields = ["name", "parent", "require_mfa", "created_at"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(client_count=count_of(_client_model(), "reseller"))
        )

    @admin.display(description=_("clients"), ordering="client_count")
    def client_count(self, obj):
        return obj.client_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Organization.objects.partners()
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class UserMembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    extra = 0
    max_num = 1
    can_delete = True
    autocomplete_fields = ["organization"]
    fields = ["organization", "role"]
    verbose_name = _("organization and role")
    verbose_name_plural = _("organization and role")


class OrganizationKindFilter(admin.SimpleListFilter):
    title = _("organization kind")
    parameter_name = "organization_kind"

    def lookups(self, request, model_admin):
        return OrganizationKind.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(membership__organization__kind=self.value())
        return queryset


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AuditedMemberships, BaseUserAdmin):
    change_password_form = AuditedPasswordChangeForm
    inlines = [*BaseUserAdmin.inlines, UserMembershipInline]
    list_display = [
        "username", "email", "organization", "role", "two_factor", "is_staff", "is_active"
    ]
    list_select_related = ["membership__organization"]
    readonly_fields = ["two_factor"]
    actions = ["reset_two_factor"]
    list_filter = [*BaseUserAdmin.list_filter, OrganizationKindFilter, "membership__role"]
    search_fields = [*BaseUserAdmin.search_fields, "membership__organization__name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in ACCESS_FIELDS if change and name in form.changed_data]
        if not changed:
            return
        # The membership's, whatever the account's state: a deactivated user has no scope.
        organization = (
            Membership.objects.filter(user_id=obj.pk).values_list("organization_id", flat=True)
            .first()
        )
        if "is_active" in changed:
            services.record_active(
                actor=request.user, member=obj, was_active=not obj.is_active,
                active=obj.is_active, organization=organization,
            )
            changed.remove("is_active")
        if changed:
            record(Action.PERMISSIONS_CHANGED, actor=request.user, organization=organization,
                   target=obj,
                   before={name: _access_value(form.initial.get(name)) for name in changed},
                   after={name: _access_value(form.cleaned_data.get(name)) for name in changed})

    @admin.display(description=_("organization"), ordering="membership__organization__name")
    def organization(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.organization if membership else "—"

    @admin.display(description=_("role"), ordering="membership__role")
    def role(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_two_factor=Exists(confirmed))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Two-factor login"), {"fields": ["two_factor"]})]

    @admin.display(description=_("two-factor login"), boolean=True, ordering="has_two_factor")
    def two_factor(self, obj):
        found = getattr(obj, "has_two_factor", None)
        return mfa.has_two_factor(obj) if found is None else found

    @admin.action(description=_("Reset two-factor login (the password alone logs in)"))
    def reset_two_factor(self, request, queryset):
        users = list(queryset)
        for user in users:
            mfa.reset(user)
        self.message_user(
            request,
            ngettext(
                "Two-factor login was reset for %(count)s user: the password alone logs "
                "them in until they set it up again.",
                "Two-factor login was reset for %(count)s users: the password alone logs "
                "them in until they set it up again.",
                len(users),
            ) % {"count": len(users)},
            messages.SUCCESS,
        )
