"""The second factor's pages, in the namespace django-two-factor-auth's views reverse."""

from django.urls import path

from accounts import two_factor_views as views

app_name = "two_factor"

urlpatterns = [
    path("code/", views.verify, name="verify"),
    path("setup/", views.Setup.as_view(), name="setup"),
    path("setup/qr-code/", views.QRCode.as_view(), name="qr"),
    path("setup/complete/", views.setup_complete, name="setup_complete"),
    path("recovery-codes/", views.recovery_codes, name="backup_tokens"),
    path("turn-off/", views.turn_off, name="disable"),
]
