"""How the API knows who is calling: a personal token, or the browser's signed-in session.

Tokens authenticate the API alone: no page and not the administration site reads them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api import services
from negotiations import permissions


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer fta_<prefix>_<secret>`; revoked or expired tokens are refused."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        try:
            secret = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = services.find_token(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        services.note_use(token)
        return (token.user, token)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with its CSRF check on writes; a session that has not passed
    the second factor its person's role requires is not signed in for the API either."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not permissions.second_factor_satisfied(result[0]):
            raise exceptions.NotAuthenticated(
                _("Pass the second factor in the tracker before using the API from this session.")
            )
        return result
