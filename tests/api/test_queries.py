"""Every list runs the same number of queries for a few rows as for many; and a cursor walk
neither repeats nor skips rows when rows are added meanwhile."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    DeadlineFactory,
    MeetingFactory,
    NegotiationRoundFactory,
    WorkingGroupFactory,
)
from workinggroups.models import ChapterStatusChange, Position
from workinggroups.services import update_chapter


def _grow(world, n):
    """n more of everything in the world's agreement."""
    party = world.agreement.parties.first()
    for _ in range(n):
        group = WorkingGroupFactory(agreement=world.agreement)
        chapter = ChapterFactory(working_group=group)
        point = ContestedPointFactory(chapter=chapter, opened_on=dt.date(2020, 4, 1))
        Position.objects.create(contested_point=point, party=party, text="Our position.")
        meeting = MeetingFactory(agreement=world.agreement)
        meeting.working_groups.set([group])
        DeadlineFactory(agreement=world.agreement, working_group=group)
        CommitmentFactory(meeting=meeting, party=party)
        NegotiationRoundFactory(agreement=world.agreement)
        ChapterStatusChange.objects.create(
            chapter=world.chapter, from_status="not_started", to_status="under_negotiation"
        )
        # Audit entries, by the secretariat.
        update_chapter(chapter=chapter, title=f"{chapter.title} (rev)", by=world.secretariat)


LISTS = [
    ("agreements", lambda w: "/api/v1/agreements/", {}),
    ("parties", lambda w: "/api/v1/parties/", {}),
    ("rounds", lambda w: f"/api/v1/agreements/{w.agreement.slug}/rounds/", {}),
    ("working groups", lambda w: f"/api/v1/agreements/{w.agreement.slug}/working-groups/", {}),
    ("chapters", lambda w: f"/api/v1/agreements/{w.agreement.slug}/chapters/", {}),
    (
        "chapters as of a day",
        lambda w: f"/api/v1/agreements/{w.agreement.slug}/chapters/",
        {"as_of": "2020-05-01", "status": "not_started"},
    ),
    ("chapter history", lambda w: f"/api/v1/chapters/{w.chapter.pk}/history/", {}),
    (
        "contested points",
        lambda w: f"/api/v1/agreements/{w.agreement.slug}/contested-points/",
        {"state": "open"},
    ),
    ("meetings", lambda w: f"/api/v1/agreements/{w.agreement.slug}/meetings/", {}),
    ("deadlines", lambda w: f"/api/v1/agreements/{w.agreement.slug}/deadlines/", {}),
    (
        "deadlines as of a day",
        lambda w: f"/api/v1/agreements/{w.agreement.slug}/deadlines/",
        {"as_of": "2020-05-01"},
    ),
    (
        "commitments",
        lambda w: f"/api/v1/agreements/{w.agreement.slug}/commitments/",
        {"as_of": "2020-05-01"},
    ),
    ("audit trail", lambda w: "/api/v1/audit/", {"action": "update"}),
]


@pytest.mark.parametrize(("name", "url", "query"), LISTS, ids=[name for name, _, _ in LISTS])
def test_list_queries_do_not_grow_with_the_rows(world, api_as, name, url, query):
    api = api_as(world.secretariat)
    counts = []
    for grow_by in (2, 12):
        _grow(world, grow_by)
        api.get(url(world), query)  # the token's first use is written once; not counted
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url(world), query)
        assert response.status_code == 200, response.content
        assert response.json()["results"], name
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{name}: {counts}"


def test_meeting_version_read_from_the_list_is_the_services_fingerprint(world, api_as):
    from negotiations.services.schedule import meeting_fingerprint

    rows = (
        api_as(world.official)
        .get(f"/api/v1/agreements/{world.agreement.slug}/meetings/")
        .json()["results"]
    )
    assert {row["id"]: row["version"] for row in rows} == {
        meeting.pk: meeting_fingerprint(meeting) for meeting in world.agreement.meetings.all()
    }


def test_a_cursor_walk_is_stable_while_rows_are_added(world, api_as):
    api = api_as(world.official)
    for _ in range(4):
        ChapterFactory(working_group=world.group)
    url = f"/api/v1/agreements/{world.agreement.slug}/chapters/"
    page = api.get(url, {"page_size": 3}).json()
    seen = [row["id"] for row in page["results"]]
    # Someone adds chapters while the client reads on.
    added = [ChapterFactory(working_group=world.other_group).pk for _ in range(2)]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert len(seen) == len(set(seen))
    expected = set(world.agreement.working_groups.values_list("chapters", flat=True))
    assert set(seen) == expected
    assert set(added) <= set(seen)
