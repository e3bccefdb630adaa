from django.urls import path

from . import import_views, organization_menus, views

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/import/", import_views.client_import, name="client_import"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("renewals/", views.renewals, name="renewals"),
    path("renewals/bulk/", views.bulk_renew, name="bulk_renew"),
    path("subscriptions/<int:pk>/renew/", views.renew, name="renew"),
    path(
        "subscriptions/<int:pk>/cancel-renewal/", views.cancel_renewal, name="cancel_renewal"
    ),
    path("subscriptions/<int:pk>/not-renewing/", views.not_renewing, name="not_renewing"),
    path("licenses/", views.licenses, name="licenses"),
    path("licenses/allocate/", views.allocate, name="allocate"),
    path(
        "organizations/options/",
        organization_menus.organization_options,
        name="organization_options",
    ),
]
