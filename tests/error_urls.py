"""The site's own addresses, and a few that fail on purpose, for the error pages' tests."""

from django.core.exceptions import BadRequest
from django.db import connection
from django.urls import include, path

from config import urls as site_urls

handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500


def boom(request):
    raise RuntimeError("secret detail: the tracker's internals")


def database_fails(request):
    """Fails in the database; on PostgreSQL the transaction is then unusable for the rest of
    the request, the error page included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_for_the_error_page")


def bad(request):
    raise BadRequest("secret detail: a malformed parameter")


urlpatterns = [
    path("boom/", boom),
    path("boom/database/", database_fails),
    path("bad/", bad),
    path("", include(site_urls)),
]
