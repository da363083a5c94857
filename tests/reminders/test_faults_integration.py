"""Every fault a mail system meets, on the real path (Redis, Celery worker and beat processes,
PostgreSQL or SQLite, the fault-injecting SMTP server): nothing lost, nothing sent twice
except what is recorded as "sent, unconfirmed", listed and never sent again by itself."""

import collections
import datetime as dt
import hashlib
import os
import time

import pytest
from django.db import connection
from django.utils import timezone

from reminders import links
from reminders.choices import ReminderStatus
from reminders.models import Reminder
from reminders.tasks import scan_reminders
from reminders.views import needs_attention
from tests.factories import MembershipFactory, UserFactory
from tests.reminders.conftest import (
    DROP_BEFORE_DATA,
    DROP_BEFORE_REPLY,
    FAULTS,
    HOLD_REPLY,
    PERMANENT,
    make_meeting,
)
from tests.reminders.test_exactly_once import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# How many reminders go through the faults: 1,000 unless the environment says otherwise.
FAULT_REMINDERS = int(os.environ.get("REMINDERS_FAULT_TEST_SIZE", "1000"))
UNSETTLED = (ReminderStatus.PENDING, ReminderStatus.SENDING)


def reminders_due_now(fta, meetings, members):
    """`meetings` meetings whose day-before reminder is due now, for `members` people."""
    for _ in range(members - 2):  # sok and li are members already
        MembershipFactory(working_group=fta.group, user=UserFactory(time_zone="Asia/Bangkok"))
    now = timezone.now()
    for i in range(meetings):
        make_meeting(fta, now + dt.timedelta(days=1, minutes=-1 - i), title=f"Meeting {i}")


def message_id(reminder) -> str:
    """The Message-ID a reminder's email always has."""
    key = hashlib.sha256(str(reminder.pk).encode()).hexdigest()[:16]
    return f"<reminder-{key}@{links.mail_domain()}>"


def deliveries(sink):
    """Message-ID → how many times the server stored it."""
    return collections.Counter(m["Message-ID"] for m in sink.messages)


def ledger():
    """Message-ID → the reminder."""
    return {message_id(r): r for r in Reminder.objects.all()}


def kill_database_connections():
    """Every other session on the test database ends, as a database restart would do."""
    vendor = connection.vendor
    if vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def tally(sink):
    """What became of each reminder, as counts; and the reminders lost or sent twice."""
    arrived = deliveries(sink)
    rows = ledger()
    lost, duplicated, unconfirmed_twice = [], [], []
    for key, reminder in rows.items():
        times = arrived.get(key, 0)
        if reminder.status == ReminderStatus.SENT and times != 1:
            (lost if times == 0 else duplicated).append(key)
        elif reminder.status == ReminderStatus.UNCONFIRMED and times > 1:
            unconfirmed_twice.append(key)
        elif reminder.status == ReminderStatus.FAILED and times:
            duplicated.append(key)  # failed, yet it arrived
        elif reminder.status not in (
            ReminderStatus.SENT,
            ReminderStatus.UNCONFIRMED,
            ReminderStatus.FAILED,
        ):
            lost.append(key)
    statuses = collections.Counter(r.status for r in rows.values())
    return statuses, lost, duplicated, unconfirmed_twice, arrived


def test_reminders_through_every_fault_and_a_database_kill_lose_nothing_and_repeat_nothing(
    fta, stack, sink, tmp_path
):
    members = 50
    meetings = max(1, FAULT_REMINDERS // members)
    reminders_due_now(fta, meetings, members)
    total = meetings * members
    # Every 20th transaction misbehaves, each fault in turn.
    script = []
    for i in range(total):
        script.append(FAULTS[(i // 20) % len(FAULTS)] if i % 20 == 10 else "accept")
    sink.faults.extend(script)
    started = time.monotonic()
    stack.worker(concurrency=2)
    beat = stack.beat(tmp_path / "beat-schedule")  # scans every second here

    killed = 0
    for share in (3, 2):  # a third, then half, of the way
        sink.wait_for(total // share, timeout=240)
        killed += kill_database_connections()
    wait_until(lambda: not Reminder.objects.filter(status__in=UNSETTLED).exists(), timeout=300)
    time.sleep(2)  # anything that should not come
    stack.stop(beat)
    elapsed = time.monotonic() - started

    statuses, lost, duplicated, unconfirmed_twice, arrived = tally(sink)
    print(
        f"\n{total} reminders in {elapsed:.0f} s; faults applied: {dict(sink.applied)}; "
        f"database sessions killed: {killed}\n"
        f"ledger: {dict(statuses)}; messages stored: {len(sink.messages)}\n"
        f"lost: {len(lost)}, duplicated: {len(duplicated)}, "
        f"unconfirmed and sent again: {len(unconfirmed_twice)}"
    )
    assert len(Reminder.objects.all()) == total
    assert (lost, duplicated, unconfirmed_twice) == ([], [], [])
    # What the server stored without answering is exactly what is unconfirmed, and listed.
    assert statuses[ReminderStatus.UNCONFIRMED] == sink.applied[DROP_BEFORE_REPLY]
    assert statuses[ReminderStatus.FAILED] == sink.applied[PERMANENT]
    assert set(
        Reminder.objects.filter(status=ReminderStatus.FAILED).values_list("note", flat=True)
    ) == {"554 b'5.6.0 Message refused'"}
    assert needs_attention(fta.chief).count() == (
        statuses[ReminderStatus.UNCONFIRMED] + statuses[ReminderStatus.FAILED]
    )
    assert sink.applied[DROP_BEFORE_DATA] > 0
    assert sum(arrived.values()) == len(sink.messages)
    assert len(sink.messages) == total - statuses[ReminderStatus.FAILED]


def test_a_worker_killed_between_the_servers_acceptance_and_the_mark_sends_no_duplicate(
    fta, stack, sink
):
    reminders_due_now(fta, 3, 2)  # 3 meetings × 2 members, one batch
    sink.faults.extend(["accept", "accept", HOLD_REPLY])  # the third is stored, unanswered
    worker = stack.worker(concurrency=1)
    scan_reminders.delay()
    wait_until(lambda: sink.reply_held)

    stack.kill(worker)
    sink.release_reply()
    assert len(sink.messages) == 3
    stack.worker(concurrency=2)
    time.sleep(3.5)  # the dead worker's claim lapses (REMINDERS_CLAIM_LEASE_SECONDS=3)
    scan_reminders.delay()

    sink.wait_for(6)
    wait_until(lambda: not Reminder.objects.filter(status__in=UNSETTLED).exists(), timeout=30)
    time.sleep(1.5)
    statuses, lost, duplicated, unconfirmed_twice, arrived = tally(sink)
    assert (lost, duplicated, unconfirmed_twice) == ([], [], [])
    assert set(arrived.values()) == {1}
    assert len(arrived) == 6
    assert statuses == {ReminderStatus.SENT: 5, ReminderStatus.UNCONFIRMED: 1}
    (unconfirmed,) = needs_attention(fta.chief)
    assert "may have arrived" in unconfirmed.note


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="kills PostgreSQL sessions",
)
@pytest.mark.parametrize("when", ["before the data", "after the acceptance"])
def test_a_database_kill_mid_batch_is_recovered_at_once_not_after_the_lease(fta, stack, sink, when):
    stack.env["REMINDERS_CLAIM_LEASE_SECONDS"] = "120"  # far longer than the test may take
    reminders_due_now(fta, 4, 2)  # 8 reminders, one batch
    if when == "before the data":
        sink.hold_after = 3  # the fourth stalls at MAIL FROM, before it is handed over
    else:
        sink.faults.extend(["accept"] * 3 + [HOLD_REPLY])  # the fourth stored, unanswered
    stack.worker(concurrency=1)
    started = time.monotonic()
    scan_reminders.delay()
    if when == "before the data":
        wait_until(lambda: sink.holding)
    else:
        wait_until(lambda: sink.reply_held)

    assert kill_database_connections() >= 1
    sink.hold_after = None
    sink.release_reply()

    sink.wait_for(8)
    wait_until(lambda: not Reminder.objects.filter(status__in=UNSETTLED).exists(), timeout=60)
    elapsed = time.monotonic() - started
    time.sleep(1.5)
    statuses, lost, duplicated, _, arrived = tally(sink)
    assert (lost, duplicated) == ([], [])
    assert statuses == {ReminderStatus.SENT: 8}
    assert set(arrived.values()) == {1}
    assert elapsed < 60  # the lease is 120 s: nothing waited it out
