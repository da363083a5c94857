"""A meeting's pages: its page, the screen that records its outcome and its calendar file."""

from meetings.views.detail import MeetingView, meeting_ics
from meetings.views.outcome import meeting_outcome

__all__ = ["MeetingView", "meeting_ics", "meeting_outcome"]
