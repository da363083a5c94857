"""The reminder email: subject, plain text and HTML in the recipient's language and zone,
an .ics for each meeting, and the headers that mark it as automatic."""

import copy
import datetime as dt
import hashlib
import json
import re
import uuid
from contextvars import ContextVar
from email.message import MIMEPart

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meetings import calendar
from negotiations import moments
from negotiations.models import Meeting
from negotiations.validators import one_line
from reminders import links, selectors
from reminders.choices import NOTICE_OF, ReminderKind

# The kinds whose email shows a time of day (a meeting's hours, the moment of an escalation);
# the others are about a day.
TIMED_KINDS = (ReminderKind.MEETING, ReminderKind.MEETING_CHANGE, ReminderKind.ESCALATION)


def local(moment: dt.datetime, zone_name: str, today: dt.date) -> str:
    """A moment on that zone's clock, the way every page shows one."""
    return moments.format_moment(moment, zone_name, today=today)


def in_how_long(moment: dt.datetime, now: dt.datetime) -> str:
    hours = round((moment - now).total_seconds() / 3600)
    if hours >= 20:
        days = max(1, round(hours / 24))
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    hours = max(1, hours)
    return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}


def in_how_many_days(date: dt.date, today: dt.date) -> str:
    days = (date - today).days
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    return ngettext("%(count)d day ago", "%(count)d days ago", -days) % {"count": -days}


def _party_times(meeting, today) -> list[dict]:
    """The meeting's time in each party's capital, when the parties are not all in one zone."""
    # The sender prefetches the delegations with their parties for a whole batch.
    parties = [d.party for d in meeting.agreement.delegations.all()]
    if len({p.capital_time_zone for p in parties}) < 2:
        return []
    return [
        {"party": p.name, "when": local(meeting.starts_at, p.capital_time_zone, today)}
        for p in parties
    ]


def _item(reminder, target, recipient, now) -> dict:
    """What the templates show about one reminder."""
    zone = recipient.zone
    today = now.astimezone(zone).date()
    kind = reminder.kind
    if kind == ReminderKind.MEETING:
        # As the meeting's page shows it: on the meeting's own clock, the reader's beside it.
        when = moments.format_moment(
            target.starts_at, target.time_zone, viewer_zone=zone, today=today
        )
        relative = in_how_long(target.starts_at, now)
        groups = ", ".join(str(g) for g in target.working_groups.all())
        return {
            "kind": kind,
            "kind_label": _("Meeting"),
            "title": target.title,
            "agreement": target.agreement.name,
            "context": groups,
            "when": moments.meeting_when(target, viewer_zone=zone, today=today, also_utc=True),
            "relative": relative,
            "party_times": _party_times(target, today),
            "place": target.location,
            "video_link": target.video_link,
            "url": links.meeting_url(target),
            "subject": _("%(title)s %(relative)s, %(when)s")
            % {"title": target.title, "relative": relative, "when": when},
        }
    if kind == ReminderKind.MEETING_CHANGE:
        return _meeting_change(reminder, target, zone, today, now)
    if kind == ReminderKind.DEADLINE_CHANGE:
        return _deadline_change(reminder, target, today)
    if kind == ReminderKind.ESCALATION:
        when = local(target.escalated_at, recipient.time_zone, today)
        return {
            "kind": kind,
            "kind_label": _("Escalated contested point"),
            "title": target.title,
            "agreement": target.chapter.working_group.agreement.name,
            "context": f"{target.chapter} ({target.chapter.working_group})",
            "when": when,
            "target_date": (
                moments.format_day(target.target_date, today=today) if target.target_date else ""
            ),
            "url": links.contested_point_url(target),
            "escalated_by": str(target.escalated_by) if target.escalated_by else "",
            "why": target.escalation_note,
            "subject": _("Escalated to the chief negotiators: %(title)s") % {"title": target.title},
        }
    date = selectors.target_date(kind, target)
    date_text = moments.format_day(date, today=today)
    overdue = reminder.offset_days < 0 or date < today
    if kind == ReminderKind.DEADLINE:
        agreement = target.agreement
        label = _("Deadline")
        title = target.title
        context = str(target.working_group or _("Chief negotiators"))
        url = links.deadline_url(target)
        subject = (
            _("Deadline passed undone: %(title)s, due %(date)s")
            if overdue
            else _("Deadline %(relative)s: %(title)s, %(date)s")
        )
    elif kind == ReminderKind.CONTESTED_POINT:
        agreement = target.chapter.working_group.agreement
        label = _("Contested point")
        title = target.title
        context = f"{target.chapter} ({target.chapter.working_group})"
        url = links.contested_point_url(target)
        subject = (
            _("Contested point overdue since %(date)s: %(title)s")
            if date < today
            else _("Contested point due %(relative)s: %(title)s")
        )
    else:
        agreement = target.meeting.agreement
        label = _("Commitment")
        title = str(target)
        context = str(target.party or _("All parties"))
        url = links.commitment_url(target)
        subject = (
            _("Commitment overdue since %(date)s: %(title)s")
            if date < today
            else _("Commitment due %(relative)s: %(title)s")
        )
    relative = in_how_many_days(date, today)
    return {
        "kind": kind,
        "kind_label": label,
        "title": title,
        "agreement": agreement.name,
        "context": context,
        "when": date_text,
        "relative": relative,
        "overdue": overdue,
        "url": url,
        "subject": subject % {"title": title, "date": date_text, "relative": relative},
    }


def calendar_part(reminder, meeting, recipient, now, parts=None) -> MIMEPart:
    """The meeting's calendar entry, as an invitation that calendars apply as an update: one
    UID per meeting, SEQUENCE raised by every move, and a cancellation as METHOD:CANCEL.

    With `parts` (a batch's `Parts`), the entry is written once per meeting and sequence and
    only its attendee is changed for each recipient."""
    method = "CANCEL" if meeting.is_cancelled else "REQUEST"
    if parts is not None:
        return parts.calendar_part(reminder, meeting, recipient, now, method)
    event = calendar.meeting_event(
        meeting, sequence=reminder.revision, stamp=now, attendee=recipient.email
    )
    return _calendar_mime(calendar.calendar([event], method=method).decode(), meeting, method)


def _calendar_mime(text: str, meeting, method: str) -> MIMEPart:
    part = MIMEPart()
    part.set_content(
        text,
        subtype="calendar",
        params={"method": method},
        disposition="attachment",
        filename=f"meeting-{meeting.pk}.ics",
    )
    return part


# The parts of the batch being sent, if any (see Parts).
_batch_parts: ContextVar = ContextVar("reminder_batch_parts", default=None)


class Parts:
    """What the messages of one batch share, built once and reused for each recipient: a
    message's subject and bodies per (reminders' targets as scheduled, language, zone), the
    recipient's name put in afterwards; a meeting's calendar entry per (meeting, sequence),
    the attendee put in afterwards. Only for one batch: `now` is the batch's moment.

    Used as `with Parts():`, every message built inside uses it."""

    def __init__(self):
        # Stands for the recipient's name or address while the shared text is made: letters
        # and digits only, so that escaping leaves it as it is.
        self.token = f"R{uuid.uuid4().hex}"
        self.bodies = {}
        self.calendars = {}
        self._reset = None

    def __enter__(self):
        self._reset = _batch_parts.set(self)
        return self

    def __exit__(self, *exc):
        _batch_parts.reset(self._reset)

    @staticmethod
    def body_key(recipient, items) -> tuple:
        return (
            recipient.language or settings.LANGUAGE_CODE,
            recipient.time_zone,
            tuple(
                (
                    reminder.kind,
                    reminder.target_id,
                    reminder.revision,
                    reminder.offset_days,
                    reminder.digest,
                    reminder.target_at,
                    json.dumps(reminder.change, sort_keys=True, default=str),
                )
                for reminder, _target in items
            ),
        )

    def calendar_part(self, reminder, meeting, recipient, now, method) -> MIMEPart:
        def written(attendee):
            event = calendar.meeting_event(
                meeting, sequence=reminder.revision, stamp=now, attendee=attendee
            )
            text = calendar.calendar([event], method=method).decode()
            return _calendar_mime(text, meeting, method)

        key = (meeting.pk, reminder.revision, method)
        if key not in self.calendars:
            self.calendars[key] = written(self.token)
        shared = self.calendars[key]
        address = recipient.email
        text = shared._payload  # as stored: what the encoding decided on is kept as it is
        start = text.find(self.token)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_octets = len(text[line_start:line_end].rstrip("\r").encode()) - len(self.token)
        # An address that needs no escaping and keeps its line unfolded is put in as it is (it
        # changes neither how the entry is folded nor how the part is encoded); any other is
        # written the whole way, as the calendar writes it.
        if not (
            _PLAIN_ADDRESS.fullmatch(address)
            and line_octets + len(address) <= _ICS_LINE_OCTETS
            and shared["Content-Transfer-Encoding"] in ("7bit", "8bit")
        ):
            return written(address)
        part = copy.copy(shared)
        part._headers = list(shared._headers)
        part._payload = text.replace(self.token, address)
        return part


# What may stand in a calendar line as it is, and how long such a line may be unfolded.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+")
_ICS_LINE_OCTETS = 74


def _as_scheduled(state: dict) -> Meeting | None:
    """A meeting's time as a notice's state recorded it, to be written like any meeting's."""
    if not state.get("starts_at"):
        return None
    return Meeting(
        starts_at=dt.datetime.fromisoformat(state["starts_at"]),
        ends_at=dt.datetime.fromisoformat(state["ends_at"]),
        time_zone=state["time_zone"],
    )


def _meeting_change(reminder, meeting, zone, today, now) -> dict:
    """A meeting moved, cancelled or back on: what it was, what it is now."""
    before, after = reminder.change.get("before", {}), reminder.change["after"]
    when = moments.meeting_when(meeting, viewer_zone=zone, today=today, also_utc=True)
    was = _as_scheduled(before)
    was_when = (
        moments.meeting_when(was, viewer_zone=zone, today=today, also_utc=True) if was else ""
    )
    changes = []
    if was_when and was_when != when:
        changes.append({"label": _("Time"), "before": was_when, "after": when})
    for key, label in (("location", _("Place")), ("video_link", _("Video link"))):
        if key in before and before[key] != after[key]:
            changes.append(
                {"label": label, "before": before[key] or "—", "after": after[key] or "—"}
            )
    title = meeting.title
    if after["cancelled"]:
        state, subject = "cancelled", _("Cancelled: %(title)s, %(when)s")
    elif before.get("cancelled"):
        state, subject = "reinstated", _("Back on: %(title)s, %(when)s")
    else:
        state, subject = "moved", _("Changed: %(title)s, now %(when)s")
    short_when = moments.format_moment(
        meeting.starts_at, meeting.time_zone, viewer_zone=zone, today=today
    )
    return {
        "kind": reminder.kind,
        "kind_label": _("Meeting"),
        "change": state,
        "changes": changes,
        "title": title,
        "agreement": meeting.agreement.name,
        "context": ", ".join(str(g) for g in meeting.working_groups.all()),
        "when": when,
        "relative": in_how_long(meeting.starts_at, now),
        "party_times": [] if after["cancelled"] else _party_times(meeting, today),
        "place": meeting.location,
        "video_link": meeting.video_link,
        "url": links.meeting_url(meeting),
        "subject": subject % {"title": title, "when": short_when},
    }


def _deadline_change(reminder, deadline, today) -> dict:
    before = reminder.change.get("before", {}).get("date")
    when = moments.format_day(deadline.due_on, today=today)
    was = moments.format_day(dt.date.fromisoformat(before), today=today) if before else ""
    return {
        "kind": reminder.kind,
        "kind_label": _("Deadline"),
        "change": "moved",
        "changes": [{"label": _("Due"), "before": was, "after": when}] if was else [],
        "title": deadline.title,
        "agreement": deadline.agreement.name,
        "context": str(deadline.working_group or _("Chief negotiators")),
        "when": when,
        "relative": in_how_many_days(deadline.due_on, today),
        "url": links.deadline_url(deadline),
        "subject": _("Deadline moved: %(title)s, now due %(date)s")
        % {"title": deadline.title, "date": when},
    }


def _bodies(recipient, items, now) -> tuple[str, str, str]:
    """The subject, plain text and HTML of one email."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        entries = [_item(reminder, target, recipient, now) for reminder, target in items]
        is_digest = items[0][0].digest
        if is_digest:
            today = now.astimezone(recipient.zone).date()
            day = moments.format_day(today, today=today)
            subject = ngettext(
                "%(count)d reminder for %(date)s", "%(count)d reminders for %(date)s", len(items)
            ) % {"count": len(items), "date": day}
        else:
            # Built from titles: a legacy one with a line break must not split the header.
            subject = one_line(entries[0]["subject"])
        context = {
            "recipient": recipient,
            "items": entries,
            "is_digest": is_digest,
            "is_notice": all(reminder.kind in NOTICE_OF for reminder, _ in items),
            "subject": subject,
            "settings_url": links.settings_url(),
            "zone": moments.zone_label(recipient.zone, now),
            # Which clock "your time" is matters only to an email that shows an hour.
            "shows_time": any(reminder.kind in TIMED_KINDS for reminder, _ in items),
            "LANGUAGE_CODE": translation.get_language(),
        }
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
    return subject, text, html


class _Named(str):
    """The recipient as the templates see them (only their name is shown), standing in for
    the person while a text shared by several recipients is made."""


def build_message(*, recipient, items, now, parts: Parts | None = None) -> EmailMultiAlternatives:
    """One email for one reminder, or a digest when the reminders are the digest's. With
    `parts` (by default those of the batch being sent), what other recipients of the batch
    share with this one is built only once."""
    parts = parts or _batch_parts.get()
    if parts is None:
        subject, text, html = _bodies(recipient, items, now)
    else:
        key = Parts.body_key(recipient, items)
        if key not in parts.bodies:
            stand_in = _Named(parts.token)
            stand_in.zone = recipient.zone
            stand_in.time_zone = recipient.time_zone
            stand_in.language = recipient.language
            parts.bodies[key] = _bodies(stand_in, items, now)
        subject, text, html = parts.bodies[key]
        name = str(recipient)
        text = text.replace(parts.token, name)
        html = html.replace(parts.token, escape(name))
    ids = ".".join(str(reminder.pk) for reminder, _ in items)
    # The same reminder always has the same Message-ID, so a repeat can be recognised.
    key = hashlib.sha256(ids.encode()).hexdigest()[:16]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "List-Unsubscribe": f"<{links.settings_url()}>",
            "Message-ID": f"<reminder-{key}@{links.mail_domain()}>",
        },
    )
    message.attach_alternative(html, "text/html")
    for reminder, target in items:
        if reminder.kind in (ReminderKind.MEETING, ReminderKind.MEETING_CHANGE):
            message.attach(calendar_part(reminder, target, recipient, now, parts))
    return message
