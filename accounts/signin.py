"""Sign-in limits that work behind a proxy.

django-axes locks a username out from one address after repeated failures; the address is the
client's own, read by django-ipware from X-Forwarded-For through the number of proxies the
deployment trusts (TRUSTED_PROXY_COUNT), never from a header anyone can send. On top of that,
one address that tries a few passwords on many usernames is stopped by a separate, higher limit
over all the usernames it tried, counted from axes' own records.
"""

import datetime as dt

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
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
