"""The API's doors: each question is put to negotiations/permissions.py, which alone decides."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions as drf

from api.models import ApiToken
from negotiations import permissions


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class ApiAccess(drf.BasePermission):
    """Signed in (token or session) to read; for a write, a session or a read-write token. What
    may be read or written then is asked object by object, as the pages ask."""

    message = _("This token is read-only: make a read-write token to change anything.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in drf.SAFE_METHODS:
            return True
        return permissions.can_write_through_api(user, token_of(request))


def require(allowed: bool, message=None) -> None:
    """Refuse with 403 unless the answer from negotiations/permissions.py was yes."""
    from rest_framework.exceptions import PermissionDenied

    if not allowed:
        raise PermissionDenied(message)
