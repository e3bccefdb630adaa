from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import account_views, views
from .docs import Schema, SwaggerPage

# The slash is optional: a client that leaves it out reaches the same endpoint (a
# redirect would have it resend a POST as a GET).
router = DefaultRouter()
router.trailing_slash = "/?"
router.include_root_view = False
router.register("clients", views.ClientViewSet, basename="api-client")
router.register("subscriptions", views.SubscriptionViewSet, basename="api-subscription")
router.register("renewals-due", views.RenewalsDueViewSet, basename="api-renewals-due")
router.register("pools", views.PoolViewSet, basename="api-pool")
router.register("ledger", views.LedgerViewSet, basename="api-ledger")

urlpatterns = [
    path("account/api-tokens/", account_views.api_tokens, name="api_tokens"),
    path(
        "account/api-tokens/<int:pk>/revoke/",
        account_views.revoke_api_token,
        name="revoke_api_token",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", Schema.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SwaggerPage.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
