"""The reminder scan and delivery at volume: 10,000 reminders falling due at one moment.

One generated agreement whose working group of PEOPLE members meets MEETINGS times, each
meeting starting a day from now, with a single lead time of one day: the next scan finds
PEOPLE x MEETINGS reminders due. Measured:

- the scan (`reminders.services.scan`): filling the ledger and cutting it into batches;
- delivery through Celery: a worker process (as many processes as the machine has cores)
  sends the batches, each over one SMTP connection, with the ledger's claim and mark per
  reminder, to a local SMTP server (aiosmtpd) that counts what it accepted;
- a naive baseline: the same messages, built and sent from as many threads, each over a new
  SMTP connection, with no ledger at all (so it does less work per message than the real path).
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

from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction
from django.utils import timezone

from benchmarks.generator import SLUG_PREFIX, USERNAME_PREFIX, generated_people
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
    Agreement.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=USERNAMES).delete()
    Party.objects.filter(code="QRM").delete()


@transaction.atomic
def build(now: dt.datetime) -> Agreement:
    """PEOPLE x MEETINGS reminders due at `now`, and nothing else of this agreement."""
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
    people = generated_people(USERNAMES, PEOPLE, lambda: "Asia/Phnom_Penh")
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=person, agreement=agreement, role=Role.NEGOTIATOR) for person in people
    )
    group = WorkingGroup.objects.create(agreement=agreement, code="REM", name="Reminders", order=1)
    Membership.objects.bulk_create(
        Membership(working_group=group, user=person, party=party, role=MembershipRole.MEMBER)
        for person in people
    )
    # A day from now, less five minutes: the one-day reminder of each is due.
    starts = now + dt.timedelta(days=1, minutes=-5)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            agreement=agreement,
            kind=MeetingKind.WORKING_GROUP,
            title=f"Working session {n + 1}",
            starts_at=starts + dt.timedelta(seconds=n),
            ends_at=starts + dt.timedelta(hours=3),
            time_zone="Asia/Phnom_Penh",
            video_link="https://video.example.org/rem",
        )
        for n in range(MEETINGS)
    )
    through = Meeting.working_groups.through
    through.objects.bulk_create(
        through(meeting_id=m.pk, workinggroup_id=group.pk) for m in meetings
    )
    return agreement


def measure_scan(repeat: int = 3) -> dict:
    """Seconds to scan with PEOPLE x MEETINGS reminders due, over fresh ledgers."""
    timings, created = [], 0
    for _ in range(repeat):
        now = timezone.now()
        agreement = build(now)
        started = time.perf_counter()
        services.scan(now=now)
        timings.append(time.perf_counter() - started)
        created = Reminder.objects.filter(agreement=agreement).count()
    return {
        "reminders": created,
        "median_s": statistics.median(timings),
        "spread_s": (min(timings), max(timings)),
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
