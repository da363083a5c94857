"""The invitation link's token: signed, expiring, and dead once the invitation is taken up."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "accounts.invitation"


def _max_age() -> dt.timedelta:
    """How long an invitation link works."""
    return dt.timedelta(days=getattr(settings, "INVITATION_MAX_AGE_DAYS", 7))


def _state(user) -> str:
    """Changes as soon as the person sets a password or signs in, so the link works once."""
    last_login = user.last_login.isoformat() if user.last_login else ""
    return salted_hmac(SALT, f"{user.password}|{last_login}", algorithm="sha256").hexdigest()[:32]


def make_token(user) -> str:
    """A token inviting this person to choose their password."""
    return signing.TimestampSigner(salt=SALT).sign_object({"u": user.pk, "h": _state(user)})


def invitation_url(user) -> str:
    """The absolute link for the invitation email."""
    return settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": make_token(user)})


class InvalidInvitation(Exception):
    """The link is tampered with, expired or already used; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def user_for_token(token: str):
    """The person the token invites; InvalidInvitation when it no longer may be used."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        data = signer.unsign_object(token, max_age=_max_age())
    except signing.SignatureExpired as error:
        raise InvalidInvitation("expired") from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidInvitation("invalid") from error
    if not isinstance(data, dict):
        raise InvalidInvitation("invalid")
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None:
        raise InvalidInvitation("invalid")
    if data.get("h") != _state(user):
        raise InvalidInvitation("used")
    return user
