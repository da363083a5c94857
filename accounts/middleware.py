from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone


class UserTimeZoneMiddleware:
    """Shows every time in the signed-in person's own zone; storage stays in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivateResponsesMiddleware:
    """What a signed-in person sees (pages, exports, the brief) is theirs alone: no shared
    cache, no copy left in a browser's cache on a borrowed computer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


class SecondFactorMiddleware:
    """A signed-in session that has not passed the second factor goes no further than the
    pages that let it pass: to enter a code if the person has an authenticator app, to set
    one up if their role requires it (negotiations/permissions.py). Whoever set one up of
    their own accord is asked for its code too."""

    # Sign-in and out, the second factor's own pages, the language switch and the health check.
    ALLOWED = frozenset(
        {
            "login",
            "logout",
            "set_language",
            "health",
            "two_factor:verify",
            "two_factor:setup",
            "two_factor:qr",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        from accounts import two_factor
        from negotiations import permissions

        if not settings.SECOND_FACTOR_ENFORCED:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if permissions.has_passed_second_factor(user):
            return None
        match = request.resolver_match
        if (match is not None and match.view_name in self.ALLOWED) or request.path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            return None
        if two_factor.has_second_factor(user):
            target = "two_factor:verify"
        elif permissions.requires_second_factor(user):
            target = "two_factor:setup"
        else:
            return None
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
