from django.urls import path

from . import views

urlpatterns = [
    path("account/webhooks/", views.webhooks, name="webhooks"),
    path("account/webhooks/<int:pk>/delete/", views.endpoint_delete, name="webhook_delete"),
    path("account/webhooks/<int:pk>/enable/", views.endpoint_enable, name="webhook_enable"),
    path(
        "account/webhooks/deliveries/<int:pk>/redeliver/", views.delivery_redeliver,
        name="webhook_redeliver",
    ),
]
