"""Sign-in limits that work behind a proxy.

django-axes locks a username out from one address after repeated failures; the address is the
client's own, read by django-ipware from X-Forwarded-For through the number of proxies the
deployment trusts (TRUSTED_PROXY_COUNT), never from a header anyone can send. On top of that,
one address that tries a few passwords on many usernames is stopped by a separate, higher limit
over all the usernames it tried, counted from axes' own records. A wrong code at the second
factor's step counts as a failed sign-in too (accounts/two_factor_views.py).

Password-reset emails are limited too, per address and per email address.
"""

import datetime as dt
import hashlib

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def failures_from(address: str | None) -> int:
    """Failed sign-ins from this address, across usernames, within the cool-off period."""
    if not address:
        return 0
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


def address_is_over_limit(request) -> bool:
    if request is None:
        return False
    return failures_from(get_client_ip_address(request)) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT


class AddressLimitBackend:
    """First of the authentication backends: while an address is over its limit, no password
    is even checked from it (the refusal still counts as a failure)."""

    def authenticate(self, request, **credentials):
        if address_is_over_limit(request):
            raise PermissionDenied
        return None


class SignInForm(AuthenticationForm):
    """The sign-in form, saying plainly why an address is refused."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "address_limit": _(
            "Too many failed sign-ins from your network. Wait a quarter of an hour and try "
            "again, or ask your secretariat to help."
        ),
    }

    def clean(self):
        if address_is_over_limit(self.request):
            raise ValidationError(self.error_messages["address_limit"], code="address_limit")
        return super().clean()


class SignInView(auth_views.LoginView):
    """The sign-in page. Whoever has a second factor is not signed in by their password alone:
    they are sent on to the code step (accounts/two_factor_views.py), and signed in there."""

    authentication_form = SignInForm
    # Someone already signed in (following an old link to the sign-in page, or the admin's) goes
    # on to where they were headed rather than being asked for a password again.
    redirect_authenticated_user = True

    def form_valid(self, form):
        from accounts.two_factor import has_second_factor
        from accounts.two_factor_views import start_second_step

        user = form.get_user()
        if has_second_factor(user):
            return start_second_step(self.request, user, self.get_success_url())
        return super().form_valid(form)


def _email_digest(email: str) -> str:
    return hashlib.sha256(f"password-reset:{email.strip().lower()}".encode()).hexdigest()


def reset_requests_over_limit(request, email: str) -> bool:
    """Whether this address, or this email address, has asked for enough reset emails within
    the hour; counted the same whether or not the email address has an account."""
    from accounts.models import PasswordResetRequest

    since = timezone.now() - dt.timedelta(seconds=settings.PASSWORD_RESET_REQUEST_WINDOW)
    PasswordResetRequest.objects.filter(requested_at__lt=since).delete()
    recent = PasswordResetRequest.objects.filter(requested_at__gte=since)
    address = get_client_ip_address(request)
    return (
        address is not None
        and recent.filter(ip_address=address).count() >= settings.PASSWORD_RESET_ADDRESS_LIMIT
    ) or recent.filter(
        email_digest=_email_digest(email)
    ).count() >= settings.PASSWORD_RESET_ACCOUNT_LIMIT


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per address and per email address; the refusal reads
    the same whether or not the address has an account."""

    def form_valid(self, form):
        from accounts.models import PasswordResetRequest

        email = form.cleaned_data["email"]
        if reset_requests_over_limit(self.request, email):
            form.add_error(
                None,
                ValidationError(
                    _(
                        "Too many password-reset requests were made. Wait an hour and try "
                        "again, or ask your secretariat to help."
                    ),
                    code="reset_limit",
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        PasswordResetRequest.objects.create(
            ip_address=get_client_ip_address(self.request), email_digest=_email_digest(email)
        )
        return super().form_valid(form)
