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
