"""Notices: a meeting moved or cancelled, or a deadline moved, is announced once per change and
person by the next scan, whatever made the change, with a calendar entry that updates the one
people already have."""

import datetime as dt

import icalendar
import pytest

from reminders import links, selectors, services
from reminders.choices import Delivery, ReminderKind, ReminderStatus
from reminders.models import Reminder
from tests.factories import DeadlineFactory, MembershipFactory, UserFactory
from tests.reminders.conftest import make_meeting

UTC = dt.UTC
# Tue 9 June 2026, 09:00 in Phnom Penh (UTC+7); ten days ahead of the first scan.
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
NOW = MEETING_AT - dt.timedelta(days=10)

pytestmark = pytest.mark.django_db


def run(now):
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def to(sink, username):
    return [m for m in sink.messages if m["To"].addresses[0].username == username]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def calendar_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, icalendar.Calendar.from_ical(part.get_content())


def move(meeting, **delta):
    meeting.starts_at += dt.timedelta(**delta)
    meeting.ends_at += dt.timedelta(**delta)
    meeting.save()


def test_a_move_sends_one_notice_per_person_with_the_next_sequence(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)  # first seen: nothing to announce, nothing due yet
    assert sink.messages == []

    move(meeting, days=2, hours=1)
    run(NOW + dt.timedelta(minutes=1))
    run(NOW + dt.timedelta(minutes=2))  # a second scan finds nothing new

    assert sorted(m["To"].addresses[0].username for m in sink.messages) == ["li", "sok"]
    (notice,) = to(sink, "sok")
    assert notice["Subject"] == (
        "Changed: Rules of Origin working group — video conference, "
        "now Thu 11 Jun, 10:00 Phnom Penh (UTC+7)"
    )
    text = text_of(notice)
    assert "Time: was Tue 9 Jun, 09:00–11:00 Phnom Penh (UTC+7)" in text
    assert "now Thu 11 Jun, 10:00–12:00 Phnom Penh (UTC+7)" in text
    assert links.meeting_url(meeting) in text
    part, calendar = calendar_of(notice)
    assert part.get_param("method") == "REQUEST"
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@{links.mail_domain()}"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == MEETING_AT + dt.timedelta(days=2, hours=1)
    assert str(event["ATTENDEE"]) == f"mailto:{fta.sok.email}"
    assert "ORGANIZER" in event
    # The Beijing member reads it in Chinese, with her own time beside the meeting's.
    (li,) = to(sink, "li")
    assert "11:00" in li["Subject"]

    # A move of the move: one more notice each, from the last time announced.
    sink.reset()
    move(meeting, days=1)
    run(NOW + dt.timedelta(minutes=3))
    (again,) = to(sink, "sok")
    assert "was Thu 11 Jun, 10:00–12:00" in text_of(again)
    (event,) = calendar_of(again)[1].walk("VEVENT")
    assert event["SEQUENCE"] == 2
    assert selectors.sequences(ReminderKind.MEETING, [meeting.pk]) == {meeting.pk: 2}


def test_edits_between_two_scans_make_one_notice_with_the_final_state(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    move(meeting, days=1)
    move(meeting, hours=2)
    meeting.location = "Peace Palace, Phnom Penh"
    meeting.save()
    run(NOW + dt.timedelta(minutes=1))

    (notice,) = to(sink, "sok")
    text = text_of(notice)
    assert "was Tue 9 Jun, 09:00–11:00" in text
    assert "now Wed 10 Jun, 11:00–13:00" in text
    assert "Place: was —; now Peace Palace, Phnom Penh" in text
    (event,) = calendar_of(notice)[1].walk("VEVENT")
    assert event["SEQUENCE"] == 1


def test_a_change_not_yet_sent_is_replaced_by_the_next_one(fta, sink):
    """Two changes a scan apart, the first notice still waiting: one notice, from what people
    were last told to what is true now."""
    services.set_preference(user=fta.sok, meetings=Delivery.DIGEST, digest_hour=7)
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    move(meeting, days=1)
    services.scan(now=NOW + dt.timedelta(minutes=1))  # sok's notice waits for the digest
    move(meeting, days=1)
    run(NOW + dt.timedelta(minutes=2))
    run(NOW + dt.timedelta(days=1))  # past sok's digest hour

    (digest,) = to(sink, "sok")
    text = text_of(digest)
    assert "was Tue 9 Jun, 09:00–11:00" in text
    assert "now Thu 11 Jun, 09:00–11:00" in text
    notes = set(
        Reminder.objects.filter(recipient=fta.sok, kind=ReminderKind.MEETING_CHANGE).values_list(
            "status", "note"
        )
    )
    assert notes == {(ReminderStatus.REPLACED, "changed again"), (ReminderStatus.SENT, "")}


def test_a_cancellation_is_announced_once_with_method_cancel(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(MEETING_AT - dt.timedelta(days=7))  # the week-before reminder went out
    sink.reset()

    meeting.is_cancelled = True
    meeting.save()
    for minute in (1, 2, 3):
        run(MEETING_AT - dt.timedelta(days=7) + dt.timedelta(minutes=minute))
    run(MEETING_AT - dt.timedelta(days=1))  # and no day-before reminder

    assert sorted(m["To"].addresses[0].username for m in sink.messages) == ["li", "sok"]
    (notice,) = to(sink, "sok")
    assert notice["Subject"].startswith("Cancelled: Rules of Origin working group")
    assert "CANCELLED. It was to be held Tue 9 Jun, 09:00–11:00" in text_of(notice)
    part, calendar = calendar_of(notice)
    assert part.get_param("method") == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1

    # Edits to what stays cancelled are news to no one; reinstating it is.
    sink.reset()
    move(meeting, hours=1)
    run(MEETING_AT - dt.timedelta(hours=23))
    assert sink.messages == []
    meeting.is_cancelled = False
    meeting.save()
    run(MEETING_AT - dt.timedelta(hours=22))
    (back,) = to(sink, "sok")
    assert back["Subject"].startswith("Back on: ")
    assert str(calendar_of(back)[1]["METHOD"]) == "REQUEST"


def test_who_left_the_group_before_the_notice_gets_nothing_who_joined_gets_it(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    newcomer = UserFactory(username="dara", time_zone="Asia/Yangon")
    MembershipFactory(working_group=fta.group, user=newcomer)
    move(meeting, hours=1)
    batches = services.scan(now=NOW + dt.timedelta(minutes=1))
    fta.group.memberships.filter(user=fta.li).delete()
    for ids in batches:
        services.send_reminders(reminder_ids=ids, now=NOW + dt.timedelta(minutes=1))

    assert sorted(m["To"].addresses[0].username for m in sink.messages) == ["dara", "sok"]
    (dara,) = to(sink, "dara")
    # Yangon is UTC+6:30: her own time beside the meeting's.
    assert "09:30 your time (Yangon, UTC+6:30)" in dara["Subject"]
    left = Reminder.objects.get(recipient=fta.li, kind=ReminderKind.MEETING_CHANGE)
    assert (left.status, left.note) == (ReminderStatus.SKIPPED, "no longer concerned")


def test_notices_follow_each_persons_choice(fta, sink):
    services.set_preference(user=fta.li, meetings=Delivery.OFF)
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    move(meeting, days=1)
    run(NOW + dt.timedelta(minutes=1))
    assert [m["To"].addresses[0].username for m in sink.messages] == ["sok"]


def test_a_notice_waiting_for_a_digest_goes_at_once_when_the_meeting_comes_first(fta, sink):
    # li's digest is at 07:00 Beijing (23:00 UTC); the meeting now starts before it.
    services.set_preference(user=fta.li, meetings=Delivery.DIGEST, digest_hour=7)
    meeting = make_meeting(fta, MEETING_AT)
    scan_at = dt.datetime(2026, 6, 8, 12, 0, tzinfo=UTC)
    run(scan_at - dt.timedelta(days=2))
    meeting.starts_at = dt.datetime(2026, 6, 8, 20, 0, tzinfo=UTC)
    meeting.ends_at = meeting.starts_at + dt.timedelta(hours=2)
    meeting.save()
    run(scan_at)
    assert len(to(sink, "li")) == 1


def test_a_lead_time_passed_by_the_move_is_not_sent_late(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    # Moved to four days ahead: its week-before moment is already past; the notice says it.
    meeting.starts_at = NOW + dt.timedelta(days=4)
    meeting.ends_at = meeting.starts_at + dt.timedelta(hours=2)
    meeting.save()
    run(NOW + dt.timedelta(minutes=1))
    run(NOW + dt.timedelta(minutes=2))
    assert len(to(sink, "sok")) == 1
    assert to(sink, "sok")[0]["Subject"].startswith("Changed: ")
    # The day-before reminder at the new time still comes.
    run(meeting.starts_at - dt.timedelta(days=1))
    assert len(to(sink, "sok")) == 2
    assert "in 1 day" in to(sink, "sok")[1]["Subject"]


def test_two_scans_of_the_same_change_write_one_notice_each(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(NOW)
    move(meeting, days=1)
    later = NOW + dt.timedelta(minutes=1)
    first, second = services.scan(now=later), services.scan(now=later)
    for ids in first + second:
        services.send_reminders(reminder_ids=ids, now=later)
    assert sorted(m["To"].addresses[0].username for m in sink.messages) == ["li", "sok"]


def test_a_moved_deadline_is_announced_with_a_link_to_it(fta, sink):
    deadline = DeadlineFactory(
        agreement=fta.agreement,
        working_group=fta.group,
        title="Product-specific rules schedule",
        due_on=dt.date(2026, 6, 30),
    )
    run(NOW)
    deadline.due_on = dt.date(2026, 7, 15)
    deadline.save()
    run(NOW + dt.timedelta(minutes=1))

    (notice,) = to(sink, "sok")
    assert notice["Subject"] == (
        "Deadline moved: Product-specific rules schedule, now due Wed 15 Jul"
    )
    text = text_of(notice)
    assert "Due: was Tue 30 Jun; now Wed 15 Jul" in text
    assert links.deadline_url(deadline) in text
    assert links.deadline_url(deadline).endswith(f"/deadlines/{deadline.pk}/")
    assert [p for p in notice.iter_attachments() if p.get_content_type() == "text/calendar"] == []


def test_a_meeting_created_between_two_scans_is_not_news(fta, sink):
    run(NOW)
    meeting = make_meeting(fta, MEETING_AT)
    move(meeting, hours=1)  # before any scan saw it
    run(NOW + dt.timedelta(minutes=1))
    assert sink.messages == []
