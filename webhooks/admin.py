from django.contrib import admin

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "organization", "enabled", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "organization__name")
    exclude = ("secret",)
    readonly_fields = ("created_by", "disabled_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "endpoint", "event", "state", "attempts", "next_attempt_at")
    list_filter = ("state",)
    list_select_related = ("endpoint", "event")
    raw_id_fields = ("endpoint", "event")
