"""API tokens for tests: made through the service, as the profile page makes them."""

import datetime as dt

from django.utils import timezone

from api.models import TokenScope
from api.services import create_token


def issue_token(user, *, scope=TokenScope.WRITE, name="test script", days=30) -> str:
    """A usable token of `user`; returns the secret to send."""
    issued = create_token(
        user=user, name=name, scope=scope, expires_at=timezone.now() + dt.timedelta(days=days)
    )
    return issued.secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
