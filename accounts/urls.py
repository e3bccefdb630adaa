from django.urls import path

from . import security_views, views

urlpatterns = [
    path("account/security/", security_views.security, name="account_security"),
    path("account/users/", views.user_list, name="account_users"),
    path("account/users/invite/", views.user_invite, name="account_user_invite"),
    path("account/users/<int:pk>/", views.user_edit, name="account_user_edit"),
    path(
        "account/users/<int:pk>/deactivate/",
        views.user_deactivate,
        name="account_user_deactivate",
    ),
    path(
        "account/users/<int:pk>/reactivate/",
        views.user_reactivate,
        name="account_user_reactivate",
    ),
    path("account/users/<int:pk>/resend/", views.user_resend, name="account_user_resend"),
    path(
        "account/organization/", views.organization_settings, name="account_organization"
    ),
]
