"""Exactly once, on the real path: Redis, Celery worker and beat processes, an SMTP server.

Each test arranges reminders due now (real time: the processes use the clock), lets the
system run, then counts what the SMTP server received: nothing missing, nothing twice.
"""

import collections
import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from negotiations import moments
from reminders.choices import ReminderStatus
from reminders.models import Reminder
from reminders.tasks import scan_reminders
from tests.factories import DeadlineFactory, MembershipFactory, UserFactory
from tests.reminders.conftest import make_meeting

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def received(sink):
    """(recipient, subject) → how many times it arrived."""
    return collections.Counter(
        (m["To"].addresses[0].username, m["Subject"].split(" in ")[0]) for m in sink.messages
    )


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def settled(sink, expected, quiet=1.5):
    """Wait for `expected` messages, then a little longer for any that should not come."""
    sink.wait_for(expected)
    time.sleep(quiet)
    return received(sink)


def meetings_due_now(fta, count, members=0):
    """`count` meetings whose day-before reminder is due now, for the group's members."""
    for _ in range(members):
        MembershipFactory(working_group=fta.group, user=UserFactory(time_zone="Asia/Bangkok"))
    now = timezone.now()
    return [
        make_meeting(fta, now + dt.timedelta(days=1, minutes=-1 - i), title=f"Meeting {i}")
        for i in range(count)
    ]


def test_two_scans_at_the_same_moment_send_each_reminder_once(fta, stack, sink):
    meetings_due_now(fta, 3, members=2)  # 3 meetings × 4 members
    stack.worker(concurrency=4)

    for _ in range(2):
        scan_reminders.delay()
    scan_reminders.delay()  # and a third, for good measure

    counts = settled(sink, 12)
    assert len(counts) == 12
    assert set(counts.values()) == {1}
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 12)
    call_command("send_due_reminders")  # the same scan without Celery finds nothing left
    assert len(sink.messages) == 12


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_repeats_nothing(
    fta, stack, sink
):
    meetings_due_now(fta, 3)  # 3 meetings × 2 members, one batch
    sink.hold_after = 2  # the third message stalls before the server accepts anything
    worker = stack.worker(concurrency=1)
    scan_reminders.delay()
    sink.wait_for(2)
    wait_until(lambda: sink.holding)

    # Kept waiting by the server, the sender marks sent what it accepted before.
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 2)
    stack.kill(worker)
    sink.hold_after = None
    # The third was being sent, the other three were claimed with it and never reached.
    assert Reminder.objects.filter(status=ReminderStatus.SENDING).count() == 4
    assert not Reminder.objects.filter(handed_at__isnull=False, status=ReminderStatus.SENDING)

    stack.worker(concurrency=2)
    time.sleep(3.5)  # the dead worker's claim lapses (REMINDERS_CLAIM_LEASE_SECONDS=3)
    scan_reminders.delay()

    counts = settled(sink, 6)
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 6)
    # Only the one it was at counts the stop against it.
    assert Reminder.objects.filter(interruptions=1).count() == 1
    assert Reminder.objects.filter(interruptions=0).count() == 5


def test_beat_down_for_a_day_sends_on_recovery_only_what_is_still_ahead(fta, stack, sink, tmp_path):
    now = timezone.now()
    # Both moments (7 days and 1 day before) passed during the outage: one reminder, not two.
    make_meeting(fta, now + dt.timedelta(hours=12), title="Still ahead")
    # Its 7-day moment passed a day ago: sent, late.
    make_meeting(fta, now + dt.timedelta(days=6), title="Next week")
    # Its day-before moment passed during the outage, and it has started: nothing.
    make_meeting(fta, now - dt.timedelta(hours=2), title="Already started")
    # Long overdue: its one overdue reminder is too old now. Recently overdue: sent once.
    DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=now.date() - dt.timedelta(days=20)
    )
    DeadlineFactory(
        agreement=fta.agreement,
        working_group=fta.group,
        title="Recently missed",
        due_on=now.date() - dt.timedelta(days=3),
    )
    stack.worker(concurrency=2)
    beat = stack.beat(tmp_path / "beat-schedule")  # scans every second here

    counts = settled(sink, 6, quiet=4)
    stack.stop(beat)

    assert set(counts.values()) == {1}
    missed = now.date() - dt.timedelta(days=3)
    today = now.astimezone(fta.sok.zone).date()
    assert {subject for who, subject in counts if who == "sok"} == {
        "Still ahead",
        "Next week",
        f"Deadline passed undone: Recently missed, due {moments.format_day(missed, today=today)}",
    }
    assert len(counts) == 6


def test_a_mail_server_refusing_for_a_while_then_accepting_gets_each_once(fta, stack, sink):
    meetings_due_now(fta, 2, members=1)  # 2 meetings × 3 members
    sink.refuse = 3  # temporary failures: retried with back-off (1 s, 2 s, 4 s here)
    stack.worker(concurrency=2)
    scan_reminders.delay()

    counts = settled(sink, 6, quiet=2)
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 6)
    assert Reminder.objects.filter(attempts__gt=1).exists()
