import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name; UTC for a name this machine does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A person using the tracker: negotiator, chief negotiator, official or secretariat."""

    email = models.EmailField(_("email address"), unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Times are shown, and reminders sent, in this zone (e.g. Asia/Phnom_Penh)."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Raised to sign the person out everywhere else: every session carries a hash of it.
    session_epoch = models.PositiveIntegerField(_("sessions ended"), default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # One address, one person: "Sok@mfa.gov.kh" and "sok@mfa.gov.kh" are the same inbox.
            models.UniqueConstraint(Lower("email"), name="one_person_per_email_ignoring_case"),
            models.CheckConstraint(condition=~Q(email=""), name="every_person_has_an_email"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret=None):
        """The session's proof that the password (and the sessions' epoch) is unchanged: one
        more "sign out everywhere else" and every other session is over, as after a new
        password. Epoch 0 keeps Django's own hash, so no session ends on upgrade."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self):
        super().clean()
        if self.email:
            self.email = self.email.strip()
            clash = User.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"email": _("Someone already uses this email address.")}, code="unique"
                )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zone_named(self.time_zone)


class CalendarFeed(models.Model):
    """A person's secret calendar address: the meetings and deadlines they may see, for the
    calendar app they subscribe from (which cannot sign in, so the address is the key)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("person"),
    )
    token = models.CharField(_("secret"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_fetched_at = models.DateTimeField(_("last read by a calendar"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        # Never the token: this is what the audit trail and the logs show.
        return _("Calendar feed of %(person)s") % {"person": self.user}

    def get_absolute_url(self):
        return reverse("accounts:calendar-feed", kwargs={"token": self.token})


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's recovery codes, for when their authenticator app is out of reach: each works
    once. Only a hash of each code is kept (`accounts.two_factor`), so that nobody who reads
    the database can sign in with one; the person sees the codes once, when they are made."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        """Whether `token` is one of the codes still unused; a code that matches is used up."""
        from accounts.two_factor import recovery_code_digest

        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        # Deleting is the check: of two requests with the same code, only one deletes it.
        used, _per_model = self.codes.filter(digest=recovery_code_digest(str(token))).delete()
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One unused recovery code, as its hash."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(_("hash"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return _("Recovery code")


class PasswordResetRequest(models.Model):
    """One request for a password-reset email, kept for an hour to limit how many an address
    may make, and how many one email address may be sent, whether or not it has an account.
    The email address is kept as a hash: the limit needs to recognise it, not to read it."""

    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    email_digest = models.CharField(_("email address (hash)"), max_length=64, db_index=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("password-reset request")
        verbose_name_plural = _("password-reset requests")
        indexes = [models.Index(fields=["ip_address", "requested_at"])]

    def __str__(self):
        return _("Password-reset request")
