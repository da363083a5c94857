"""The negotiations app's pages: the agreement list, the calendar (rounds, meetings,
deadlines) and commitments."""

from negotiations.views.agreements import AgreementListView
from negotiations.views.commitments import commitment_create, commitment_deliver, commitment_detail
from negotiations.views.schedule import (
    deadline_create,
    deadline_detail,
    deadline_update,
    meeting_cancel,
    meeting_create,
    meeting_update,
    round_create,
    round_update,
)

__all__ = [
    "AgreementListView",
    "commitment_create",
    "commitment_deliver",
    "commitment_detail",
    "deadline_create",
    "deadline_detail",
    "deadline_update",
    "meeting_cancel",
    "meeting_create",
    "meeting_update",
    "round_create",
    "round_update",
]
