"""The pages of the second factor: the sign-in's code step, setting up the authenticator app
(django-two-factor-auth's wizard), recovery codes, and turning it off.

The code step counts every wrong code as a failed sign-in with django-axes, for the username
and the address, like a wrong password: the lockout and the per-address limit cover it too.
"""

import time

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, user_login_failed
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from two_factor.forms import TOTPDeviceForm
from two_factor.utils import get_otpauth_url, totp_digits
from two_factor.views import QRGeneratorView, SetupView

from accounts import two_factor
from accounts.signin import address_is_over_limit
from negotiations import permissions

# Where the sign-in keeps who gave the right password, until their code is checked.
PENDING = "second_step"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=40,
        help_text=gettext_lazy(
            "The six-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class TurnOffForm(forms.Form):
    understand = forms.BooleanField(
        label=gettext_lazy("I understand that my account will be protected by my password alone.")
    )


def safe_next(request, default=None) -> str:
    """The page asked for next, if it is on this site; else `default` (the home page)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default or settings.LOGIN_REDIRECT_URL


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


# --- The sign-in's second step ----------------------------------------------------------------


def start_second_step(request, user, next_url: str) -> HttpResponseRedirect:
    """The password was right and the person has a second factor: remember them (not signed in
    yet) for the code step, for a few minutes."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "since": int(time.time()),
        "next": next_url,
    }
    return redirect("two_factor:verify")


def _pending(request):
    """(the person, their backend, where to go next) waiting for the code step, or None."""
    data = request.session.get(PENDING)
    if not data:
        return None
    if time.time() - data.get("since", 0) > settings.TWO_FACTOR_LOGIN_TIMEOUT:
        del request.session[PENDING]
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    if user is None:
        del request.session[PENDING]
        return None
    return user, data["backend"], data["next"]


@login_not_required
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """Ask for the code: after the password at sign-in, or for a session already signed in
    that has not passed the second factor."""
    if request.user.is_authenticated:
        request.session.pop(PENDING, None)
        user, backend = request.user, None
        next_url = safe_next(request)
        if permissions.has_passed_second_factor(user):
            return redirect(next_url)
        if not two_factor.has_second_factor(user):
            return redirect(with_next("two_factor:setup", next_url))
    else:
        pending = _pending(request)
        if pending is None:
            messages.info(request, _("Your sign-in took too long: enter your password again."))
            return redirect("login")
        user, backend, next_url = pending

    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        _give_up(request)
        return get_lockout_response(request, None, credentials)

    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if address_is_over_limit(request):
            form.add_error(
                None,
                _(
                    "Too many failed sign-ins from your network. Wait a quarter of an hour and "
                    "try again, or ask your secretariat to help."
                ),
            )
        else:
            device = two_factor.verify_code(user, form.cleaned_data["code"])
            if device is not None:
                request.session.pop(PENDING, None)
                if not request.user.is_authenticated:
                    login(request, user, backend=backend)
                otp_login(request, device)
                return redirect(next_url)
            # Counted like a wrong password: django-axes records it for this username and
            # address, and answers with its lockout page once the limit is reached.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                _give_up(request)
            form.add_error(
                "code",
                _(
                    "This code is not right. Check that your phone's clock is correct and "
                    "enter the code now shown, or a recovery code."
                ),
            )
    return render(
        request,
        "two_factor/core/login.html",
        {"form": form, "person": user, "next": next_url},
        status=400 if form.is_bound else 200,
    )


def _give_up(request):
    """Locked out: the password step has to be passed again, once the lockout is over."""
    request.session.pop(PENDING, None)
    if request.user.is_authenticated:
        logout(request)


# --- Setting the app up -----------------------------------------------------------------------


class Setup(SetupView):
    """django-two-factor-auth's wizard (an introduction, then the QR code, the secret as text
    and the first code), saving the device through `accounts.two_factor`."""

    def get_success_url(self):
        return with_next("two_factor:setup_complete", safe_next(self.request))

    def get_form(self, step=None, **kwargs):
        form = super().get_form(step=step, **kwargs)
        if isinstance(form, TOTPDeviceForm):
            form.fields["token"].label = _("Code shown by the app")
            form.fields["token"].widget = forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
            )
            form.error_messages = {
                "invalid_token": _(
                    "This code is not right. Check that your phone's clock is correct and "
                    "enter the code now shown."
                )
            }
        return form

    def done(self, form_list, **kwargs):
        self.request.session.pop(self.session_key_name, None)
        form = next(form for form in form_list if isinstance(form, TOTPDeviceForm))
        device = two_factor.enrol_authenticator(form=form, by=self.request.user)
        otp_login(self.request, device)
        return redirect(self.get_success_url())

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        context["next"] = safe_next(self.request)
        context["required"] = permissions.requires_second_factor(self.request.user)
        if "secret_key" in context:
            key = context["secret_key"]
            context["issuer"] = settings.OTP_TOTP_ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), key, settings.OTP_TOTP_ISSUER, totp_digits()
            )
            context["secret_groups"] = [key[start : start + 4] for start in range(0, len(key), 4)]
        return context


class QRCode(QRGeneratorView):
    """The QR code of the secret being set up (never of a device already saved)."""

    def get_issuer(self):
        return settings.OTP_TOTP_ISSUER


def _verified_or_redirect(request):
    """None when the session has passed the second factor; else where to go to pass it."""
    if permissions.has_passed_second_factor(request.user):
        return None
    if two_factor.has_second_factor(request.user):
        return redirect(with_next("two_factor:verify", request.get_full_path()))
    return redirect(with_next("two_factor:setup", request.get_full_path()))


@never_cache
@require_http_methods(["GET"])
def setup_complete(request):
    if (elsewhere := _verified_or_redirect(request)) is not None:
        return elsewhere
    return render(
        request,
        "two_factor/core/setup_complete.html",
        {
            "next": safe_next(request),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
        },
    )


# --- Recovery codes ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """How many recovery codes are left; new ones on request, shown on this answer alone."""
    if (elsewhere := _verified_or_redirect(request)) is not None:
        return elsewhere
    codes = None
    if request.method == "POST":
        codes = two_factor.make_recovery_codes(user=request.user, by=request.user)
    return render(
        request,
        "two_factor/core/backup_tokens.html",
        {
            "codes": codes,
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "next": safe_next(request, reverse("accounts:profile") + "#two-step"),
        },
    )


# --- Turning it off ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def turn_off(request):
    """Only for those whose role does not require a second factor, from a session that has
    passed it."""
    if permissions.requires_second_factor(request.user):
        raise PermissionDenied
    if not two_factor.has_second_factor(request.user):
        return redirect(reverse("accounts:profile") + "#two-step")
    if (elsewhere := _verified_or_redirect(request)) is not None:
        return elsewhere
    form = TurnOffForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        two_factor.turn_off(user=request.user, by=request.user)
        messages.success(request, _("Two-step verification is off."))
        return redirect(reverse("accounts:profile") + "#two-step")
    return render(
        request,
        "two_factor/profile/disable.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
