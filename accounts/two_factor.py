"""The second factor: a six-digit code from an authenticator app (django-otp's TOTP device, set
up through django-two-factor-auth's wizard), and recovery codes for when the phone is lost.

Who must pass one is decided by `negotiations.permissions.requires_second_factor`; anyone else
may set one up on their profile page, and is then asked for a code at every sign-in too.

Recovery codes are shown once, when they are made, and kept only as hashes: each has 80 random
bits, so a hash read from the database can neither be used as a code nor turned back into one.

Every change (setting the app up, new recovery codes, turning the second factor off) goes
through a function here that writes the audit trail in the same transaction; the trail never
holds a secret.
"""

import base64
import contextlib
import hashlib
import secrets

from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCodeDevice
from audit.services import record_create, record_delete, record_update, snapshot

RECOVERY_CODE_COUNT = 10
# 10 random bytes: 16 base-32 characters, shown in groups of four.
RECOVERY_CODE_BYTES = 10
MASKED = "…"


# --- Recovery codes ---------------------------------------------------------------------------


def normalised(code: str) -> str:
    """A code as typed, without the spaces, dashes and capitals a person may add."""
    return "".join(character for character in str(code).lower() if character.isalnum())


def recovery_code_digest(code: str) -> str:
    return hashlib.sha256(f"recovery-code:{normalised(code)}".encode()).hexdigest()


def new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii").lower()
    return "-".join(raw[start : start + 4] for start in range(0, len(raw), 4))


def recovery_device(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user).first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.codes.count() if device else 0


def make_recovery_codes(*, user, by) -> list[str]:
    """New recovery codes for `user` (the old ones stop working); returns them, in plain text,
    for the one page that shows them."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device, created = RecoveryCodeDevice.objects.select_for_update().get_or_create(
            user=user, defaults={"name": "recovery", "confirmed": True}
        )
        before = None if created else snapshot(device)
        device.codes.all().delete()
        device.codes.bulk_create(
            [device.codes.model(device=device, digest=recovery_code_digest(c)) for c in codes]
        )
        device.save()  # the update time of the device tells when the codes were made
        if created:
            record_create(instance=device, actor=by)
        else:
            record_update(instance=device, before=before, actor=by)
    return codes


# --- The authenticator app --------------------------------------------------------------------


def authenticator(user) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they have set one up."""
    if getattr(user, "pk", None) is None:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user) -> bool:
    """Whether the person has set up an authenticator app (recovery codes alone are not a
    factor: they only stand in for the app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@contextlib.contextmanager
def _key_hidden(device):
    """The device with its secret masked while the audit trail reads it."""
    key = device.key
    device.key = MASKED
    try:
        yield device
    finally:
        device.key = key


def enrol_authenticator(*, form, by) -> TOTPDevice:
    """Save the authenticator app the setup wizard's last step has checked (`form`, a
    django-two-factor-auth TOTPDeviceForm) and audit it."""
    with transaction.atomic():
        device = form.save()
        with _key_hidden(device):
            record_create(instance=device, actor=by)
    return device


def turn_off(*, user, by) -> None:
    """Remove every device of the person: the app and the recovery codes."""
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            if isinstance(device, TOTPDevice):
                with _key_hidden(device):
                    before = snapshot(device)
            else:
                before = snapshot(device)
            record_delete(instance=device, before=before, actor=by)
            device.delete()


# --- Checking a code --------------------------------------------------------------------------


def verify_code(user, code: str):
    """The device that accepts `code` for this person (a six-digit code from their app, or one
    of their recovery codes, used up by this), or None."""
    typed = normalised(code)
    if not typed:
        return None
    if typed.isdigit() and len(typed) <= 8:
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(typed):
                return device
        return None
    device = recovery_device(user)
    if device is not None and device.verify_token(typed):
        return device
    return None
