"""Calendar entries (RFC 5545) for meetings and deadlines: one builder for the reminder and
notice emails, the "Add to calendar" download and each person's subscription feed.

A meeting is one event whose UID never changes; its SEQUENCE is the number of times the
reminder scan has seen it move or be cancelled (`reminders.selectors.sequences`), so an email,
a download and a feed read at the same time all carry the same one.
"""

import datetime as dt
import functools

import icalendar

from reminders import links

PRODID = "-//Negotiation tracker//Meetings//EN"


def meeting_uid(meeting) -> str:
    return f"meeting-{meeting.pk}@{links.mail_domain()}"


def deadline_uid(deadline) -> str:
    return f"deadline-{deadline.pk}@{links.mail_domain()}"


def organizer_address() -> str:
    from django.conf import settings

    return f"mailto:{settings.DEFAULT_FROM_EMAIL}"


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    """A zone's VTIMEZONE: tens of milliseconds to compute, so once per zone and process."""
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return None


def meeting_event(
    meeting, *, sequence: int, stamp: dt.datetime, attendee: str | None = None
) -> icalendar.Event:
    """The meeting as one event, on its own zone's clock. With `attendee` (an email address)
    it is an invitation to that person (iTIP), which calendars apply as an update."""
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    zone = meeting.tzinfo
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    url = links.meeting_url(meeting)
    event.add("url", url)
    where = meeting.location or meeting.video_link
    if where:
        event.add("location", where)
    event.add("description", "\n".join(filter(None, [meeting.video_link, url])))
    if attendee:
        event.add("organizer", organizer_address())
        event.add("attendee", f"mailto:{attendee}", parameters={"ROLE": "REQ-PARTICIPANT"})
    return event


def deadline_event(deadline, *, sequence: int, stamp: dt.datetime) -> icalendar.Event:
    """A deadline as a day-long event on its due date."""
    event = icalendar.Event()
    event.add("uid", deadline_uid(deadline))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + dt.timedelta(days=1))
    event.add("summary", deadline.title)
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    event.add("url", links.agreement_url(deadline.agreement) + f"#deadline-{deadline.pk}")
    return event


def calendar(events, *, method: str | None = None, name: str | None = None) -> bytes:
    """A whole calendar file: the events, and a VTIMEZONE for each zone they use."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("name", name)
    for event in events:
        cal.add_component(event)
    for tzid in sorted(cal.get_missing_tzids(), reverse=True):
        component = _vtimezone(tzid)
        if component is not None:
            cal.subcomponents.insert(0, component)  # before the events that use it
    return cal.to_ical()
