from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """A meeting's home: its page, its outcome, its calendar entry and the notices of its moves.

    The model (`negotiations.models.Meeting`) and the services that schedule, move and cancel a
    meeting (`negotiations.services.schedule`) stay with the agreement they belong to; the
    notices of a move travel through the reminder ledger (`reminders.services.track_changes`).
    """

    name = "meetings"
    verbose_name = _("Meetings")
