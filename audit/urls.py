from django.urls import path

from . import views

urlpatterns = [path("account/audit/", views.audit_log, name="account_audit")]
