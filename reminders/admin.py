from django.contrib import admin

from .models import ReminderPreference, ReminderSent


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "reminders_enabled", "language", "updated_at"]
    list_filter = ["reminders_enabled", "language"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    """The record of what was sent: read-only, as deleting a row would send it again."""

    list_display = ["subscription", "threshold", "term_end", "recipients", "sent_at"]
    list_filter = ["threshold"]
    search_fields = ["subscription__client__name"]
    list_select_related = ["subscription__client", "subscription__product"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
