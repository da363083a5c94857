"""The real things the reminder tests run against: an SMTP server on loopback (aiosmtpd),
Redis (REDIS_URL, or an embedded one), Celery workers and beat as separate processes, and a
test database those processes can reach (PostgreSQL, or a SQLite file rather than memory)."""

import asyncio
import collections
import email
import email.policy
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]

# A worker in another process cannot see an in-memory SQLite database: use a file instead.
_default = connections["default"].settings_dict
if _default["ENGINE"] == "django.db.backends.sqlite3" and not _default["TEST"].get("NAME"):
    (ROOT / "var").mkdir(exist_ok=True)
    _default["TEST"]["NAME"] = str(ROOT / "var" / f"test-reminders-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The ways a mail server misbehaves, one per transaction as `Sink.faults` lists them:
ACCEPT = "accept"
TEMPORARY = "4xx"  # refuses the message, for now, once it has it all
PERMANENT = "5xx"  # refuses it for good
DROP_BEFORE_REPLY = "drop before reply"  # stores it, then drops the connection unanswered
DROP_BEFORE_DATA = "drop before data"  # drops the connection at the recipient
SLOW = "slow"  # takes its time to answer, within the client's timeout
HOLD_REPLY = "hold reply"  # stores it, and answers only once `release_reply` is called
FAULTS = (TEMPORARY, PERMANENT, DROP_BEFORE_REPLY, DROP_BEFORE_DATA, SLOW)


class Sink:
    """An aiosmtpd handler that keeps what it accepted, and misbehaves when told to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.messages = []
            self.refuse = 0  # refuse this many recipients with a temporary error
            self.refuse_code = "451 4.3.0 Try again later"
            self.hold_after = None  # stall MAIL FROM once this many messages arrived
            self.holding = False
            # What each coming transaction does, in turn (then ACCEPT); and what was done.
            self.faults = collections.deque()
            self.applied = collections.Counter()
            self.slow_seconds = 0.3
            self.reply_held = False  # a HOLD_REPLY transaction is waiting
            self.reply_released = False

    def release_reply(self):
        self.reply_released = True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        while self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.holding = True
            await asyncio.sleep(0.05)
        self.holding = False
        with self.lock:
            envelope.fault = self.faults.popleft() if self.faults else ACCEPT
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return self.refuse_code
            if getattr(envelope, "fault", ACCEPT) == DROP_BEFORE_DATA:
                self.applied[DROP_BEFORE_DATA] += 1
                server.transport.abort()
                return "421 4.3.2 Closing"  # never arrives: the connection is gone
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = getattr(envelope, "fault", ACCEPT)
        with self.lock:
            self.applied[fault] += 1
        if fault == TEMPORARY:
            return "451 4.3.0 Try again later"
        if fault == PERMANENT:
            return "554 5.6.0 Message refused"
        if fault == SLOW:
            await asyncio.sleep(self.slow_seconds)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        if fault == DROP_BEFORE_REPLY:
            server.transport.abort()
        if fault == HOLD_REPLY:
            self.reply_held = True
            while not self.reply_released:
                await asyncio.sleep(0.05)
            self.reply_held = False
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} messages arrived, expected {count}")


@pytest.fixture(scope="session")
def smtp_server():
    # aiosmtpd logs every command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    sink.port = _load_stack()._free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def sink(smtp_server, settings):
    """The SMTP server, emptied, and this process's mail pointed at it."""
    smtp_server.reset()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    settings.SITE_URL = "https://tracker.example.org"
    yield smtp_server
    smtp_server.reset()


def _load_stack():
    spec = importlib.util.spec_from_file_location("stack", ROOT / "scripts" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def redis_url():
    with _load_stack().redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def celery_queue(redis_url):
    """A queue of this test session's own on the broker, so no other worker takes its tasks."""
    from config.celery import app

    queue = f"test-reminders-{uuid.uuid4().hex[:8]}"
    app.conf.broker_url = redis_url
    app.conf.task_default_queue = queue
    return queue


def _database_url(settings_dict) -> str:
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


class Stack:
    """Celery worker and beat processes on the test database, Redis and SMTP server."""

    def __init__(self, env):
        self.env = env
        self.processes = []

    def _start(self, *args):
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel", "WARNING"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # so the whole worker, children too, can be killed
        )
        self.processes.append(process)
        return process

    def worker(self, concurrency=2):
        process = self._start(
            "worker",
            "--queues",
            self.env["CELERY_QUEUE"],
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"test-{uuid.uuid4().hex[:8]}@%h",
        )
        return process

    def beat(self, schedule_path):
        return self._start("beat", "--schedule", str(schedule_path))

    def kill(self, process):
        """As the kernel's OOM killer would: no warning, nothing cleaned up."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop_all(self):
        for process in self.processes:
            self.stop(process)


@pytest.fixture
def stack(transactional_db, smtp_server, sink, redis_url, celery_queue):
    """Start Celery processes against this test's database; stops them all afterwards."""
    queue = celery_queue
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connections["default"].settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_TIMEOUT": "10",
        "SITE_URL": "https://tracker.example.org",
        "REMINDERS_CLAIM_LEASE_SECONDS": "3",
        "REMINDERS_RETRY_SECONDS": "1",
        "REMINDERS_SCAN_SECONDS": "1",
        "CONN_MAX_AGE": "0",
        "DEBUG": "0",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    processes = Stack(env)
    yield processes
    smtp_server.hold_after = None
    processes.stop_all()


@pytest.fixture
def fta(db):
    """A bilateral negotiation between parties in two zones, with a Rules of Origin group
    that has a member in Phnom Penh and one in Beijing, and a chief negotiator and official."""
    from types import SimpleNamespace

    from negotiations.choices import Role
    from tests.factories import (
        AgreementFactory,
        MembershipFactory,
        PartyFactory,
        RoleAssignmentFactory,
        UserFactory,
        WorkingGroupFactory,
    )

    cambodia = PartyFactory(code="KHM", name="Cambodia", capital_time_zone="Asia/Phnom_Penh")
    china = PartyFactory(code="CHN", name="China", capital_time_zone="Asia/Shanghai")
    agreement = AgreementFactory(
        name="Cambodia–China FTA", short_name="CCFTA", slug="ccfta", parties=[cambodia, china]
    )
    group = WorkingGroupFactory(agreement=agreement, name="Rules of Origin", code="ROO")
    sok = UserFactory(username="sok", time_zone="Asia/Phnom_Penh", language="en")
    li = UserFactory(username="li", time_zone="Asia/Shanghai", language="zh-hans")
    chief = UserFactory(username="chief", time_zone="Asia/Phnom_Penh")
    official = UserFactory(username="official", time_zone="Asia/Shanghai")
    for user, party in [(sok, cambodia), (li, china)]:
        RoleAssignmentFactory(user=user, agreement=agreement, role=Role.NEGOTIATOR, party=party)
        MembershipFactory(working_group=group, user=user, party=party)
    RoleAssignmentFactory(user=chief, agreement=agreement, role=Role.CHIEF_NEGOTIATOR)
    RoleAssignmentFactory(user=official, agreement=agreement, role=Role.OFFICIAL)
    return SimpleNamespace(
        agreement=agreement,
        group=group,
        cambodia=cambodia,
        china=china,
        sok=sok,
        li=li,
        chief=chief,
        official=official,
    )


def make_meeting(fta, starts_at, hours=2, **kwargs):
    import datetime as dt

    from tests.factories import MeetingFactory

    meeting = MeetingFactory(
        agreement=fta.agreement,
        title=kwargs.pop("title", "Rules of Origin working group — video conference"),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        time_zone="Asia/Phnom_Penh",
        video_link="https://video.example.org/roo",
        **kwargs,
    )
    meeting.working_groups.add(fta.group)
    return meeting
