"""The reminder scan and delivery at volume: 10,000 reminders falling due at one moment.

One generated agreement whose working group of PEOPLE members meets MEETINGS times, each
meeting starting a day from now, with a single lead time of one day: the next scan finds
PEOPLE x MEETINGS reminders due. Measured:

- the scan (`reminders.services.scan`): filling the ledger and cutting it into batches, with
  its queries, at PEOPLE x MEETINGS and with as many targets as reminders (one person each);
- delivery through Celery: a worker process (as many processes as the machine has cores)
  sends the batches, each over one SMTP connection, with the ledger's claim and mark per
  reminder, to a local SMTP server (aiosmtpd) that counts what it accepted;
- a naive baseline: the same messages, built and sent from as many threads, each over a new
  SMTP connection, with no ledger at all (so it does less work per message than the real path);
- what delivery costs the database per reminder: SQL statements and commits counted around the
  same code path (`reminders.services.send_reminders`) in this process, over part of the set.
"""

import datetime as dt
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from benchmarks.generator import SLUG_PREFIX, USERNAME_PREFIX, analyze, generated_people
from benchmarks.ports import free_port
from config.celery import app as celery_app
from negotiations.choices import AgreementStatus, MeetingKind, Role
from negotiations.models import Agreement, Delegation, Meeting, Party, RoleAssignment
from reminders import services, tasks
from reminders.choices import ReminderStatus
from reminders.emails import build_message
from reminders.models import LeadTimes, Reminder
from workinggroups.choices import MembershipRole
from workinggroups.models import Membership, WorkingGroup

PEOPLE = 100
MEETINGS = 100
SLUG = f"{SLUG_PREFIX}reminders"
USERNAMES = f"{USERNAME_PREFIX}rem-"


class CountingHandler:
    """An SMTP server's handler that accepts every message and counts them."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 Message accepted"


def clear() -> None:
    """The previous measure's agreement and people gone, with the revisions of its meetings
    (as beat's daily sweep would have it): each measure starts from the same tables."""
    Agreement.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=USERNAMES).delete()
    Party.objects.filter(code="QRM").delete()
    services.forget_deleted_targets()


@transaction.atomic
def _build(now: dt.datetime, people: int | None = None, meetings: int | None = None) -> Agreement:
    """PEOPLE x MEETINGS reminders due at `now` (or people x meetings), and nothing else of
    this agreement."""
    people_count = PEOPLE if people is None else people
    meeting_count = MEETINGS if meetings is None else meetings
    clear()
    agreement = Agreement.objects.create(
        name="Generated agreement for the reminder benchmark",
        short_name="GEN REM",
        slug=SLUG,
        status=AgreementStatus.UNDER_NEGOTIATION,
        launched_on=now.date() - dt.timedelta(days=365),
        is_demo=True,
        description="Generated data for measuring reminders at volume.",
    )
    LeadTimes.objects.create(
        agreement=agreement, meeting_days=[1], deadline_days=[1], deadline_overdue=False
    )
    party = Party.objects.create(code="QRM", name="Generated party", capital_time_zone="UTC")
    Delegation.objects.create(agreement=agreement, party=party)
    people = generated_people(USERNAMES, people_count, lambda: "Asia/Phnom_Penh")
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=person, agreement=agreement, role=Role.NEGOTIATOR) for person in people
    )
    group = WorkingGroup.objects.create(agreement=agreement, code="REM", name="Reminders", order=1)
    Membership.objects.bulk_create(
        Membership(working_group=group, user=person, party=party, role=MembershipRole.MEMBER)
        for person in people
    )
    # A day from now, less five minutes: the one-day reminder of each is due. The meetings
    # start within four minutes of one another, however many they are.
    starts = now + dt.timedelta(days=1, minutes=-5)
    apart = dt.timedelta(seconds=min(1.0, 240 / max(1, meeting_count)))
    meetings = Meeting.objects.bulk_create(
        Meeting(
            agreement=agreement,
            kind=MeetingKind.WORKING_GROUP,
            title=f"Working session {n + 1}",
            starts_at=starts + apart * n,
            ends_at=starts + dt.timedelta(hours=3),
            time_zone="Asia/Phnom_Penh",
            video_link="https://video.example.org/rem",
        )
        for n in range(meeting_count)
    )
    through = Meeting.working_groups.through
    through.objects.bulk_create(
        through(meeting_id=m.pk, workinggroup_id=group.pk) for m in meetings
    )
    return agreement


def build(now: dt.datetime, people: int | None = None, meetings: int | None = None) -> Agreement:
    """PEOPLE x MEETINGS reminders due at `now` (or people x meetings), and nothing else of
    this agreement; committed, and the database's statistics brought up to date."""
    agreement = _build(now, people, meetings)
    analyse()
    return agreement


def analyse() -> None:
    """Clear away the rows of the previous measure and bring PostgreSQL's statistics up to
    date with those just made, as its autovacuum does within a minute in a running system:
    the scan is measured as it runs there, not through ten thousand dead rows, nor planned
    from statistics that say the tables are empty."""
    analyze(
        [
            "negotiations_meeting",
            "negotiations_meeting_working_groups",
            "workinggroups_membership",
            "reminders_targetrevision",
            "reminders_reminder",
        ]
    )


class StatementCounter:
    """SQL statements run, and transactions committed, by this process's database connection
    while it is used: a statement outside a transaction is a commit of its own."""

    def __init__(self):
        self.statements = 0
        self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        if not connection.in_atomic_block and connection.get_autocommit():
            self.commits += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        commit = connection.commit

        def counted_commit():
            self.commits += 1
            return commit()

        self._patch = mock.patch.object(connection, "commit", counted_commit)
        self._patch.start()
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        self._patch.stop()


def measure_scan(repeat: int = 3, people: int | None = None, meetings: int | None = None) -> dict:
    """Seconds (and queries) to scan with people x meetings reminders due (PEOPLE x MEETINGS
    by default), over fresh ledgers; and the scan a minute later, as beat runs it, over the
    same targets, known by then, with nothing new due."""
    timings, created, queries, again = [], 0, [], []
    for _ in range(repeat):
        now = timezone.now()
        agreement = build(now, people, meetings)
        started = time.perf_counter()
        with StatementCounter() as counter:
            services.scan(now=now)
        timings.append(time.perf_counter() - started)
        queries.append(counter.statements)
        created = Reminder.objects.filter(agreement=agreement).count()
        started = time.perf_counter()
        services.scan(now=now + dt.timedelta(minutes=1))
        again.append(time.perf_counter() - started)
    return {
        "reminders": created,
        "targets": MEETINGS if meetings is None else meetings,
        "queries": max(queries),
        "median_s": statistics.median(timings),
        "spread_s": (min(timings), max(timings)),
        "again": {"median_s": statistics.median(again), "spread_s": (min(again), max(again))},
    }


def measure_delivery_cost(batches: int = 20) -> dict:
    """SQL statements and commits per reminder on the delivery path, in this process, over
    the first `batches` batches of the set, to a local SMTP server; with the time it took."""
    controller, handler, port = _sink()
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 20},
        }
    }
    try:
        now = timezone.now()
        agreement = build(now)
        chosen = services.scan(now=now)[:batches]
        total = sum(len(batch) for batch in chosen)
        with override_settings(MAILERS=mailers), StatementCounter() as counter:
            started = time.perf_counter()
            for batch in chosen:
                services.send_reminders(reminder_ids=batch)
            elapsed = time.perf_counter() - started
        sent = Reminder.objects.filter(agreement=agreement, status=ReminderStatus.SENT).count()
    finally:
        controller.stop()
    return {
        "reminders": total,
        "messages": handler.count,
        "marked_sent": sent,
        "statements": counter.statements,
        "commits": counter.commits,
        "statements_per_reminder": counter.statements / total,
        "commits_per_reminder": counter.commits / total,
        "per_second_one_process": handler.count / elapsed,
    }


def _sink():
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    port = free_port()
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, port


def _wait(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        time.sleep(0.05)


def measure_celery_delivery(workers: int) -> dict:
    """Emails per second from the ledger to the SMTP server through a Celery worker."""
    controller, handler, port = _sink()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    name = f"{queue}@{socket.gethostname()}"
    env = {
        **os.environ,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "DEBUG": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", queue,
         "--concurrency", str(workers), "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--hostname", name],
        cwd=settings.BASE_DIR, env=env,
    )  # fmt: skip
    try:
        _wait(lambda: celery_app.control.ping(destination=[name], timeout=0.5), timeout=60)
        now = timezone.now()
        agreement = build(now)
        batches = services.scan(now=now)
        total = sum(len(batch) for batch in batches)
        started = time.perf_counter()
        for batch in batches:
            tasks.send_reminders.apply_async(args=[batch], queue=queue)
        _wait(lambda: handler.count >= total, timeout=600)
        elapsed = time.perf_counter() - started
        sent = Reminder.objects.filter(agreement=agreement, status=ReminderStatus.SENT).count()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
    return {
        "messages": handler.count,
        "marked_sent": sent,
        "seconds": elapsed,
        "per_second": handler.count / elapsed,
        "batches": len(batches),
    }


def measure_naive_delivery(threads: int) -> dict:
    """Emails per second sending the same messages, one new SMTP connection each."""
    controller, handler, port = _sink()
    try:
        now = timezone.now()
        agreement = build(now)
        services.scan(now=now)
        rows = list(Reminder.objects.filter(agreement=agreement).select_related("recipient"))
        meetings = {
            m.pk: m
            for m in Meeting.objects.filter(agreement=agreement)
            .select_related("agreement")
            .prefetch_related("working_groups", "agreement__delegations__party")
        }

        def send(reminder):
            meeting = meetings[reminder.target_id]
            message = build_message(
                recipient=reminder.recipient, items=[(reminder, meeting)], now=now
            )
            backend = EmailBackend(alias="benchmark", host="127.0.0.1", port=port, timeout=20)
            backend.open()
            try:
                backend.send_messages([message])
            finally:
                backend.close()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(send, rows))
        elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    return {
        "messages": handler.count,
        "seconds": elapsed,
        "per_second": handler.count / elapsed,
    }
