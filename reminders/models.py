from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reminders.choices import Delivery, ReminderKind, ReminderStatus


def validate_lead_days(value):
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) and 0 < day <= 365 for day in value
    ):
        raise ValidationError(_("Give whole numbers of days between 1 and 365."))


def default_meeting_lead_days():
    return [7, 1]


def default_deadline_lead_days():
    return [14, 3, 1]


class LeadTimes(models.Model):
    """How many days before its meetings and deadlines one agreement's people are reminded."""

    agreement = models.OneToOneField(
        "negotiations.Agreement",
        on_delete=models.CASCADE,
        related_name="reminder_lead_times",
        verbose_name=_("agreement"),
    )
    meeting_days = models.JSONField(
        _("days before a meeting"),
        default=default_meeting_lead_days,
        validators=[validate_lead_days],
        help_text=_("For example [7, 1]: a week before and the day before."),
    )
    deadline_days = models.JSONField(
        _("days before a deadline"),
        default=default_deadline_lead_days,
        validators=[validate_lead_days],
    )
    deadline_overdue = models.BooleanField(
        _("remind once when a deadline passes undone"), default=True
    )

    class Meta:
        verbose_name = _("reminder lead times")
        verbose_name_plural = _("reminder lead times")

    def __str__(self):
        return str(self.agreement)


class Preference(models.Model):
    """One person's choice, per kind, of no reminders, each one, or a daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminder_preference",
        verbose_name=_("person"),
    )
    meetings = models.CharField(
        _("meetings"), max_length=8, choices=Delivery.choices, default=Delivery.EACH
    )
    deadlines = models.CharField(
        _("deadlines"), max_length=8, choices=Delivery.choices, default=Delivery.EACH
    )
    contested_points = models.CharField(
        _("contested points"), max_length=8, choices=Delivery.choices, default=Delivery.EACH
    )
    commitments = models.CharField(
        _("commitments"), max_length=8, choices=Delivery.choices, default=Delivery.EACH
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"),
        default=7,
        help_text=_("The hour, in your own time zone, at which the daily digest is sent."),
    )

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_hour__gte=0, digest_hour__lte=23),
                name="reminder_digest_hour_is_an_hour",
            ),
        ]

    def __str__(self):
        return str(self.user)


class TargetRevision(models.Model):
    """How often a meeting, deadline or due date has moved (or been cancelled) since the scan
    first saw it, and how it stood when last seen: what a notice says it changed from.

    The revision is the SEQUENCE of a meeting's calendar entry, in emails and feeds alike.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    target_id = models.PositiveBigIntegerField(_("target"))
    fingerprint = models.CharField(_("schedule"), max_length=200)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    # What the fingerprint is made of (time, zone, place, cancelled), as last seen.
    state = models.JSONField(_("as last seen"), default=dict, blank=True)
    # When the scan last found it changed: reminders due before then are not sent late.
    changed_at = models.DateTimeField(_("last changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("target revision")
        verbose_name_plural = _("target revisions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "target_id"], name="one_revision_per_target")
        ]

    def __str__(self):
        return f"{self.kind} {self.target_id} r{self.revision}"


class Reminder(models.Model):
    """One reminder to one person about one meeting, deadline, contested point or commitment.

    The ledger: a row exists once per (target as scheduled, recipient, lead time), whatever
    runs the scan and however often; it is claimed by a conditional update before sending and
    marked sent after the mail server accepted it (or "sent, unconfirmed" when the connection
    was lost after the whole message went and before the server's reply).
    """

    agreement = models.ForeignKey(
        "negotiations.Agreement",
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("agreement"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    target_id = models.PositiveBigIntegerField(_("target"))
    # Bumped when the target moves: a moved meeting is a new occurrence with its own reminders.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    # Days before the target's date (negative: after it, for overdue follow-ups).
    offset_days = models.SmallIntegerField(_("days before"))
    target_at = models.DateTimeField(_("target time"))
    due_at = models.DateTimeField(_("due at"))
    send_after = models.DateTimeField(_("send after"))
    digest = models.BooleanField(_("in the daily digest"), default=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ReminderStatus.choices,
        default=ReminderStatus.PENDING,
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the current claim began handing the message's data to the mail server: from then on
    # a sender that stops leaves the outcome unknown, and the reminder is not sent again blindly.
    handed_at = models.DateTimeField(_("handed to the mail server at"), null=True, blank=True)
    # Where in its batch's claim this reminder's message comes: a batch is claimed in one
    # statement and sent in this order, so a sender that stops was at the first one not
    # handed over, and the rest were never reached.
    claim_order = models.PositiveSmallIntegerField(_("place in its batch"), null=True, blank=True)
    # How often a sender stopped (killed, say) while holding the claim, before handing it over.
    interruptions = models.PositiveSmallIntegerField(_("interrupted sends"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # For a notice: the target as the recipient last heard of it, and as it is now.
    change = models.JSONField(_("change"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-send_after", "pk"]
        # Looked up by target through the unique constraint's index, which begins with it.
        indexes = [models.Index(fields=["status", "send_after"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_id", "revision", "recipient", "offset_days"],
                name="reminder_once_per_target_recipient_lead",
            ),
            models.CheckConstraint(
                condition=Q(status=ReminderStatus.SENT, sent_at__isnull=False)
                | (~Q(status=ReminderStatus.SENT) & Q(sent_at__isnull=True)),
                name="reminder_sent_at_iff_sent",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENDING)
                | Q(claimed_at__isnull=False, claim_token__isnull=False),
                name="reminder_sending_is_claimed",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} #{self.target_id} → {self.recipient} ({self.offset_days})"
        )
