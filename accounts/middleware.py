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
