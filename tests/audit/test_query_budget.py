"""The audit trail runs the same queries for a handful of entries and for hundreds: related
records are named from one query per kind for the whole page, never one per row."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations.services import create_commitment, update_commitment
from workinggroups.services import (
    create_chapter,
    open_contested_point,
    update_chapter,
    update_contested_point,
)

pytestmark = pytest.mark.django_db

BUDGET = 20


def grow(world, start, size):
    """`size` rounds of every kind of edit: chapters, points with positions, commitments."""
    party = world.agreement.parties.first()
    for step in range(start, start + size):
        chapter = create_chapter(working_group=world.group, title=f"Annex {step}", by=world.chief)
        update_chapter(chapter=chapter, title=f"Annex {step} (b)", by=world.negotiator)
        point = open_contested_point(
            chapter=chapter,
            title=f"Point {step}",
            by=world.negotiator,
            owner=world.negotiator,
            raised_at=world.meeting,
            opened_on=dt.date(2020, 4, 8),
            positions={party: "Forty per cent."},
        )
        update_contested_point(
            point=point, title=point.title, by=world.chief, positions={party: "Thirty."}
        )
        commitment = create_commitment(
            meeting=world.meeting, text=f"Send list {step}", party=party, by=world.chief
        )
        update_commitment(
            commitment=commitment,
            text=commitment.text,
            party=party,
            owner=world.negotiator,
            chapter=chapter,
            due_on=dt.date(2020, 5, 15),
            status="in_progress",
            by=world.chief,
        )


def count_queries(client, url, **headers):
    client.get(url, **headers)  # the first request of a session may warm caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    ("page", "query", "headers"),
    [
        ("the page", "", {}),
        ("the table for htmx", "", {"HTTP_HX_REQUEST": "true"}),
        ("one kind of record", "?action=update", {}),
        ("the CSV download", "?export=csv", {}),
        ("the XLSX download", "?export=xlsx", {}),
    ],
)
def test_the_audit_trail_runs_a_fixed_number_of_queries(client, world, page, query, headers):
    client.force_login(world.secretariat)
    url = reverse("audit:entry-list") + query
    grow(world, 0, 2)
    small = count_queries(client, url, **headers)
    grow(world, 2, 20)
    large = count_queries(client, url, **headers)
    assert small == large, page
    assert large <= BUDGET, page


@pytest.mark.parametrize("page", ["chapter", "point", "commitment"])
def test_a_change_log_runs_a_fixed_number_of_queries(client, world, page):
    client.force_login(world.official)
    party = world.agreement.parties.first()
    point = open_contested_point(
        chapter=world.chapter, title="Cumulation", by=world.negotiator, positions={party: "A"}
    )
    commitment = create_commitment(meeting=world.meeting, text="Send", by=world.chief)
    url = {
        "chapter": world.chapter.get_absolute_url(),
        "point": point.get_absolute_url(),
        "commitment": commitment.get_absolute_url(),
    }[page]
    counts = []
    for size in (1, 12):
        for step in range(size):
            update_chapter(chapter=world.chapter, title=f"Chapter {step}", by=world.chief)
            update_contested_point(
                point=point, title=f"Point {step}", by=world.chief, positions={party: f"P{step}"}
            )
            update_commitment(
                commitment=commitment,
                text=f"Send {step}",
                party=party if step % 2 else None,
                owner=world.negotiator,
                chapter=world.chapter,
                status="pledged",
                by=world.chief,
            )
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1]
