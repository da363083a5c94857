"""The API's endpoints. Each reads through the same querysets and FilterSets as the pages, asks
negotiations/permissions.py before every read and write, and writes through the services."""

from api.views.agreements import AgreementViewSet, AuditEntryViewSet, PartyViewSet
from api.views.chapters import ChapterHistoryViewSet, ChapterViewSet, ContestedPointViewSet
from api.views.commitments import CommitmentViewSet
from api.views.common import NotFoundView
from api.views.schedule import DeadlineViewSet, MeetingViewSet, RoundViewSet, WorkingGroupViewSet

__all__ = [
    "AgreementViewSet",
    "AuditEntryViewSet",
    "ChapterHistoryViewSet",
    "ChapterViewSet",
    "CommitmentViewSet",
    "ContestedPointViewSet",
    "DeadlineViewSet",
    "MeetingViewSet",
    "NotFoundView",
    "PartyViewSet",
    "RoundViewSet",
    "WorkingGroupViewSet",
]
