from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementStatus(models.TextChoices):
    LAUNCHED = "launched", _("Launched")
    UNDER_NEGOTIATION = "under_negotiation", _("Under negotiation")
    CONCLUDED = "concluded", _("Concluded")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")


class AgreementKind(models.TextChoices):
    BILATERAL = "bilateral", _("Bilateral")
    PLURILATERAL = "plurilateral", _("Plurilateral")


class RoundMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO_CONFERENCE = "video_conference", _("Video conference")


class MeetingKind(models.TextChoices):
    ROUND_PLENARY = "round_plenary", _("Round plenary")
    WORKING_GROUP = "working_group", _("Working group")
    INTERSESSIONAL = "intersessional", _("Intersessional")
    LEADERS = "leaders", _("Leaders' meeting")


class CommitmentStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    DROPPED = "dropped", _("Dropped")


# Commitments in these states still need someone to act.
OPEN_COMMITMENT_STATUSES = (CommitmentStatus.PLEDGED, CommitmentStatus.IN_PROGRESS)


class Role(models.TextChoices):
    """A person's role in one agreement; the same person may hold another role elsewhere."""

    SECRETARIAT = "secretariat", _("Secretariat")
    CHIEF_NEGOTIATOR = "chief_negotiator", _("Chief negotiator")
    NEGOTIATOR = "negotiator", _("Negotiator")
    OFFICIAL = "official", _("Official")
