from django.urls import path

from . import views

urlpatterns = [
    path("account/reminders/", views.preferences, name="reminder_preferences"),
]
