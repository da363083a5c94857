"""Backup and restore, rehearsed as docs/operations.md tells it, on PostgreSQL: the seed
scenario and a reminder ledger with reminders sent, a manifest written, `pg_dump` to a file,
`pg_restore` into a new database; there `verify_restore --compare` finds nothing lost, and a
reminder scan with delivery sends nothing again. SQLite is backed up by copying its file
(`.backup`): nothing of this rehearsal applies to it, so it is skipped there."""

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from negotiations.choices import Role
from negotiations.models import Agreement
from reminders import services as reminder_services
from reminders.choices import ReminderStatus
from reminders.models import Reminder
from tests.factories import MeetingFactory, MembershipFactory, RoleAssignmentFactory, UserFactory
from workinggroups.models import ChapterStatusChange

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


def _url(name: str) -> str:
    """The address of database `name` on the server the tests use."""
    config = connection.settings_dict
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def manage(*args, database: str, **env) -> subprocess.CompletedProcess:
    """`manage.py` in a process of its own, on database `database`, as a deployer runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _url(database),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "CONN_MAX_AGE": "0",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def restored_name():
    """The name of a database to restore into, dropped afterwards whatever happens."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore are for PostgreSQL; SQLite is copied whole")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    name = f"restore_rehearsal_{uuid.uuid4().hex[:10]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ledger(settings):
    """The seed scenario, and a meeting of one of its working groups tomorrow whose reminder
    the scan finds due and sends (to memory), as a worker would."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    group = agreement.working_groups.order_by("order").first()
    party = agreement.parties.order_by("pk").first()
    for username in ("sokha", "mei"):
        person = UserFactory(username=username, email=f"{username}@example.org")
        RoleAssignmentFactory(user=person, agreement=agreement, role=Role.NEGOTIATOR, party=party)
        MembershipFactory(working_group=group, user=person, party=party)
    now = timezone.now()
    meeting = MeetingFactory(
        agreement=agreement,
        title="Rules of Origin, video conference",
        starts_at=now + dt.timedelta(hours=20),
        ends_at=now + dt.timedelta(hours=22),
    )
    meeting.working_groups.add(group)
    mail.outbox.clear()
    for reminder_ids in reminder_services.scan(now=now):
        reminder_services.send_reminders(reminder_ids=reminder_ids, now=now)
    sent = Reminder.objects.filter(status=ReminderStatus.SENT)
    assert sent.count() == 2
    assert len(mail.outbox) == 2
    return sent


def test_a_restored_dump_loses_nothing_and_sends_no_reminder_twice(restored_name, ledger, tmp_path):
    manifest, dump = tmp_path / "manifest.json", tmp_path / "tracker.dump"
    call_command("verify_restore", write=manifest, verbosity=0)
    source = connection.settings_dict["NAME"]

    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={_url(source)}"],
        check=True,
        timeout=300,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(restored_name)}", dump],
        check=True,
        timeout=300,
    )

    compared = manage("verify_restore", "--compare", str(manifest), database=restored_name)
    assert compared.returncode == 0, compared.stderr
    assert "Nothing lost" in compared.stdout
    assert "DIFFERENT" not in compared.stderr

    # The restored ledger knows what was sent: a scan with delivery sends nothing again.
    scanned = manage("send_due_reminders", database=restored_name, MAIL_BACKEND="console")
    assert scanned.returncode == 0, scanned.stderr
    assert scanned.stdout.strip().splitlines()[-1].startswith("0 sent")
    assert "Subject:" not in scanned.stdout
    with psycopg.connect(_url(restored_name)) as restored:
        states = dict(
            restored.execute(
                "SELECT status, count(*) FROM reminders_reminder GROUP BY status"
            ).fetchall()
        )
    assert states == {ReminderStatus.SENT: 2}
    again = manage("verify_restore", "--compare", str(manifest), database=restored_name)
    assert again.returncode == 0, again.stderr


def test_the_comparison_names_what_a_restore_lost(restored_name, ledger, tmp_path):
    manifest, dump = tmp_path / "manifest.json", tmp_path / "tracker.dump"
    call_command("verify_restore", write=manifest, verbosity=0)
    subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            f"--file={dump}",
            f"--dbname={_url(connection.settings_dict['NAME'])}",
        ],
        check=True,
        timeout=300,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(restored_name)}", dump],
        check=True,
        timeout=300,
    )
    changes = ChapterStatusChange.objects.count()
    # A restore that missed the last status change, and whose sequences were left behind.
    with psycopg.connect(_url(restored_name), autocommit=True) as restored:
        restored.execute(
            "DELETE FROM workinggroups_chapterstatuschange WHERE id = "
            "(SELECT max(id) FROM workinggroups_chapterstatuschange)"
        )
        restored.execute("SELECT setval(pg_get_serial_sequence('audit_auditentry', 'id'), 1)")

    compared = manage("verify_restore", "--compare", str(manifest), database=restored_name)

    assert compared.returncode == 1
    assert (
        f"rows › workinggroups.ChapterStatusChange: {changes} in the manifest, {changes - 1} here"
    ) in compared.stderr
    assert "latest › chapter status change › pk" in compared.stderr
    assert "sequence › audit.AuditEntry: the next id would be 2" in compared.stderr
    assert "Nothing lost" not in compared.stdout
