from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonByDefaultNegotiation(DefaultContentNegotiation):
    """A browser's `Accept: text/html` (or any type the API does not speak) still gets JSON,
    rather than a 406 it cannot act on."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            candidates = [r for r in renderers if not wanted or r.format == wanted]
            if not candidates:
                raise
            return candidates[0], candidates[0].media_type
