from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import login_views, password_views, sso_views

from . import views

# Under /api/ these answer problem details (application/problem+json), as the API does.
handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"
# The admin speaks of the product, not of "Django administration".
admin.site.site_header = _("Partner Portal")
admin.site.site_title = _("Partner Portal administration")
admin.site.index_title = _("Portal administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Django's login form, with the second step of two-factor login after it.
    path("accounts/login/", login_views.PortalLoginView.as_view(), name="login"),
    path("accounts/login/code/", login_views.login_code, name="login_code"),
    # Single sign-on with OpenID Connect: 404 unless OIDC_ISSUER is set.
    path("accounts/sso/login/", sso_views.sso_login, name="sso_login"),
    path("accounts/sso/callback/", sso_views.sso_callback, name="sso_callback"),
    # Django's password pages, with the password set written to the audit log.
    path(
        "accounts/password_change/",
        password_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        password_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", views.dashboard, name="dashboard"),
    path("", include("subscriptions.urls")),
    path("", include("api.urls")),
    path("", include("reminders.urls")),
    path("", include("accounts.urls")),
    path("", include("webhooks.urls")),
    path("", include("audit.urls")),
]
