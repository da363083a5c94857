from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from accounts.signin import PasswordResetView, SignInView
from config.admin_access import keep_to_administrators
from config.views import health

admin.site.site_header = "Negotiation tracker"
keep_to_administrators(admin.site)

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboards:portfolio"), name="home"),
    path("health/", health, name="health"),
    # The sign-in page with the address limit's own message (accounts/signin.py), then the
    # second factor's code step, setup and recovery codes (accounts/two_factor_urls.py).
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/two-step/", include("accounts.two_factor_urls")),
    # Password reset, limited per address and per account (accounts/signin.py).
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("accounts.urls")),
    # Switching language is allowed before sign-in, on the sign-in page itself.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # One sign-in page for everyone, with its lockout and hardening; the admin's own is not used.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
    ),
    path("admin/", admin.site.urls),
    path("", include("secretariat.urls")),
    path("", include("negotiations.urls")),
    path("", include("workinggroups.urls")),
    path("", include("dashboards.urls")),
    path("meetings/", include("meetings.urls")),
    path("audit/", include("audit.urls")),
    path("reminders/", include("reminders.urls")),
    # The API and its schema (api/urls.py).
    path("", include("api.urls")),
]
