import functools

from django.conf import settings
from django.core.cache import cache as default_cache
from django.utils.module_loading import import_string
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.permissions import token_of


@functools.cache
def _budgets(config: tuple):
    """The cache the budgets are counted in: `API_THROTTLE_CACHE` (Redis, so that every
    worker counts together), else the default cache."""
    if not config:
        return default_cache
    options = dict(config)
    backend = import_string(options.pop("BACKEND"))
    return backend(options.pop("LOCATION"), options)


class PerTokenRateThrottle(SimpleRateThrottle):
    """A budget of requests for each token (each person, for the browser's session)."""

    scope = "api"

    def __init__(self):
        config = getattr(settings, "API_THROTTLE_CACHE", None) or {}
        self.cache = _budgets(tuple(sorted(config.items())))
        super().__init__()

    def get_rate(self):
        # Read when the request is made, so a deployer's setting (or a test's) applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is not None:
            # The token's random prefix, not its id: ids come back in a restored database.
            ident = f"token-{token.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
