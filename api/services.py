"""Personal API tokens: made (the secret shown once), found by their prefix, revoked."""

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, TokenScope
from audit.services import record_create, record_update, snapshot

TOKEN_KIND = "fta"
# The longest a token may live; a program that needs longer is given a new one.
MAX_LIFETIME = dt.timedelta(days=366)


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    """A token just made, with the secret that is never shown again."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, user, name: str, scope: str, expires_at: dt.datetime) -> IssuedToken:
    """Make a token for `user`; the returned secret is the only copy there will be."""
    now = timezone.now()
    errors = {}
    if scope not in TokenScope.values:
        errors["scope"] = _("Choose a valid scope.")
    if expires_at <= now:
        errors["expires_at"] = _("A token must expire in the future.")
    elif expires_at > now + MAX_LIFETIME:
        errors["expires_at"] = _("A token may live a year at most.")
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=prefix,
        key_hash=digest(secret),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        record_create(instance=token, actor=user)
    return IssuedToken(token=token, secret=secret)


def revoke_token(*, token: ApiToken, by) -> ApiToken:
    """Refuse the token from now on; revoking it again changes nothing."""
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked_at is None:
            before = snapshot(current)
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            record_update(instance=current, before=before, actor=by)
    return current


def find_token(secret: str) -> ApiToken | None:
    """The token whose secret this is (revoked or expired ones too), or None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_KIND or not parts[1]:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest(secret)):
        return None
    return token


# How often a token's last use is written: not on every request.
LAST_USED_PRECISION = dt.timedelta(minutes=5)


def note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
