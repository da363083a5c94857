"""A large, realistic, deterministic data set: a ministry's portfolio after years of work.

Rows are written with bulk_create rather than through the services: the point is volume
(tens of thousands of history rows in seconds), and the generator keeps every invariant the
services and constraints keep — each chapter's history is a chain whose last target is its
status, every move is dated at a round of its own agreement, and no contested point is resolved
before it was opened.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from negotiations.choices import (
    AgreementStatus,
    CommitmentStatus,
    MeetingKind,
    Role,
    RoundMode,
)
from negotiations.models import (
    Agreement,
    Commitment,
    Deadline,
    Delegation,
    Meeting,
    NegotiationRound,
    Party,
    RoleAssignment,
)
from workinggroups.choices import ChapterStatus, ContestedPointState, MembershipRole
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Membership,
    WorkingGroup,
)

SLUG_PREFIX = "generated-"
USERNAME_PREFIX = "generated-"
ZONES = ["Asia/Phnom_Penh", "Asia/Shanghai", "Asia/Tokyo", "Europe/Brussels", "America/Lima"]
AREAS = [
    ("TIG", "Trade in Goods"),
    ("TIS", "Trade in Services"),
    ("ROO", "Rules of Origin"),
    ("CPTF", "Customs Procedures and Trade Facilitation"),
    ("SPS", "Sanitary and Phytosanitary Measures"),
    ("TBT", "Technical Barriers to Trade"),
    ("INV", "Investment"),
    ("ECOM", "E-commerce"),
    ("IP", "Intellectual Property"),
    ("LEG", "Legal and Institutional Provisions"),
]
STATUSES = list(ChapterStatus)
BATCH = 2000


@dataclass(frozen=True)
class Size:
    agreements: int = 50
    people: int = 2000
    chapters_per_group: int = 6
    rounds: int = 20
    changes_per_chapter: int = 20
    meetings_per_agreement: int = 240
    deadlines_per_agreement: int = 160
    points_per_agreement: int = 120
    commitments_per_agreement: int = 100


SMALL = Size(
    agreements=1,
    people=20,
    chapters_per_group=2,
    rounds=3,
    changes_per_chapter=3,
    meetings_per_agreement=10,
    deadlines_per_agreement=6,
    points_per_agreement=4,
    commitments_per_agreement=4,
)


def analyze(tables=()) -> None:
    """The database as autovacuum leaves a live one some minutes after a bulk load: the rows
    of the data set it replaced cleared away, and fresh planner statistics. Without the first,
    planning a query whose value lies at the edge of an index walked thousands of dead index
    entries (the meeting page planned in 9 ms instead of 0.6); without the second, PostgreSQL
    plans for nearly empty tables. `tables`: these only (all by default)."""
    if connection.vendor == "postgresql":
        # VACUUM cannot run in a transaction (a test's, say): there, statistics only.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {', '.join(tables)}".strip())


def generated_people(prefix: str, count: int, time_zone) -> list:
    """`count` people named `<prefix><n>`, each in the zone `time_zone()` gives; their password
    is unusable, so generated people cannot sign in."""
    password = make_password(None)
    User = get_user_model()
    return User.objects.bulk_create(
        (
            User(
                username=f"{prefix}{n:05d}",
                email=f"{prefix}{n:05d}@example.org",
                first_name=f"Person {n:05d}",
                password=password,
                time_zone=time_zone(),
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )


def clear() -> None:
    """Remove everything an earlier run generated (and nothing else)."""
    agreements = Agreement.objects.filter(slug__startswith=SLUG_PREFIX)
    ChapterStatusChange.objects.filter(chapter__working_group__agreement__in=agreements).delete()
    Commitment.objects.filter(meeting__agreement__in=agreements).delete()
    agreements.delete()
    get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).delete()
    Party.objects.filter(code__startswith="Q").delete()


@transaction.atomic
def generate(size: Size = Size(), *, seed: int = 2020, today: dt.date | None = None) -> dict:
    """Write the data set; the same seed and `today` give the same data."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    clear()

    parties = Party.objects.bulk_create(
        Party(code=f"Q{n:02d}", name=f"Generated party {n:02d}", capital_time_zone=zone)
        for n, zone in enumerate(rng.choices(ZONES, k=60))
    )
    people = generated_people(USERNAME_PREFIX, size.people, lambda: rng.choice(ZONES))
    counts = {"parties": len(parties), "people": len(people)}
    for index in range(size.agreements):
        for key, value in _agreement(rng, size, index, parties, people, today).items():
            counts[key] = counts.get(key, 0) + value
    return counts


def _agreement(rng, size, index, parties, people, today):
    launched = today - dt.timedelta(days=rng.randint(400, 2400))
    agreement = Agreement.objects.create(
        name=f"Generated agreement {index + 1:03d}",
        short_name=f"GEN {index + 1:03d}",
        slug=f"{SLUG_PREFIX}{index + 1:03d}",
        status=AgreementStatus.UNDER_NEGOTIATION,
        launched_on=launched,
        target_conclusion_on=today + dt.timedelta(days=rng.randint(30, 700)),
        is_demo=True,
        description="Generated data for measuring the tracker at scale.",
    )
    at_table = rng.sample(parties, rng.randint(2, 15))
    Delegation.objects.bulk_create(Delegation(agreement=agreement, party=p) for p in at_table)

    team = rng.sample(people, min(len(people), rng.randint(20, 80)))
    roles = [Role.CHIEF_NEGOTIATOR, Role.SECRETARIAT, Role.OFFICIAL] + [Role.NEGOTIATOR] * 7
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=person, agreement=agreement, role=rng.choice(roles)) for person in team
    )
    groups = WorkingGroup.objects.bulk_create(
        WorkingGroup(agreement=agreement, code=code, name=name, order=n)
        for n, (code, name) in enumerate(AREAS, start=1)
    )
    Membership.objects.bulk_create(
        Membership(
            working_group=group,
            user=person,
            party=rng.choice(at_table),
            role=MembershipRole.MEMBER,
        )
        for group in groups
        for person in rng.sample(team, min(len(team), 6))
    )

    # Rounds every ~10 weeks from the launch; some still ahead.
    rounds, round_day = [], launched
    for number in range(1, size.rounds + 1):
        in_person = rng.random() < 0.6
        rounds.append(
            NegotiationRound(
                agreement=agreement,
                number=number,
                starts_on=round_day,
                ends_on=round_day + dt.timedelta(days=2),
                mode=RoundMode.IN_PERSON if in_person else RoundMode.VIDEO_CONFERENCE,
                host_party=rng.choice(at_table) if in_person else None,
            )
        )
        round_day += dt.timedelta(days=rng.randint(50, 90))
    rounds = NegotiationRound.objects.bulk_create(rounds)

    def moment(day, hour):
        return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)

    meetings = [
        Meeting(
            agreement=agreement,
            negotiation_round=r,
            kind=MeetingKind.ROUND_PLENARY,
            title=f"Round {r.number} — plenary",
            starts_at=moment(r.starts_on, 2),
            ends_at=moment(r.ends_on, 10),
            time_zone=rng.choice(ZONES),
        )
        for r in rounds
    ]
    span = (today + dt.timedelta(days=120) - launched).days
    for n in range(size.meetings_per_agreement - len(rounds)):
        day = launched + dt.timedelta(days=rng.randint(0, span))
        meetings.append(
            Meeting(
                agreement=agreement,
                kind=rng.choice([MeetingKind.WORKING_GROUP, MeetingKind.INTERSESSIONAL]),
                title=f"Working session {n + 1}",
                starts_at=moment(day, rng.randint(0, 12)),
                ends_at=moment(day, 13),
                time_zone=rng.choice(ZONES),
                is_cancelled=rng.random() < 0.03,
            )
        )
    meetings = Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    through = Meeting.working_groups.through
    through.objects.bulk_create(
        (
            through(meeting_id=m.pk, workinggroup_id=g.pk)
            for m in meetings
            for g in (groups if m.kind == MeetingKind.ROUND_PLENARY else [rng.choice(groups)])
        ),
        batch_size=BATCH,
    )

    chapters = [
        Chapter(working_group=group, title=f"{group.name} — part {n}", order=n)
        for group in groups
        for n in range(1, size.chapters_per_group + 1)
    ]
    changes = []
    past_rounds = [r for r in rounds if r.ends_on < today] or rounds[:1]
    for chapter in chapters:
        status = ChapterStatus.NOT_STARTED
        moves = sorted(rng.choices(range(len(past_rounds)), k=size.changes_per_chapter))
        for step, round_index in enumerate(moves):
            rank = STATUSES.index(status)
            forward = rank < len(STATUSES) - 1 and (rank == 0 or rng.random() < 0.8)
            target = STATUSES[rank + 1] if forward else STATUSES[rank - 1]
            made_at = past_rounds[round_index]
            changes.append(
                ChapterStatusChange(
                    chapter=chapter,
                    from_status=status,
                    to_status=target,
                    negotiation_round=made_at,
                    note="" if forward else "Reopened after a change in the tariff offer.",
                    effective_at=moment(made_at.ends_on, 10) + dt.timedelta(seconds=step),
                    recorded_at=moment(made_at.ends_on, 12),
                    changed_by=rng.choice(team),
                )
            )
            status = target
        chapter.status = status
        chapter.version = size.changes_per_chapter + 1
    chapters = Chapter.objects.bulk_create(chapters, batch_size=BATCH)
    ChapterStatusChange.objects.bulk_create(changes, batch_size=BATCH)

    points = []
    for n in range(size.points_per_agreement):
        opened = launched + dt.timedelta(days=rng.randint(0, max(1, (today - launched).days)))
        state = rng.choice(list(ContestedPointState))
        resolved = (
            min(today, opened + dt.timedelta(days=rng.randint(1, 200)))
            if state == ContestedPointState.RESOLVED
            else None
        )
        points.append(
            ContestedPoint(
                chapter=rng.choice(chapters),
                title=f"Contested point {n + 1}",
                owner=rng.choice(team),
                target_date=opened + dt.timedelta(days=rng.randint(14, 120)),
                state=state,
                opened_on=opened,
                resolved_on=resolved,
            )
        )
    ContestedPoint.objects.bulk_create(points, batch_size=BATCH)

    deadlines = []
    for n in range(size.deadlines_per_agreement):
        due = launched + dt.timedelta(days=rng.randint(0, span))
        done = due < today and rng.random() < 0.8
        deadlines.append(
            Deadline(
                agreement=agreement,
                working_group=rng.choice([None, *groups]),
                title=f"Deliverable {n + 1}",
                due_on=due,
                done=done,
                done_on=due if done else None,
            )
        )
    Deadline.objects.bulk_create(deadlines, batch_size=BATCH)

    Commitment.objects.bulk_create(
        (
            Commitment(
                meeting=rng.choice(meetings),
                party=rng.choice([None, *at_table]),
                text=f"Commitment {n + 1}: share the requested data.",
                owner=rng.choice(team),
                due_on=today + dt.timedelta(days=rng.randint(-200, 200)),
                status=rng.choice(list(CommitmentStatus)),
            )
            for n in range(size.commitments_per_agreement)
        ),
        batch_size=BATCH,
    )
    return {
        "agreements": 1,
        "working groups": len(groups),
        "chapters": len(chapters),
        "rounds": len(rounds),
        "status changes": len(changes),
        "meetings": len(meetings),
        "deadlines": len(deadlines),
        "contested points": len(points),
        "commitments": size.commitments_per_agreement,
    }
