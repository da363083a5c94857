"""The benchmark's own parts: a deterministic data set, honest query counts, a due set of
reminders of the size announced."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks import reminders as reminder_bench
from benchmarks.generator import SMALL, clear, generate
from benchmarks.pages import measure, page_addresses
from negotiations.choices import Role
from negotiations.models import Agreement, RoleAssignment
from reminders import services
from reminders.models import Reminder
from workinggroups.models import ChapterStatusChange

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def snapshot():
    return sorted(
        ChapterStatusChange.objects.values_list(
            "chapter__title", "from_status", "to_status", "effective_at"
        )
    )


def test_the_same_seed_gives_the_same_data():
    counts = generate(SMALL, seed=7, today=TODAY)
    first = snapshot()
    assert counts == generate(SMALL, seed=7, today=TODAY)
    assert snapshot() == first
    assert counts["chapters"] == 10 * SMALL.chapters_per_group
    generate(SMALL, seed=8, today=TODAY)
    assert snapshot() != first
    clear()
    assert not Agreement.objects.filter(slug__startswith="generated-").exists()


def signed_in_to_generated(client, role):
    """A small generated agreement, and the client signed in as someone of this role in it."""
    generate(SMALL, seed=7, today=TODAY)
    agreement = Agreement.objects.get(slug__startswith="generated-")
    person = get_user_model().objects.create_user("bench", "bench@example.org", "x" * 16)
    RoleAssignment.objects.create(user=person, agreement=agreement, role=role)
    client.force_login(person)
    return agreement


def test_a_page_measure_counts_the_queries_the_page_runs(client):
    agreement = signed_in_to_generated(client, Role.CHIEF_NEGOTIATOR)
    address = page_addresses(agreement)["agreement dashboard"]

    result = measure(client, address, repeat=2)

    with CaptureQueriesContext(connection) as expected:
        client.get(address)
    assert result["status"] == 200
    assert result["queries"] == len(expected) > 0
    assert result["median_ms"] > 0


def test_the_api_chapter_list_is_measured_beside_the_page(client):
    agreement = signed_in_to_generated(client, Role.OFFICIAL)
    addresses = page_addresses(agreement)

    page = measure(client, addresses["chapter list"], repeat=1)
    api = measure(client, addresses["chapter list API"], repeat=1)

    assert addresses["chapter list API"] == f"/api/v1/agreements/{agreement.slug}/chapters/"
    assert page["status"] == api["status"] == 200
    assert api["queries"] > 0


def test_the_reminder_set_is_due_all_at_once(monkeypatch):
    monkeypatch.setattr(reminder_bench, "PEOPLE", 4)
    monkeypatch.setattr(reminder_bench, "MEETINGS", 3)
    now = timezone.now()
    agreement = reminder_bench.build(now)

    batches = services.scan(now=now)

    assert Reminder.objects.filter(agreement=agreement).count() == 12
    assert sum(len(batch) for batch in batches) == 12
    reminder_bench.clear()
    assert not Reminder.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_delivery_cost_counts_statements_and_commits_on_the_real_path(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark counts PostgreSQL's statements (SQLite adds savepoints)")
    monkeypatch.setattr(reminder_bench, "PEOPLE", 3)
    monkeypatch.setattr(reminder_bench, "MEETINGS", 2)

    cost = reminder_bench.measure_delivery_cost(batches=1)

    # One batch: two meetings' three people, each sent and marked once.
    assert cost["reminders"] == cost["messages"] == cost["marked_sent"] == 6
    # The batch's claim; per message one statement, its handover with the mark of the one
    # before; the last one's mark; and the batch's few reads. Each is its own commit.
    updates = 1 + 6 + 1
    assert updates < cost["statements"] <= updates + 10
    assert cost["statements"] == cost["commits"]
    assert cost["statements_per_reminder"] < 3
    reminder_bench.clear()


def test_pages_measured_in_turn_alternate_and_are_each_timed_as_often(client, monkeypatch):
    from benchmarks.management.commands import run_benchmarks

    agreement = signed_in_to_generated(client, Role.CHIEF_NEGOTIATOR)
    pages = page_addresses(agreement)
    database = connection.settings_dict["NAME"]
    order = []
    timed = run_benchmarks.timed

    def recording(client, address):
        order.append(address)
        return timed(client, address)

    monkeypatch.setattr(run_benchmarks, "timed", recording)
    found = run_benchmarks._in_turn(
        {
            "list": (database, client, pages["chapter list"]),
            "dashboard": (database, client, pages["agreement dashboard"]),
        },
        4,
    )

    first, second = pages["chapter list"], pages["agreement dashboard"]
    assert order == [first, second, second, first, first, second, second, first]
    assert found["list"]["status"] == found["dashboard"]["status"] == 200
    assert found["list"]["queries"] > 0
    assert found["dashboard"]["queries"] > 0
    assert found["list"]["median_ms"] > 0
