"""Builders for the dashboards' tests: people with a role, and negotiations of any size."""

import datetime as dt

import pytest

from negotiations.choices import CommitmentStatus, MeetingKind, Role
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    DeadlineFactory,
    MeetingFactory,
    NegotiationRoundFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.models import ChapterStatusChange

JAN = dt.datetime(2020, 1, 21, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def official(seed):
    """An official of the Cambodia–China FTA: reads everything, changes nothing."""
    return RoleAssignmentFactory(agreement=seed, role=Role.OFFICIAL).user


@pytest.fixture
def outsider(db):
    """Signed in, with a role in another agreement only."""
    return RoleAssignmentFactory(role=Role.CHIEF_NEGOTIATOR).user


def build_negotiation(user, *, groups=2, chapters=2, rounds=2, role=Role.OFFICIAL):
    """An agreement with groups, chapters, a history per round, meetings, deadlines, points
    and commitments, all in the past or near future, with `user` holding `role` in it."""
    agreement = AgreementFactory()
    RoleAssignmentFactory(user=user, agreement=agreement, role=role)
    parties = list(agreement.parties.all())
    made = []
    for number in range(1, rounds + 1):
        start = dt.date(2020, 1, 20) + dt.timedelta(days=60 * (number - 1))
        negotiation_round = NegotiationRoundFactory(
            agreement=agreement, number=number, starts_on=start, ends_on=start
        )
        plenary = MeetingFactory(
            agreement=agreement,
            negotiation_round=negotiation_round,
            kind=MeetingKind.ROUND_PLENARY,
            starts_at=JAN + dt.timedelta(days=60 * (number - 1)),
            ends_at=JAN + dt.timedelta(days=60 * (number - 1), hours=2),
        )
        made.append((negotiation_round, plenary))
    for g in range(groups):
        group = WorkingGroupFactory(agreement=agreement, order=g)
        for c in range(chapters):
            chapter = ChapterFactory(working_group=group, order=c, status="agreed")
            previous = "not_started"
            for (_, plenary), status in zip(
                made, ["under_negotiation", "agreed_in_principle", "agreed"], strict=False
            ):
                ChapterStatusChange.objects.create(
                    chapter=chapter,
                    from_status=previous,
                    to_status=status,
                    meeting=plenary,
                    negotiation_round=plenary.negotiation_round,
                    effective_at=plenary.ends_at,
                )
                previous = status
            ContestedPointFactory(chapter=chapter, owner=user, opened_on=dt.date(2020, 1, 21))
        DeadlineFactory(agreement=agreement, working_group=group, due_on=dt.date(2020, 2, 1))
    for _ in range(2):
        MeetingFactory(
            agreement=agreement,
            starts_at=dt.datetime(2020, 2, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2020, 2, 1, 2, tzinfo=dt.UTC),
        )
        CommitmentFactory(
            meeting=made[0][1],
            party=parties[0],
            owner=user,
            due_on=dt.date(2020, 1, 30),
            status=CommitmentStatus.PLEDGED,
        )
    return agreement


@pytest.fixture
def negotiations(db):
    """make(n) → (user, [agreements]): n negotiations the same official may see."""

    def make(n, **sizes):
        user = UserFactory()
        return user, [build_negotiation(user, **sizes) for _ in range(n)]

    return make
