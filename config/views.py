"""Project-wide views: the health check, and the pages shown when a request goes wrong.

Every error page is drawn in the site's layout and the reader's language, says in plain words
what happened and where to go next, and never shows technical detail.
"""

import logging
from urllib.parse import urlsplit

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.log import log_response
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from config.admin_access import NotAnAdministrator

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def health(request):
    """Liveness and database reachability, for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# ---------------------------------------------------------------------------------------------
# Error pages. These run outside the usual view machinery (no login check, perhaps no CSRF
# middleware), hence requires_csrf_token for the language form in the footer.
# ---------------------------------------------------------------------------------------------


def came_from(request, *, other_page=True) -> str | None:
    """The page of this site the person came from, if the browser said so; with `other_page`,
    only if it is not the address that failed (a link back to it would lead nowhere)."""
    referer = request.headers.get("referer", "")
    if not referer:
        return None
    try:
        host, here = request.get_host(), request.build_absolute_uri()
    except DisallowedHost:
        # The very reason for a 400 page may be a host this site does not serve.
        return None
    if (other_page and referer == here) or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return None
    return referer


@requires_csrf_token
def bad_request(request, exception=None):
    return render(request, "400.html", {"back_url": came_from(request)}, status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    context = {
        "back_url": came_from(request),
        "administration": isinstance(exception, NotAnAdministrator),
    }
    response = render(request, "403.html", context, status=403)
    # One line per refusal: a refusal is an everyday event, and Django would otherwise log
    # it with a full traceback. Logged here, Django does not log the same response again.
    user = getattr(request, "user", None)
    log_response(
        "Forbidden: %s (user %s)",
        request.path,
        user.pk if user is not None and user.is_authenticated else "anonymous",
        response=response,
        request=request,
    )
    return response


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", {"back_url": came_from(request)}, status=404)


@requires_csrf_token
def server_error(request):
    """The 500 page. Whatever failed may fail again while the page is drawn (the database, a
    template), so each attempt asks less of the server than the one before."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("The error page could not be drawn with the navigation")
    try:
        # Signed-out layout: no query for the navigation, the user or the messages.
        return render(request, "500.html", {"user": AnonymousUser(), "messages": ()}, status=500)
    except Exception:
        logger.exception("The error page could not be drawn in the site's layout")
    return HttpResponseServerError(minimal_server_error_page())


def minimal_server_error_page() -> str:
    """The 500 page without templates, static files or the database."""
    return format_html(
        '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{}</title></head><body><main><h1>{}</h1><p>{}</p><p>{}</p>"
        '<p><a href="{}">{}</a></p></main></body></html>',
        get_language() or "en",
        gettext("Something went wrong"),
        gettext("Something went wrong"),
        gettext("The tracker could not show this page because of a fault on our side."),
        gettext(
            "What was saved before is safe. What you just sent may not have been saved: "
            "check, and try again in a few minutes. If it keeps happening, tell the "
            "secretariat of your agreement."
        ),
        resolve_url("dashboards:portfolio"),
        gettext("Go to the portfolio"),
    )


@requires_csrf_token
def csrf_failure(request, reason=""):
    """A form refused because its security token was stale or missing, most often because
    it stayed open too long or the person signed in or out in another window."""
    # A form is often sent to the page that shows it: reloading that page is the way back.
    back_url = came_from(request, other_page=False)
    login_url = resolve_url("login")
    if back_url:
        # Back to the form after signing in again, by its path: the sign-in page wants one.
        parts = urlsplit(back_url)
        back_path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        login_url = f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: back_path})}"
    context = {"back_url": back_url, "login_url": login_url}
    return render(request, "403_csrf.html", context, status=403)
