"""A person's calendar feed: the meetings and deadlines of every agreement they may see, as one
calendar a calendar app subscribes to. Each entry carries the same UID and SEQUENCE as the
reminder emails and the meeting's own calendar file, so the three never make two entries."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from meetings import calendar
from negotiations.models import Deadline, Meeting
from negotiations.permissions import visible_agreements
from reminders import selectors as reminder_selectors

# How far back the feed reaches: recent enough to look up last month's meeting, short enough
# to stay small however long a negotiation runs.
LOOK_BACK = dt.timedelta(days=60)


def feed_meetings(user, *, now: dt.datetime):
    """The meetings in this person's feed: cancelled ones too, so calendars drop them."""
    return Meeting.objects.filter(
        agreement__in=visible_agreements(user), starts_at__gte=now - LOOK_BACK
    ).order_by("starts_at", "pk")


def feed_deadlines(user, *, now: dt.datetime):
    today = timezone.localdate(now, timezone=user.zone)
    return (
        Deadline.objects.filter(
            agreement__in=visible_agreements(user), due_on__gte=today - LOOK_BACK
        )
        .select_related("agreement")
        .order_by("due_on", "pk")
    )


def feed_calendar(user, *, now: dt.datetime | None = None) -> bytes:
    """The whole feed of this person, in four queries however many entries it holds."""
    now = now or timezone.now()
    meetings = list(feed_meetings(user, now=now))
    deadlines = list(feed_deadlines(user, now=now))
    meeting_sequences = reminder_selectors.sequences("meeting", [m.pk for m in meetings])
    deadline_sequences = reminder_selectors.sequences("deadline", [d.pk for d in deadlines])
    events = [
        calendar.meeting_event(meeting, sequence=meeting_sequences.get(meeting.pk, 0), stamp=now)
        for meeting in meetings
    ] + [
        calendar.deadline_event(
            deadline, sequence=deadline_sequences.get(deadline.pk, 0), stamp=now
        )
        for deadline in deadlines
    ]
    with override(user.language):
        name = _("Negotiation tracker — %(person)s") % {"person": user}
    return calendar.calendar(events, name=name)
