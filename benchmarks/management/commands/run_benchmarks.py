import contextlib
import copy
import dataclasses
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client, override_settings
from django.urls import reverse

from api.pagination import StableCursorPagination
from benchmarks import load
from benchmarks import reminders as reminder_bench
from benchmarks.generator import SMALL, Size, analyze, clear, generate
from benchmarks.pages import measure, page_addresses, timed
from benchmarks.pages import queries as pages_queries
from benchmarks.pages import result as page_result
from benchmarks.ports import free_port, wait_for_port
from negotiations.choices import Role
from negotiations.models import Agreement, RoleAssignment

REPORT = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
# The goals of the performance issue, each reported beside its figure.
# The agreement dashboard at the large size, as deployed: served from the page cache.
DASHBOARD_TARGET_MS = 25
# Every page at ten times the large size: at most this much slower, with the same queries.
SCALE_SLOWER = 0.20
# The dashboard under load: this many connections for this long, on the machine's cores.
LOAD_CONNECTIONS = 50
LOAD_SECONDS = 30
LOAD_MIN_RPS = 150
LOAD_MAX_P99_MS = 300
# The scan: 10,000 reminders (and 10,000 targets) within a second, its queries fixed.
SCAN_MAX_S = 1.0
# Delivery: at least this many times the naive baseline, with at most this many SQL
# statements per reminder.
DELIVERY_MIN_RATIO = 3.0
DELIVERY_MAX_QUERIES = 1.2
# The chapter list: at least this many times as fast as the admin's changelist of the same
# rows, the yardstick, which is measured beside the product's pages but not held to their goals.
ADMIN_MIN_RATIO = 1.4
YARDSTICK_PAIR = ("chapter list", "admin chapter changelist")
# The pages the page cache serves: measured from it too.
CACHED_PAGES = ("portfolio", "agreement dashboard", "agreement dashboard as of a round",
                "working group page")  # fmt: skip


class Command(BaseCommand):
    help = "Measure the tracker at small and large size and write docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--load-seconds", type=int, default=LOAD_SECONDS)
        parser.add_argument("--load-connections", type=int, default=LOAD_CONNECTIONS)
        parser.add_argument("--load-runs", type=int, default=3)
        parser.add_argument("--skip-load", action="store_true")
        parser.add_argument("--skip-reminders", action="store_true")
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="The large data set times this many (agreements and people; each agreement "
            "the same size).",
        )

    def handle(
        self,
        *args,
        repeat,
        load_seconds,
        load_connections,
        load_runs,
        skip_load,
        skip_reminders,
        scale,
        **options,
    ):
        if connection.vendor != "postgresql":
            self.stderr.write("Benchmarks are meant for PostgreSQL: set DATABASE_URL.")
        lines = [*_header()]
        small = self._pages("small", SMALL, repeat)
        large = self._pages("large", Size(), repeat)
        lines += _page_table(small, large)
        if scale > 1:
            # The goal at ten times the size: against the large size, measured in turn with it.
            near, bigger = self._side_by_side(scale, repeat)
            lines += _scale_table(near, bigger, scale)
        else:
            lines += [
                "",
                f"Goal: every page at 10 × the large size within {SCALE_SLOWER:.0%} of its "
                "large-size time, with the same queries: measured by `make bench SCALE=10`, not "
                "by this run.",
            ]
        lines += _admin_ratio(large, self._yardstick(repeat))
        if not skip_load:
            lines += self._load(load_seconds, load_runs, load_connections)
        if not skip_reminders:
            lines += self._reminders()
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text("\n".join(lines) + "\n" + _kept_analysis(), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {REPORT.relative_to(settings.BASE_DIR)}"))

    def _pages(self, label, size, repeat):
        self.stdout.write(f"Generating the {label} data set…")
        counts = generate(size, seed=2020)
        analyze()
        client, agreement = _signed_in_client()
        results, cached = {}, {}
        for name, address in page_addresses(agreement).items():
            # Rendered on every request: what the page costs the server.
            with override_settings(PAGE_CACHE_ENABLED=False):
                results[name] = measure(client, address, repeat=repeat)
            self.stdout.write(f"  {label:<6} {name:<36} {results[name]}")
            if name in CACHED_PAGES:
                cached[name] = measure(client, address, repeat=repeat)
                self.stdout.write(f"  {label:<6} {name + ' (page cache)':<36} {cached[name]}")
        return {"counts": counts, "results": results, "cached": cached}

    def _side_by_side(self, scale, repeat):
        """The pages at the large size and at `scale` times it, measured in turn, request by
        request, each page of each size as often. The scaled set is generated into a database
        of its own beside the large one, and the connection goes from one to the other
        between requests (as Django's test runner moves it to the test database). Measured
        minutes apart instead, on a machine shared with others, the two sizes differed by
        more than their data made them: the goal is a ratio, so both are taken in one run."""
        large_name = connection.settings_dict["NAME"]
        scaled_name = f"{large_name}_x{scale}"
        _create_database(scaled_name)
        with _on_database(scaled_name):
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write(f"Generating the {scale} × data set, in {scaled_name}…")
            counts = generate(scaled(Size(), scale), seed=2020)
            analyze()
            far_client, far_agreement = _signed_in_client()
            far_pages = page_addresses(far_agreement)
        near_client, near_agreement = _signed_in_client()
        near_pages = page_addresses(near_agreement)
        figures = {"large": {}, "scaled": {}}
        with override_settings(PAGE_CACHE_ENABLED=False):
            for name in near_pages:
                found = _in_turn(
                    {
                        "large": (large_name, near_client, near_pages[name]),
                        "scaled": (scaled_name, far_client, far_pages[name]),
                    },
                    repeat,
                )
                for side, figure in found.items():
                    figures[side][name] = figure
                self.stdout.write(
                    f"  {name:<36} large {figures['large'][name]}\n"
                    f"  {'':<36} {scale} × {figures['scaled'][name]}"
                )
        return {"results": figures["large"]}, {"counts": counts, "results": figures["scaled"]}

    def _yardstick(self, repeat):
        """The chapter list and the admin's changelist of the same rows (large size), measured
        in turn, request by request: their ratio is the goal."""
        client, agreement = _signed_in_client()
        pages = page_addresses(agreement)
        database = connection.settings_dict["NAME"]
        with override_settings(PAGE_CACHE_ENABLED=False):
            found = _in_turn(
                {name: (database, client, pages[name]) for name in YARDSTICK_PAIR}, repeat
            )
        self.stdout.write(f"  in turn: {found}")
        return found

    def _reminders(self):
        """The scan and the delivery of 10,000 due reminders, on their own in the database."""
        self.stdout.write("Reminders: scan, delivery through Celery, naive baseline…")
        clear()
        # As deployed (see CELERY_WORKER_CONCURRENCY); the baseline gets as many threads.
        workers = settings.CELERY_WORKER_CONCURRENCY
        people, meetings = reminder_bench.PEOPLE, reminder_bench.MEETINGS
        total = people * meetings
        scan = reminder_bench.measure_scan()
        self.stdout.write(f"  scan {scan}")
        # As many targets as reminders (one person each), and a tenth of them: the same
        # queries whatever their number.
        wide = reminder_bench.measure_scan(people=1, meetings=total)
        self.stdout.write(f"  scan of {total} targets {wide}")
        narrow = reminder_bench.measure_scan(repeat=1, people=1, meetings=total // 10)
        self.stdout.write(f"  scan of {total // 10} targets {narrow}")
        cost = reminder_bench.measure_delivery_cost()
        self.stdout.write(f"  cost {cost}")
        celery = reminder_bench.measure_celery_delivery(workers)
        self.stdout.write(f"  celery {celery}")
        naive = reminder_bench.measure_naive_delivery(workers)
        self.stdout.write(f"  naive {naive}")
        reminder_bench.clear()
        ratio = celery["per_second"] / naive["per_second"]
        queries = cost["statements_per_reminder"]

        def met(ok):
            return "met" if ok else "NOT met"

        def spread(found):
            low, high = found["spread_s"]
            return f"median {found['median_s']:.2f} s ({low:.2f}–{high:.2f})"

        fixed = wide["queries"] == narrow["queries"]
        return [
            "",
            "## Reminders",
            "",
            f"{scan['reminders']:,} reminders due at one moment ({people} members of a working "
            f"group, {meetings} meetings a day ahead); and {wide['reminders']:,} due about "
            f"{wide['targets']:,} meetings of one person each. Delivery through Celery: "
            f"{workers} worker processes (as deployed: two per core), batches of "
            f"{settings.REMINDERS_BATCH_SIZE} over one "
            "SMTP connection each, to a local SMTP server that accepts everything. Naive "
            f"baseline: {workers} threads, the same messages each built on its own and sent "
            "over a new SMTP connection, no ledger. Statements and commits counted around the "
            f"same sending code in one process, over {cost['reminders']:,} of the reminders.",
            "",
            "| figure | measured | goal | met |",
            "| --- | --- | --- | --- |",
            f"| scan, {scan['reminders']:,} reminders ({people} × {meetings}) | "
            f"{spread(scan)}, {scan['queries']} queries | ≤ {SCAN_MAX_S:.0f} s "
            f"| {met(scan['median_s'] <= SCAN_MAX_S)} |",
            f"| scan, {wide['targets']:,} targets (one person each) | {spread(wide)}, "
            f"{wide['queries']} queries "
            f"| ≤ {SCAN_MAX_S:.0f} s | {met(wide['median_s'] <= SCAN_MAX_S)} |",
            f"| the next minute's scan of the same {wide['targets']:,} targets (known, "
            f"nothing new due) | {spread(wide['again'])} | (reported) | — |",
            f"| scan queries, {narrow['targets']:,} and {wide['targets']:,} targets | "
            f"{narrow['queries']} and {wide['queries']} | the same | {met(fixed)} |",
            f"| delivery through Celery | {celery['messages']:,} messages in "
            f"{celery['seconds']:.1f} s, **{celery['per_second']:.0f} emails/s**; "
            f"{celery['marked_sent']:,} marked sent | — | — |",
            f"| naive baseline | {naive['messages']:,} messages in {naive['seconds']:.1f} s, "
            f"**{naive['per_second']:.0f} emails/s** | — | — |",
            f"| delivery ÷ naive baseline (this run) | {ratio:.2f} × "
            f"| ≥ {DELIVERY_MIN_RATIO:.0f} × | {met(ratio >= DELIVERY_MIN_RATIO)} |",
            f"| SQL statements per reminder | {queries:.2f} | ≤ {DELIVERY_MAX_QUERIES} "
            f"| {met(queries <= DELIVERY_MAX_QUERIES)} |",
            f"| commits per reminder | {cost['commits_per_reminder']:.2f} | (reported) | — |",
            f"| sending in one process (statements counted) | "
            f"{cost['per_second_one_process']:.0f} emails/s, {cost['marked_sent']:,} of "
            f"{cost['reminders']:,} marked sent | (reported) | — |",
            "",
            "Exactly once: `tests/reminders` (the fault tests, the integration ones with "
            "1,000 reminders through a fault-injecting SMTP server, and the kill tests) "
            "hold the delivery path to it.",
        ]

    def _load(self, seconds, runs, connections):
        """Dashboard under load from a second process: gunicorn serving, wrk requesting.

        The session is checked before and after: a page for signed-in people only must answer
        it 200, not redirect it. Every answer that is not 200 is an error."""
        if not shutil.which("wrk"):
            return [
                "",
                "## Agreement dashboard under load",
                "",
                "Not measured: `wrk` is not installed.",
            ]
        client, agreement = _signed_in_client()
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        workers = 2 * (os.cpu_count() or 1) + 1
        # Each connection sends its next request as soon as the last is answered; with more
        # connections than workers, requests also wait in the server's backlog, as they do
        # when many people open the dashboard at once.
        port = free_port()
        env = {**os.environ, "SECURE_SSL_REDIRECT": "0", "DEBUG": "0"}
        # Only signed-in people get an answer of 200 here; the others are sent to sign in.
        probe = reverse("accounts:profile")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=env,
        )  # fmt: skip
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(load.COUNT_STATUSES)
        results = []
        try:
            wait_for_port(port)
            before = load.signed_in(port, probe, cookie)
            url = f"http://127.0.0.1:{port}{agreement.get_absolute_url()}"

            def wrk(duration):
                return subprocess.run(
                    ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{duration}s",
                     "--timeout", "10s", "-s", script.name, "-H", f"Cookie: {cookie}",
                     "-H", "X-Forwarded-Proto: https", url],
                    capture_output=True, text=True, check=True, timeout=duration + 30,
                ).stdout  # fmt: skip

            wrk(3)  # warm-up, not counted: each worker's first requests load templates
            for number in range(runs):
                results.append(load.parse(wrk(seconds)))
                self.stdout.write(f"  load run {number + 1}: {results[-1]}")
            after = load.signed_in(port, probe, cookie)
        finally:
            server.terminate()
            server.wait(timeout=15)
            os.unlink(script.name)
        self.stdout.write(f"  signed in before {before}, after {after}")
        return _load_report(load.summary(results), before, after, workers, connections, seconds)


# Written by hand below the measured figures (what was changed and why, with the plans): kept
# when the report is measured again.
ANALYSIS_HEADING = "## Analysis"


def _kept_analysis() -> str:
    if not REPORT.exists():
        return ""
    text = REPORT.read_text(encoding="utf-8")
    at = text.find(f"\n{ANALYSIS_HEADING}\n")
    return text[at:] if at >= 0 else ""


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
    _pass_second_factor(client, user)
    return client, Agreement.objects.filter(slug__startswith="generated-").order_by("slug").first()


def _pass_second_factor(client, user):
    """Mark the session as having passed the second factor, which superusers must: with a
    device of the benchmark's person, as a sign-in with its code would."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="benchmark")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


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


def _in_turn(entries: dict, repeat: int) -> dict:
    """{label: figures} of pages measured in turn, request by request: `entries` are {label:
    (database, signed-in client, address)}, each first in every other turn. Figures taken
    together, where the goal is a ratio: on a shared machine, minutes apart, the same page
    differs by more than the ratio is about."""
    found = {}
    for label, (database, client, address) in entries.items():
        with _on_database(database):
            found[label] = [*pages_queries(client, address), []]
    for turn in range(repeat):
        for label in list(entries) if turn % 2 == 0 else list(reversed(entries)):
            database, client, address = entries[label]
            with _on_database(database):
                status, milliseconds = timed(client, address)
            if status != 200:
                found[label][0] = status
            found[label][2].append(milliseconds)
    return {label: page_result(*figures) for label, figures in found.items()}


def _create_database(name: str) -> None:
    """A database of this name beside the benchmark's own, if there is none yet."""
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


# One connection per database, each kept open while another is in use.
_DATABASES = {}


@contextlib.contextmanager
def _on_database(name: str):
    """The default connection on the database `name` meanwhile: each database keeps a
    connection of its own, open, so that going from one to the other costs no new session
    (whose cold caches would be timed); cached content types are forgotten both ways (their
    keys are each database's)."""
    current = connections[DEFAULT_DB_ALIAS]
    _DATABASES.setdefault(current.settings_dict["NAME"], current)
    if name not in _DATABASES:
        settings_dict = {**copy.deepcopy(current.settings_dict), "NAME": name}
        _DATABASES[name] = type(current)(settings_dict, alias=DEFAULT_DB_ALIAS)
    wanted = _DATABASES[name]
    if wanted is current:
        yield
        return
    connections[DEFAULT_DB_ALIAS] = wanted
    ContentType.objects.clear_cache()
    wanted.ensure_connection()
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = current
        ContentType.objects.clear_cache()


def scaled(size: Size, scale: int) -> Size:
    """The data set `scale` times over: as many more agreements and people, each agreement as
    large as before."""
    if scale <= 1:
        return size
    return dataclasses.replace(size, agreements=size.agreements * scale, people=size.people * scale)


def _figure(spread, unit=""):
    if spread is None:
        return "?"
    median, low, high = spread
    return f"{median:.1f}{unit} ({low:.1f}–{high:.1f})"


def _met(spread, ok) -> str:
    """Met when the median of the runs meets the goal."""
    if spread is None:
        return "NOT met"
    return "met" if ok(spread[0]) else "NOT met"


def _load_report(stats, before, after, workers, connections, seconds):
    signed_in = before[0] and after[0]
    no_errors = stats["errors"] == 0 and stats["answers"] > 0
    valid = signed_in and no_errors
    return [
        "",
        "## Agreement dashboard under load",
        "",
        f"gunicorn with {workers} workers (page cache on, as deployed); wrk, 2 threads, "
        f"{connections} connections, {stats['runs']} runs of {seconds} s after a 3 s warm-up, "
        "large data set, signed-in session, on the same machine as the server and the "
        "database. Median of the runs, min–max in brackets. Every answer that is not 200 "
        "(a redirect too) is an error.",
        "",
        "| figure | measured | goal | met |",
        "| --- | --- | --- | --- |",
        f"| session signed in before and after the run | HTTP {before[1]} before, HTTP "
        f"{after[1]} after | 200 both times | {'met' if signed_in else 'NOT met'} |",
        f"| answers not 200, and socket errors | {stats['errors']} of {stats['answers']:,} | 0 "
        f"| {'met' if no_errors else 'NOT met'} |",
        f"| requests/s | {_figure(stats['rps'])} | ≥ {LOAD_MIN_RPS} "
        f"| {_met(stats['rps'], lambda rps: rps >= LOAD_MIN_RPS)} |",
        f"| p50 latency, ms | {_figure(stats['p50'])} | (reported) | — |",
        f"| p99 latency, ms | {_figure(stats['p99'])} | ≤ {LOAD_MAX_P99_MS} "
        f"| {_met(stats['p99'], lambda p99: p99 <= LOAD_MAX_P99_MS)} |",
        "",
        "The figures above are those of the dashboard, signed in: "
        + ("valid." if valid else "**NOT valid** (see the rows not met)."),
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
        "Median server time over repeated requests, in milliseconds, with min–max spread, "
        "rendered on every request (page cache off). Goals: the same number of queries at "
        f"both sizes; the agreement dashboard within {DASHBOARD_TARGET_MS} ms at large size as "
        "deployed, that is served from the page cache (its figure below; the figure rendered "
        "on every request is shown beside it).",
        "",
        "| page | queries small | queries large | same queries (goal) | median ms small "
        "| median ms large | spread large | time goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    all_same = True
    for name, result in large["results"].items():
        q_small, ms_small, _ = fmt(small["results"].get(name, {}))
        q_large, ms_large, spread = fmt(result)
        same = result.get("status") == 200 and q_small == q_large
        all_same = all_same and same
        goal = "—"
        cached = large.get("cached", {}).get(name, {})
        if name == "agreement dashboard" and cached.get("status") == 200:
            met = cached["median_ms"] <= DASHBOARD_TARGET_MS
            goal = (
                f"≤ {DASHBOARD_TARGET_MS} ms from the page cache: {cached['median_ms']:.1f} ms, "
                f"{'met' if met else 'NOT met'} (rendered: {ms_large} ms)"
            )
        elif name == "agreement dashboard":
            goal = f"≤ {DASHBOARD_TARGET_MS} ms from the page cache: not measured, NOT met"
        lines.append(
            f"| {name} | {q_small} | {q_large} | {'met' if same else 'NOT met'} | {ms_small} "
            f"| {ms_large} | {spread} | {goal} |"
        )
    lines += [
        "",
        f"Goal: the same number of queries at both sizes: {'met' if all_same else 'NOT met'}.",
    ]
    if large.get("cached"):
        lines += [
            "",
            "### From the page cache",
            "",
            "The same pages served from the page cache (a reader of the same scope, language, "
            "zone and as-of point saw them since the agreement last changed).",
            "",
            "| page | queries large | median ms large | spread large |",
            "| --- | --- | --- | --- |",
        ]
        for name, result in large["cached"].items():
            q_large, ms_large, spread = fmt(result)
            lines.append(f"| {name} | {q_large} | {ms_large} | {spread} |")
    return lines


def _scale_table(large, bigger, scale):
    """Each page at `scale` times the large size beside the large size, from the same run."""
    lines = [
        "",
        f"### {scale} × the large size beside the large size",
        "",
        f"{scale} × the large set: "
        + ", ".join(f"{count:,} {name}" for name, count in bigger.get("counts", {}).items())
        + ".",
        "",
        f"Goal: every page within {SCALE_SLOWER:.0%} of its large-size time (median, page cache "
        "off), with the same number of queries.",
        "",
        "| page | ms large | ms at scale | slower by | queries large / at scale | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    all_met = True
    for name, result in bigger["results"].items():
        base = large["results"].get(name, {})
        if result.get("status") != 200 or base.get("status") != 200:
            all_met = False
            lines.append(f"| {name} | HTTP {base.get('status')} | HTTP {result.get('status')} "
                         "| | | NOT met |")  # fmt: skip
            continue
        slower = result["median_ms"] / base["median_ms"] - 1
        ok = slower <= SCALE_SLOWER and result["queries"] == base["queries"]
        if name == YARDSTICK_PAIR[1]:
            verdict = "yardstick (not counted)"
        else:
            all_met = all_met and ok
            verdict = "met" if ok else "NOT met"
        lines.append(
            f"| {name} | {base['median_ms']:.1f} | {result['median_ms']:.1f} | {slower:+.0%} "
            f"| {base['queries']} / {result['queries']} | {verdict} |"
        )
    lines += [
        "",
        f"Goal at {scale} × the large size, over the product's pages: "
        f"{'met' if all_met else 'NOT met'}. Each page of each size measured in turn, request "
        "by request, from two databases holding the two sets. The administration's changelist "
        "of every chapter is the yardstick the chapter list is compared with (below), as Django "
        "ships it: it counts and sorts every chapter of every agreement, so it grows with them.",
    ]
    return lines


def _admin_ratio(large, in_turn):
    """The chapter list beside the admin's changelist: from their measure in turn."""
    ours, admin = (in_turn.get(name, {}) for name in YARDSTICK_PAIR)
    if ours.get("status") != 200 or admin.get("status") != 200:
        return []
    speedup = admin["median_ms"] / ours["median_ms"]
    lines = [
        "",
        "## Chapter list beside the admin's changelist and the API (large size)",
        "",
        f"Measured in turn, request by request: chapter list {ours['median_ms']:.1f} ms "
        f"({ours['queries']} queries), admin changelist {admin['median_ms']:.1f} ms "
        f"({admin['queries']} queries): the list is {speedup:.2f} × as fast; goal: at least "
        f"{ADMIN_MIN_RATIO:.2f} ×: {'met' if speedup >= ADMIN_MIN_RATIO else 'NOT met'}.",
    ]
    api = large["results"].get("chapter list API", {})
    if api.get("status") == 200:
        lines.append(
            f"The API's chapter list (`/api/v1/agreements/<slug>/chapters/`, one page of "
            f"{StableCursorPagination.page_size} by cursor): {api['median_ms']:.1f} ms "
            f"({api['queries']} queries)."
        )
    return lines
