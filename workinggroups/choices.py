from django.db import models
from django.utils.translation import gettext_lazy as _


class ChapterStatus(models.TextChoices):
    """Where a chapter stands, in the order a negotiation moves it forward."""

    NOT_STARTED = "not_started", _("Not started")
    UNDER_NEGOTIATION = "under_negotiation", _("Under negotiation")
    AGREED_IN_PRINCIPLE = "agreed_in_principle", _("Agreed in principle")
    AGREED = "agreed", _("Agreed")
    CONCLUDED = "concluded", _("Concluded")

    @property
    def rank(self):
        return list(ChapterStatus).index(self)

    @property
    def colour(self):
        return CHAPTER_STATUS_COLOURS[self]


# Colour is never the only signal: every place that uses it also prints the label.
CHAPTER_STATUS_COLOURS = {
    ChapterStatus.NOT_STARTED: "#9aa0a6",
    ChapterStatus.UNDER_NEGOTIATION: "#e8a33d",
    ChapterStatus.AGREED_IN_PRINCIPLE: "#6aa9e9",
    ChapterStatus.AGREED: "#3c9d5d",
    ChapterStatus.CONCLUDED: "#1f5f3a",
}


class ContestedPointState(models.TextChoices):
    OPEN = "open", _("Open")
    ESCALATED = "escalated", _("Escalated to the chief negotiators")
    RESOLVED = "resolved", _("Resolved")


# A chapter with a point in one of these states is contested, whatever its status says.
UNRESOLVED_POINT_STATES = (ContestedPointState.OPEN, ContestedPointState.ESCALATED)


class MembershipRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    MEMBER = "member", _("Member")
