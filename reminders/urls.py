from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("settings/", views.preference_settings, name="settings"),
    path("failed/", views.FailedRemindersView.as_view(), name="failed"),
]
