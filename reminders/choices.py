import re

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


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


class Reason:
    """What the scan and the sender write in a reminder's note when it does not go (in
    English, for the log and the admin; `describe` tells it to a reader in their language)."""

    TARGET_MOVED = "target moved"
    CHANGED_AGAIN = "changed again"
    SUPERSEDED = "superseded"
    TARGET_DELETED = "target deleted"
    MEETING_STARTED = "meeting started"
    DEADLINE_PASSED = "deadline passed"
    NO_LONGER_NEEDED = "no longer needed"
    OPTED_OUT = "opted out"
    NO_LONGER_CONCERNED = "no longer concerned"
    NO_RECIPIENT = "no recipient"
    STOPPED_AFTER_HANDING = (
        "the sender stopped after handing it to the mail server: it may have arrived"
    )


# Why a reminder is withdrawn as replaced (see ReminderStatus.REPLACED), in its note.
REPLACED_BECAUSE = (Reason.TARGET_MOVED, Reason.CHANGED_AGAIN, Reason.SUPERSEDED)

# The statuses the secretariat is shown and may send again.
NEEDS_ATTENTION_STATUSES = (
    ReminderStatus.FAILED,
    ReminderStatus.UNCONFIRMED,
    ReminderStatus.SKIPPED,
)

# What a reader of the list of reminders needing attention is told of each reason, in their
# language. A note not among them (what a mail server said, say) is shown as it is.
_REASONS = {
    Reason.TARGET_MOVED: _("it moved before it went: the notice of the move took its place"),
    Reason.CHANGED_AGAIN: _("it changed again before it went: a newer notice took its place"),
    Reason.SUPERSEDED: _("a later reminder of the same item took its place"),
    Reason.TARGET_DELETED: _("what it was about has been deleted"),
    Reason.MEETING_STARTED: _("the meeting had started"),
    Reason.DEADLINE_PASSED: _("the deadline's day was over"),
    Reason.NO_LONGER_NEEDED: _("no longer needed: cancelled, done or resolved"),
    Reason.OPTED_OUT: _("the person has turned these reminders off"),
    Reason.NO_LONGER_CONCERNED: _("the person is no longer concerned by it"),
    Reason.NO_RECIPIENT: _("there is no address to send it to"),
    Reason.STOPPED_AFTER_HANDING: _(
        "the sender stopped after handing it to the mail server: it may have arrived"
    ),
}
_MISSED = re.compile(r"missed \((?P<reason>[^)]*)\): (?P<detail>.*)", re.DOTALL)
_MISSED_BACKING_OFF = re.compile(
    r"missed: still not sent when it stopped being useful \((?P<detail>.*)\)", re.DOTALL
)
_STOPPED = re.compile(r"the sender stopped while sending it, (?P<count>\d+) times")
_PREFIXED = [
    (
        re.compile(r"no reply after the message was sent: (?P<detail>.*)", re.DOTALL),
        _("no reply from the mail server after the whole message went: %(detail)s"),
    ),
    (
        re.compile(r"sent, unconfirmed: (?P<detail>.*)", re.DOTALL),
        _("sent, unconfirmed: %(detail)s"),
    ),
    (
        re.compile(r"recipient refused: (?P<detail>.*)", re.DOTALL),
        _("the mail server refused the address: %(detail)s"),
    ),
]


def describe(note: str) -> str:
    """A reminder's note as its reader is told it, in the active language."""
    if note in _REASONS:
        return str(_REASONS[note])
    if found := _MISSED.fullmatch(note):
        reason = found["reason"]
        return _("missed (%(reason)s), after: %(detail)s") % {
            "reason": describe(reason) if reason else _("its moment had passed"),
            "detail": describe(found["detail"]),
        }
    if found := _MISSED_BACKING_OFF.fullmatch(note):
        return _("missed: still not sent when it stopped being of use (%(detail)s)") % {
            "detail": describe(found["detail"])
        }
    if found := _STOPPED.fullmatch(note):
        count = int(found["count"])
        return ngettext(
            "the sender stopped while sending it, %(count)d time",
            "the sender stopped while sending it, %(count)d times",
            count,
        ) % {"count": count}
    for pattern, text in _PREFIXED:
        if found := pattern.fullmatch(note):
            return text % {"detail": describe(found["detail"])}
    return note
