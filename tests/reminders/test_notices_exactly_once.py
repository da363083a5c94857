"""Notices of moves and cancellations, on the real path (Redis, Celery worker and beat
processes, an SMTP server): once per change and person, through double scans, a killed worker
and a refusing mail server."""

import collections
import datetime as dt
import time

import icalendar
import pytest
from django.utils import timezone

from reminders import services
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder
from reminders.tasks import scan_reminders
from tests.factories import MembershipFactory, UserFactory
from tests.reminders.conftest import make_meeting
from tests.reminders.test_exactly_once import settled, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def notices(sink):
    """(recipient, meeting title, SEQUENCE) → how many times it arrived."""
    found = collections.Counter()
    for message in sink.messages:
        (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        found[(message["To"].addresses[0].username, str(event["SUMMARY"]), event["SEQUENCE"])] += 1
    return found


def seen_then_moved(fta, count, members=0):
    """`count` meetings ten days ahead, seen by a scan, then each moved by a day."""
    for _ in range(members):
        MembershipFactory(working_group=fta.group, user=UserFactory(time_zone="Asia/Tokyo"))
    now = timezone.now()
    meetings = [
        make_meeting(fta, now + dt.timedelta(days=10, minutes=i), title=f"Meeting {i}")
        for i in range(count)
    ]
    assert services.scan(now=now) == []  # first seen; nothing due yet
    for meeting in meetings:
        move(meeting, days=1)
    return meetings


def move(meeting, **delta):
    meeting.starts_at += dt.timedelta(**delta)
    meeting.ends_at += dt.timedelta(**delta)
    meeting.save()


def notices_sent():
    return Reminder.objects.filter(
        kind=ReminderKind.MEETING_CHANGE, status=ReminderStatus.SENT
    ).count()


def test_three_scans_of_one_move_send_each_notice_once(fta, stack, sink):
    seen_then_moved(fta, 3, members=2)  # 3 meetings × 4 members
    stack.worker(concurrency=4)
    for _ in range(3):
        scan_reminders.delay()

    settled(sink, 12)
    counts = notices(sink)
    assert len(counts) == 12
    assert set(counts.values()) == {1}
    assert {sequence for _, _, sequence in counts} == {1}
    wait_until(lambda: notices_sent() == 12)


def test_beat_announces_a_move_and_then_the_move_of_the_move(fta, stack, sink, tmp_path):
    (meeting,) = seen_then_moved(fta, 1)
    stack.worker(concurrency=2)
    beat = stack.beat(tmp_path / "beat-schedule")  # scans every second here
    settled(sink, 2)

    move(meeting, hours=3)
    settled(sink, 4, quiet=3)
    meeting.is_cancelled = True
    meeting.save()
    settled(sink, 6, quiet=3)
    stack.stop(beat)

    counts = notices(sink)
    assert set(counts.values()) == {1}
    assert sorted(counts) == [
        (who, "Meeting 0", sequence) for who in ("li", "sok") for sequence in (1, 2, 3)
    ]
    methods = collections.Counter(
        part.get_param("method")
        for message in sink.messages
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    )
    assert methods == {"REQUEST": 4, "CANCEL": 2}


def test_a_worker_killed_while_sending_notices_loses_none_and_repeats_none(fta, stack, sink):
    seen_then_moved(fta, 3)  # 3 meetings × 2 members, one batch
    sink.hold_after = 2  # the third message stalls before the server accepts anything
    worker = stack.worker(concurrency=1)
    scan_reminders.delay()
    sink.wait_for(2)
    wait_until(lambda: sink.holding)
    # Kept waiting by the server, the sender marks sent what it accepted before.
    wait_until(lambda: notices_sent() == 2)

    stack.kill(worker)
    sink.hold_after = None

    stack.worker(concurrency=2)
    time.sleep(3.5)  # the dead worker's claim lapses (REMINDERS_CLAIM_LEASE_SECONDS=3)
    scan_reminders.delay()

    settled(sink, 6)
    counts = notices(sink)
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    wait_until(lambda: notices_sent() == 6)


def test_notices_refused_for_a_while_arrive_once_when_the_server_accepts(fta, stack, sink):
    seen_then_moved(fta, 2, members=1)  # 2 meetings × 3 members
    sink.refuse = 3  # temporary failures: retried with back-off
    stack.worker(concurrency=2)
    scan_reminders.delay()

    settled(sink, 6, quiet=2)
    counts = notices(sink)
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    wait_until(lambda: notices_sent() == 6)
    assert Reminder.objects.filter(kind=ReminderKind.MEETING_CHANGE, attempts__gt=1).exists()
