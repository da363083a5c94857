import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from benchmarks import reminders as reminder_bench
from benchmarks.generator import SMALL, Size, analyze, clear, generate
from benchmarks.pages import measure, page_addresses
from benchmarks.ports import free_port, wait_for_port
from negotiations.choices import Role
from negotiations.models import Agreement, RoleAssignment

REPORT = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
DASHBOARD_TARGET_MS = 150


class Command(BaseCommand):
    help = "Measure the tracker at small and large size and write docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--load-seconds", type=int, default=15)
        parser.add_argument("--skip-load", action="store_true")

    def handle(self, *args, repeat, load_seconds, skip_load, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("Benchmarks are meant for PostgreSQL: set DATABASE_URL.")
        lines = [*_header()]
        small = self._pages("small", SMALL, repeat)
        large = self._pages("large", Size(), repeat)
        lines += _page_table(small, large)
        lines += _admin_ratio(large)
        if not skip_load:
            lines += self._load(load_seconds)
        lines += self._reminders()
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {REPORT.relative_to(settings.BASE_DIR)}"))

    def _pages(self, label, size, repeat):
        self.stdout.write(f"Generating the {label} data set…")
        counts = generate(size, seed=2020)
        analyze()
        client, agreement = _signed_in_client()
        results = {}
        for name, address in page_addresses(agreement).items():
            results[name] = measure(client, address, repeat=repeat)
            self.stdout.write(f"  {label:<6} {name:<36} {results[name]}")
        return {"counts": counts, "results": results}

    def _reminders(self):
        """The scan and the delivery of 10,000 due reminders, on their own in the database."""
        self.stdout.write("Reminders: scan, delivery through Celery, naive baseline…")
        clear()
        workers = os.cpu_count() or 1
        scan = reminder_bench.measure_scan()
        self.stdout.write(f"  scan {scan}")
        celery = reminder_bench.measure_celery_delivery(workers)
        self.stdout.write(f"  celery {celery}")
        naive = reminder_bench.measure_naive_delivery(workers)
        self.stdout.write(f"  naive {naive}")
        reminder_bench.clear()
        low, high = scan["spread_s"]
        return [
            "",
            "## Reminders",
            "",
            f"{scan['reminders']:,} reminders due at one moment ({reminder_bench.PEOPLE} members "
            f"of a working group, {reminder_bench.MEETINGS} meetings a day ahead).",
            "",
            f"- Scan (fill the ledger, cut it into batches): median {scan['median_s']:.2f} s "
            f"over 3 runs ({low:.2f}–{high:.2f} s).",
            f"- Delivery through Celery ({workers} worker processes, batches of "
            f"{settings.REMINDERS_BATCH_SIZE} over one SMTP connection each, with the ledger's "
            f"claim and mark per reminder) to a local SMTP server: {celery['messages']:,} "
            f"messages in {celery['seconds']:.1f} s, **{celery['per_second']:.0f} emails/s**; "
            f"{celery['marked_sent']:,} marked sent.",
            f"- Naive baseline ({workers} threads, a new SMTP connection per message, no "
            f"ledger): {naive['messages']:,} messages in {naive['seconds']:.1f} s, "
            f"**{naive['per_second']:.0f} emails/s**.",
            f"- Ratio: {celery['per_second'] / naive['per_second']:.2f} × the naive rate.",
        ]

    def _load(self, seconds):
        """Dashboard under load from a second process: gunicorn serving, wrk requesting."""
        if not shutil.which("wrk"):
            return ["", "## Under load", "", "Not measured: `wrk` is not installed."]
        client, agreement = _signed_in_client()
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        workers = 2 * (os.cpu_count() or 1) + 1
        # As many clients as the server has workers, each sending its next request as soon as
        # the last is answered: the server is never idle, and nothing waits in its backlog.
        connections = workers
        port = free_port()
        env = {**os.environ, "SECURE_SSL_REDIRECT": "0", "DEBUG": "0"}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port)
            url = f"http://127.0.0.1:{port}{agreement.get_absolute_url()}"

            def wrk(duration):
                return subprocess.run(
                    ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{duration}s",
                     "--timeout", "10s", "-H", f"Cookie: {cookie}",
                     "-H", "X-Forwarded-Proto: https", url],
                    capture_output=True, text=True, check=True, timeout=duration + 30,
                ).stdout  # fmt: skip

            wrk(3)  # warm-up, not counted: each worker's first requests load templates
            out = wrk(seconds)
        finally:
            server.terminate()
            server.wait(timeout=15)
        stats = _parse_wrk(out)
        return [
            "",
            "## Agreement dashboard under load",
            "",
            f"gunicorn with {workers} workers; wrk, 2 threads, {connections} connections, "
            f"{seconds} s after a 3 s warm-up, large data set, signed-in session, on the same "
            "machine as the server and the database.",
            "",
            "| requests/s | p50 | p99 | errors (non-2xx, socket) |",
            "| --- | --- | --- | --- |",
            f"| {stats['rps']} | {stats['p50']} | {stats['p99']} | {stats['errors']} |",
            "",
            f"Target: no errors under load: {'met' if stats['errors'] == '0' else 'NOT met'}.",
        ]


def _signed_in_client():
    """A chief negotiator of every generated agreement, signed in; and one agreement."""
    user, _ = get_user_model().objects.update_or_create(
        username="bench-chief",
        # A superuser, since the admin admits no one else: its changelist is compared too.
        defaults={
            "email": "bench-chief@example.org",
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
        },
    )
    for agreement in Agreement.objects.filter(slug__startswith="generated-"):
        RoleAssignment.objects.update_or_create(
            user=user, agreement=agreement, defaults={"role": Role.CHIEF_NEGOTIATOR}
        )
    client = Client(SERVER_NAME=settings.ALLOWED_HOSTS[0], HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    return client, Agreement.objects.filter(slug__startswith="generated-").order_by("slug").first()


def _header():
    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "not found"

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 1")
        database = cursor.fetchone()[0]
    memory = (
        Path("/proc/meminfo").read_text().split("\n")[0] if Path("/proc/meminfo").exists() else ""
    )
    return [
        "# Benchmarks",
        "",
        f"Measured on {dt.date.today().isoformat()} by `make bench`.",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, {memory.split(':')[-1].strip()}",
        f"- Python {platform.python_version()}, Django {django.get_version()}",
        f"- Database: {database if connection.vendor == 'postgresql' else connection.vendor}",
        f"- Redis: {version(['redis-server', '--version'])}",
    ]


def _page_table(small, large):
    def fmt(result):
        if result.get("status") != 200:
            return f"HTTP {result.get('status')}", "", ""
        low, high = result["spread_ms"]
        return str(result["queries"]), f"{result['median_ms']:.1f}", f"{low:.1f}–{high:.1f}"

    sizes = ", ".join(f"{count:,} {name}" for name, count in large["counts"].items())
    lines = [
        "",
        "## Pages",
        "",
        f"Small: one generated agreement. Large: {sizes}.",
        "Median server time over repeated requests, in milliseconds, with min–max spread.",
        "",
        "| page | queries small | queries large | median ms small | median ms large "
        "| spread large |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in large["results"].items():
        q_small, ms_small, _ = fmt(small["results"].get(name, {}))
        q_large, ms_large, spread = fmt(result)
        lines.append(f"| {name} | {q_small} | {q_large} | {ms_small} | {ms_large} | {spread} |")
    same = all(
        small["results"].get(name, {}).get("queries") == result.get("queries")
        for name, result in large["results"].items()
    )
    lines += [
        "",
        f"Target: the same number of queries at both sizes: {'met' if same else 'NOT met'}.",
    ]
    dashboard = large["results"].get("agreement dashboard", {})
    if dashboard.get("status") == 200:
        verdict = "met" if dashboard["median_ms"] <= DASHBOARD_TARGET_MS else "NOT met"
        lines += [
            "",
            f"Target: agreement dashboard within {DASHBOARD_TARGET_MS} ms at large size: "
            f"{verdict}.",
        ]
    return lines


def _admin_ratio(large):
    ours = large["results"].get("chapter list", {})
    admin = large["results"].get("admin chapter changelist", {})
    if ours.get("status") != 200 or admin.get("status") != 200:
        return []
    ratio = ours["median_ms"] / admin["median_ms"]
    return [
        "",
        "## Chapter list beside the admin's changelist (large size)",
        "",
        f"Chapter list {ours['median_ms']:.1f} ms ({ours['queries']} queries), admin changelist "
        f"{admin['median_ms']:.1f} ms ({admin['queries']} queries): ratio {ratio:.2f} "
        f"({'at least as fast' if ratio <= 1 else 'slower'}).",
    ]


def _parse_wrk(output):
    stats = {"rps": "?", "p50": "?", "p99": "?", "errors": "0"}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            stats["rps"] = words[1]
        elif words[:1] == ["50%"]:
            stats["p50"] = words[1]
        elif words[:1] == ["99%"]:
            stats["p99"] = words[1]
        elif "Non-2xx" in line or "Socket errors" in line:
            stats["errors"] = line.strip()
    return stats
