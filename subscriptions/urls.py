from django.urls import path

from . import organization_menus
from .views import addon, bulk, clients, coterm, imports, lists, plan, renewal, undo

# The package re-exports the view `licenses` under the module's name: import from the module.
from .views.licenses import allocate, licenses

urlpatterns = [
    path("clients/", lists.client_list, name="client_list"),
    path("clients/new/", clients.client_new, name="client_new"),
    path("licenses/balance/", clients.pool_balance, name="pool_balance"),
    path("clients/import/", imports.client_import, name="client_import"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("clients/<int:pk>/coterm/", coterm.coterm, name="coterm"),
    path("renewals/", lists.renewals, name="renewals"),
    path("renewals/bulk/", bulk.bulk_renew, name="bulk_renew"),
    path("subscriptions/<int:pk>/renew/", renewal.renew, name="renew"),
    path("subscriptions/<int:pk>/add-users/", addon.add_users, name="add_users"),
    path(
        "subscriptions/<int:pk>/cancel-renewal/", undo.cancel_renewal, name="cancel_renewal"
    ),
    path("subscriptions/<int:pk>/not-renewing/", undo.not_renewing, name="not_renewing"),
    path(
        "subscriptions/<int:pk>/renewal-plan/", plan.renewal_plan, name="renewal_plan"
    ),
    path("licenses/", licenses, name="licenses"),
    path("licenses/allocate/", allocate, name="allocate"),
    path(
        "organizations/options/",
        organization_menus.organization_options,
        name="organization_options",
    ),
]
