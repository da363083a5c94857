"""The API's reference page: Swagger UI from the vendored assets, its start-up script served
as a file of its own so that the Content Security Policy (no inline script) holds."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    url_name = "api:schema"

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        # A page for people: someone not signed in is sent to the sign-in page, like any other.
        view.login_required = True
        return view
