"""The audit log for publisher staff in the admin: read only, every organization's."""

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at", "action", "actor_name", "organization_name", "object_type",
        "object_id", "object_label", "source", "ip_address",
    )
    list_filter = ("action", "source")
    search_fields = ("actor_name", "organization_name", "object_label", "object_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
    list_select_related = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
