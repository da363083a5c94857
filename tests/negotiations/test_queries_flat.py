"""The reads whose cost grew with the portfolio: the agreement list's counts, the latest changes
of one agreement and the portfolio's overdue commitments. Each gives the same answers as the
plain reading of the data and runs the same number of queries for one small negotiation and
for many larger ones."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import selectors
from dashboards.asof import AsOf, parse
from negotiations.choices import CommitmentStatus
from negotiations.models import Agreement, Commitment
from tests.dashboards.conftest import build_negotiation
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    MeetingFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.models import Chapter, ChapterStatusChange

pytestmark = pytest.mark.django_db


def queries_of(client, url):
    client.get(url)  # the first request of a session may warm caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


def test_agreement_list_counts_parties_and_chapters_without_multiplying_them(client):
    user = UserFactory()
    big = AgreementFactory(name="A big one", parties=[PartyFactory() for _ in range(5)])
    small = AgreementFactory(name="B small one")
    empty = AgreementFactory(name="C without chapters", parties=[PartyFactory()])
    for agreement in (big, small, empty):
        RoleAssignmentFactory(user=user, agreement=agreement)
    for _ in range(3):
        group = WorkingGroupFactory(agreement=big)
        for _ in range(4):
            ChapterFactory(working_group=group)
    ChapterFactory(working_group=WorkingGroupFactory(agreement=small))
    client.force_login(user)

    _, response = queries_of(client, reverse("negotiations:agreement-list"))

    rows = {row.record.name: row.record for row in response.context["table"].page.object_list}
    assert (rows["A big one"].party_count, rows["A big one"].chapter_count) == (5, 12)
    assert (rows["B small one"].party_count, rows["B small one"].chapter_count) == (2, 1)
    assert (rows["C without chapters"].party_count, rows["C without chapters"].chapter_count) == (
        1,
        0,
    )


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("party_count", ["Few", "Many"]),
        ("-party_count", ["Many", "Few"]),
        ("chapter_count", ["Many", "Few"]),
        ("-chapter_count", ["Few", "Many"]),
    ],
)
def test_agreement_list_still_sorts_by_its_counts(client, order, expected):
    user = UserFactory()
    few = AgreementFactory(name="Few", parties=[PartyFactory()])
    many = AgreementFactory(name="Many", parties=[PartyFactory() for _ in range(4)])
    for agreement, chapters in ((few, 3), (many, 1)):
        RoleAssignmentFactory(user=user, agreement=agreement)
        group = WorkingGroupFactory(agreement=agreement)
        for _ in range(chapters):
            ChapterFactory(working_group=group)
    client.force_login(user)

    response = client.get(reverse("negotiations:agreement-list"), {"sort": order})

    names = [row.record.name for row in response.context["table"].page.object_list]
    assert names == expected


def test_agreement_list_runs_the_same_queries_at_two_sizes(client):
    small_user, large_user = UserFactory(), UserFactory()
    build_negotiation(small_user, groups=1, chapters=1, rounds=1)
    for _ in range(8):
        build_negotiation(large_user, groups=3, chapters=3, rounds=3)
    url = reverse("negotiations:agreement-list")

    client.force_login(small_user)
    small, _ = queries_of(client, url)
    client.force_login(large_user)
    large, _ = queries_of(client, url)

    assert small == large


def _change(chapter, at, to_status="under_negotiation"):
    return ChapterStatusChange.objects.create(
        chapter=chapter, from_status="not_started", to_status=to_status, effective_at=at
    )


def test_latest_changes_are_this_agreements_own_latest_first():
    ours, theirs = AgreementFactory(), AgreementFactory()
    our_chapters = [ChapterFactory(working_group=WorkingGroupFactory(agreement=ours)) for _ in "ab"]
    their_chapter = ChapterFactory(working_group=WorkingGroupFactory(agreement=theirs))
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    ours_made = [_change(our_chapters[n % 2], start + dt.timedelta(days=n)) for n in range(14)]
    # Another agreement's history, newer than all of ours: never listed, never in the way.
    for n in range(30):
        _change(their_chapter, start + dt.timedelta(days=100 + n))
    ids = Chapter.objects.filter(working_group__agreement=ours).values_list("pk", flat=True)

    now = list(selectors.latest_changes(ids, parse(None)))
    moment = start + dt.timedelta(days=4, hours=1)
    then = list(selectors.latest_changes(ids, AsOf(moment=moment, day=moment.date(), param="x")))

    assert now == list(reversed(ours_made))[: selectors.LATEST_CHANGES]
    assert then == list(reversed(ours_made[:5]))
    assert selectors.latest_changes([], parse(None)).count() == 0


def test_dashboard_lists_the_latest_changes_of_its_agreement(client):
    user = UserFactory()
    agreement = build_negotiation(user, groups=2, chapters=2, rounds=3)
    other = build_negotiation(UserFactory(), groups=2, chapters=2, rounds=3)
    # The other agreement moved last.
    _change(Chapter.objects.filter(working_group__agreement=other).first(), dt.datetime.now(dt.UTC))
    client.force_login(user)

    response = client.get(reverse("dashboards:agreement", args=[agreement.slug]))

    listed = list(response.context["latest_changes"])
    assert len(listed) == selectors.LATEST_CHANGES
    assert {c.chapter.working_group.agreement_id for c in listed} == {agreement.pk}
    moments = [c.effective_at for c in listed]
    assert moments == sorted(moments, reverse=True)


def test_portfolio_counts_overdue_commitments_per_agreement(client):
    user = UserFactory()
    agreements = [AgreementFactory(name=f"Agreement {n}") for n in range(3)]
    past = dt.date(2020, 1, 1)
    for index, agreement in enumerate(agreements):
        RoleAssignmentFactory(user=user, agreement=agreement)
        meetings = [MeetingFactory(agreement=agreement) for _ in range(2)]
        for n in range(index + 1):
            CommitmentFactory(meeting=meetings[n % 2], due_on=past)  # overdue
        CommitmentFactory(meeting=meetings[0], due_on=past, status=CommitmentStatus.DELIVERED)
        CommitmentFactory(meeting=meetings[1], due_on=dt.date(2999, 1, 1))  # not yet due
        CommitmentFactory(meeting=meetings[1], due_on=None)  # no due day
    rows = selectors.portfolio(
        Agreement.objects.filter(pk__in=[a.pk for a in agreements]), parse(None)
    )

    assert {a.name: a.overdue_commitments for a in rows} == {
        "Agreement 0": 1,
        "Agreement 1": 2,
        "Agreement 2": 3,
    }
    assert AgreementFactory().pk not in {a.pk for a in rows}
    none = selectors.portfolio(Agreement.objects.filter(name="Agreement 0"), parse("2019-12-01"))
    assert [a.overdue_commitments for a in none] == [0]


def test_open_commitments_have_an_index_by_meeting_and_due_day():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Commitment._meta.db_table)
    index = indexes["commitment_open_by_due_day"]
    assert index["index"]
    assert index["columns"] == ["meeting_id", "due_on"]
