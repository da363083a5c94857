"""Check that a restored database holds what the backed-up one held (docs/operations.md).

    manage.py verify_restore --write manifest.json     # on the database about to be dumped
    manage.py verify_restore --compare manifest.json   # on the restored database
    manage.py verify_restore                           # what this database holds, and its checks

The manifest records the rows of every model, the latest status change of chapters and
commitments, the latest audit entry and the reminder ledger (how many reminders stand in each
state, and a digest of who was sent what and when). Compared on the restored database, any
difference is named and the command exits with status 1; so does, on PostgreSQL, a table whose
id sequence is behind its rows (new rows would collide with restored ones).
"""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from audit.models import AuditEntry
from negotiations.models import CommitmentStatusChange
from reminders.choices import ReminderStatus
from reminders.models import Reminder
from workinggroups.models import ChapterStatusChange

FORMAT = 1
# Said about the database, not compared: a restore may be made on another server, later.
NOT_COMPARED = {"format", "written_at", "database"}


def _latest(queryset, *fields) -> dict | None:
    """The newest row (by id) as {field: value}, or None for an empty table."""
    row = queryset.order_by("-pk").values("pk", *fields).first()
    return json.loads(json.dumps(row, cls=DjangoJSONEncoder)) if row else None


def _ledger() -> dict:
    """The reminder ledger: how many in each state, and a digest of every reminder's state,
    attempts and moment of sending, so that a reminder marked sent is known to stay sent."""
    counts = dict.fromkeys(ReminderStatus.values, 0)
    for row in Reminder.objects.values("status").annotate(n=models.Count("pk")):
        counts[row["status"]] = row["n"]
    digest = hashlib.sha256()
    for row in Reminder.objects.order_by("pk").values_list("pk", "status", "attempts", "sent_at"):
        digest.update(json.dumps(row, cls=DjangoJSONEncoder).encode())
    last_sent = (
        Reminder.objects.filter(sent_at__isnull=False)
        .order_by("-sent_at", "-pk")
        .values("pk", "recipient_id", "kind", "target_id", "sent_at")
        .first()
    )
    return {
        "by_state": counts,
        "digest": digest.hexdigest(),
        "last_sent": json.loads(json.dumps(last_sent, cls=DjangoJSONEncoder))
        if last_sent
        else None,
    }


def take_manifest() -> dict:
    """What this database holds, as the manifest records it."""
    rows = {
        model._meta.label: model._base_manager.count()
        for model in sorted(apps.get_models(), key=lambda m: m._meta.label)
        if model._meta.managed and not model._meta.proxy
    }
    return {
        "format": FORMAT,
        "written_at": timezone.now().isoformat(),
        "database": {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])},
        "rows": rows,
        "latest": {
            "chapter status change": _latest(
                ChapterStatusChange.objects,
                "chapter_id",
                "from_status",
                "to_status",
                "effective_at",
                "recorded_at",
            ),
            "commitment status change": _latest(
                CommitmentStatusChange.objects,
                "commitment_id",
                "from_status",
                "to_status",
                "effective_at",
            ),
            "audit entry": _latest(
                AuditEntry.objects, "at", "action", "content_type__model", "object_id"
            ),
        },
        "reminders": _ledger(),
    }


def differences(saved: dict, now: dict, path: str = "") -> list[str]:
    """Every value of the manifest `saved` that the database (`now`) does not hold alike."""
    found = []
    for key in sorted(set(saved) | set(now)):
        if not path and key in NOT_COMPARED:
            continue
        where = f"{path} › {key}" if path else key
        before, after = saved.get(key), now.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            found.extend(differences(before, after, where))
        elif before != after:
            found.append(f"{where}: {_shown(before)} in the manifest, {_shown(after)} here")
    return found


def _shown(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def sequences_behind() -> list[str]:
    """On PostgreSQL, the tables whose id sequence would hand out an id already in use."""
    if connection.vendor != "postgresql":
        return []
    behind = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk = model._meta.pk
            if not (model._meta.managed and isinstance(pk, models.AutoField)):
                continue
            table = model._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                continue
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            next_id = last_value + 1 if is_called else last_value
            cursor.execute(
                f"SELECT MAX({connection.ops.quote_name(pk.column)}) "
                f"FROM {connection.ops.quote_name(table)}"
            )
            (highest,) = cursor.fetchone()
            if highest is not None and next_id <= highest:
                behind.append(
                    f"sequence › {model._meta.label}: the next id would be {next_id}, "
                    f"but ids up to {highest} are taken"
                )
    return behind


class Command(BaseCommand):
    help = (
        "Check a database after a restore: row counts per model, the latest history rows, the "
        "latest audit entry and the reminder ledger. --write a manifest before the dump, "
        "--compare it on the restored database (exits 1 on any difference)."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", type=Path, metavar="MANIFEST", help="write the manifest")
        group.add_argument(
            "--compare", type=Path, metavar="MANIFEST", help="compare with a manifest"
        )

    def handle(self, *args, write=None, compare=None, **options):
        manifest = take_manifest()
        if write is not None:
            write.write_text(json.dumps(manifest, indent=2, sort_keys=True, cls=DjangoJSONEncoder))
            self.stdout.write(
                self.style.SUCCESS(f"Manifest written to {write}: {self._summary(manifest)}.")
            )
            return
        problems = sequences_behind()
        if compare is not None:
            try:
                saved = json.loads(compare.read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the manifest {compare}: {error}") from error
            if saved.get("format") != FORMAT:
                raise CommandError(f"{compare} is not a manifest this command wrote.")
            problems = differences(saved, manifest) + problems
        else:
            self.stdout.write(self._summary(manifest))
        for problem in problems:
            self.stderr.write(f"DIFFERENT  {problem}")
        if problems:
            raise CommandError(
                f"The restored database differs in {len(problems)} "
                f"{'way' if len(problems) == 1 else 'ways'}: see above.",
                returncode=1,
            )
        if compare is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Nothing lost: the database matches {compare} "
                    f"(written {saved.get('written_at', '?')}): {self._summary(manifest)}."
                )
            )

    @staticmethod
    def _summary(manifest) -> str:
        rows = manifest["rows"]
        ledger = manifest["reminders"]["by_state"]
        latest = manifest["latest"]["audit entry"]
        return (
            f"{sum(rows.values())} rows in {sum(1 for n in rows.values() if n)} tables, "
            f"{rows.get('workinggroups.ChapterStatusChange', 0)} chapter status changes, "
            f"{rows.get('audit.AuditEntry', 0)} audit entries (latest "
            f"#{latest['pk'] if latest else '—'}), reminders "
            + ", ".join(f"{state} {count}" for state, count in ledger.items())
        )
