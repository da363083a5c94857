"""The reminder email: subject, plain text and HTML in the recipient's language and zone,
an .ics for each meeting, and the headers that mark it as automatic."""

import datetime as dt
import functools
import hashlib
from email.message import MIMEPart

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from negotiations import moments
from reminders import links, selectors
from reminders.choices import ReminderKind


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
            "agreement": target.agreement.short_name,
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
    if kind == ReminderKind.ESCALATION:
        when = local(target.escalated_at, recipient.time_zone, today)
        return {
            "kind": kind,
            "kind_label": _("Escalated contested point"),
            "title": target.title,
            "agreement": target.chapter.working_group.agreement.short_name,
            "context": f"{target.chapter} ({target.chapter.working_group})",
            "when": when,
            "target_date": (
                moments.format_day(target.target_date, today=today) if target.target_date else ""
            ),
            "url": links.contested_point_url(target),
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
        url = links.agreement_url(agreement)
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
        url = links.agreement_url(agreement)
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
        "agreement": agreement.short_name,
        "context": context,
        "when": date_text,
        "relative": relative,
        "overdue": overdue,
        "url": url,
        "subject": subject % {"title": title, "date": date_text, "relative": relative},
    }


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    """A zone's VTIMEZONE: tens of milliseconds to compute, so once per zone and process."""
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return None


def calendar_part(reminder, meeting, now) -> MIMEPart:
    """An RFC 5545 event: one UID per meeting, SEQUENCE raised by every move."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Negotiation tracker//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.pk}@{links.mail_domain()}")
    event.add("sequence", reminder.revision)
    event.add("dtstamp", now.astimezone(dt.UTC))
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
    calendar.add_component(event)
    for tzid in sorted(calendar.get_missing_tzids(), reverse=True):
        component = _vtimezone(tzid)
        if component is not None:
            calendar.subcomponents.insert(0, component)  # before the event that uses it
    part = MIMEPart()
    part.set_content(
        calendar.to_ical().decode(),
        subtype="calendar",
        params={"method": "PUBLISH"},
        disposition="attachment",
        filename=f"meeting-{meeting.pk}.ics",
    )
    return part


def build_message(*, recipient, items, now) -> EmailMultiAlternatives:
    """One email for one reminder, or a digest when the reminders are the digest's."""
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
            subject = entries[0]["subject"]
        context = {
            "recipient": recipient,
            "items": entries,
            "is_digest": is_digest,
            "subject": subject,
            "settings_url": links.settings_url(),
            "zone": moments.zone_label(recipient.zone, now),
        }
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
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
        if reminder.kind == ReminderKind.MEETING:
            message.attach(calendar_part(reminder, target, now))
    return message
