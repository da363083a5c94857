from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """What a reminder is about; each kind has its own lead times and preference."""

    MEETING = "meeting", _("Meeting")
    DEADLINE = "deadline", _("Deadline")
    CONTESTED_POINT = "contested_point", _("Contested point")
    COMMITMENT = "commitment", _("Commitment")
    # Once, to the chief negotiators, when a contested point is handed to them.
    ESCALATION = "escalation", _("Escalated contested point")
    # Notices, once per change and person, when the scan finds a meeting moved or cancelled,
    # or a deadline moved.
    MEETING_CHANGE = "meeting_change", _("Meeting moved or cancelled")
    DEADLINE_CHANGE = "deadline_change", _("Deadline moved")


class Delivery(models.TextChoices):
    """How a person wants the reminders of one kind."""

    OFF = "off", _("Off")
    EACH = "each", _("Each reminder as it comes")
    DIGEST = "digest", _("One daily digest")


class ReminderStatus(models.TextChoices):
    """Where one reminder stands in the ledger."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    # The whole message reached the mail server, whose reply never came: it may have been
    # delivered, so it is not sent again unless a person asks.
    UNCONFIRMED = "unconfirmed", _("Sent, unconfirmed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")
    # Withdrawn because a newer one took its place: the same reminder at a later lead time,
    # or the notice of a move (or of a later change). Nothing is missing: not listed as
    # needing attention, and never sent again.
    REPLACED = "replaced", _("Replaced by a newer one")


# The preference field of `Preference` that governs each kind.
PREFERENCE_FIELD = {
    ReminderKind.MEETING: "meetings",
    ReminderKind.DEADLINE: "deadlines",
    ReminderKind.CONTESTED_POINT: "contested_points",
    ReminderKind.COMMITMENT: "commitments",
    ReminderKind.ESCALATION: "contested_points",
    ReminderKind.MEETING_CHANGE: "meetings",
    ReminderKind.DEADLINE_CHANGE: "deadlines",
}

# The notice kind that announces each watched kind's changes.
NOTICE_KIND = {
    ReminderKind.MEETING: ReminderKind.MEETING_CHANGE,
    ReminderKind.DEADLINE: ReminderKind.DEADLINE_CHANGE,
}
# And the kind whose schedule (and revision) each notice is about.
NOTICE_OF = {notice: kind for kind, notice in NOTICE_KIND.items()}

# Why a reminder is withdrawn as replaced (see ReminderStatus.REPLACED), in its note.
REPLACED_BECAUSE = ("target moved", "changed again", "superseded")

# The statuses the secretariat is shown and may send again.
NEEDS_ATTENTION_STATUSES = (
    ReminderStatus.FAILED,
    ReminderStatus.UNCONFIRMED,
    ReminderStatus.SKIPPED,
)
