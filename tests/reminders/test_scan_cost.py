"""The reminder scan costs a fixed number of queries, however many targets and people."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from negotiations.choices import MeetingKind
from reminders import selectors, services
from reminders.choices import ReminderKind
from reminders.models import LeadTimes, Reminder, TargetRevision
from tests.factories import (
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    DeadlineFactory,
    MeetingFactory,
)
from tests.reminders.conftest import make_meeting
from workinggroups.choices import ContestedPointState

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def targets(fta, count):
    """`count` targets of every kind with a reminder due at NOW."""
    today = NOW.date()
    chapter = ChapterFactory(working_group=fta.group)
    for i in range(count):
        meeting = make_meeting(fta, NOW + dt.timedelta(days=1, minutes=-1 - i), title=f"WG {i}")
        MeetingFactory(
            agreement=fta.agreement,
            kind=MeetingKind.ROUND_PLENARY,
            title=f"Plenary {i}",
            starts_at=NOW + dt.timedelta(days=7, minutes=-1 - i),
            ends_at=NOW + dt.timedelta(days=7, hours=3),
        )
        DeadlineFactory(
            agreement=fta.agreement, working_group=fta.group, due_on=today + dt.timedelta(days=1)
        )
        DeadlineFactory(agreement=fta.agreement, due_on=today + dt.timedelta(days=1))
        ContestedPointFactory(
            chapter=chapter, owner=fta.sok, opened_on=dt.date(2026, 5, 1), target_date=today
        )
        ContestedPointFactory(
            chapter=chapter,
            owner=fta.li,
            opened_on=dt.date(2026, 5, 1),
            target_date=dt.date(2026, 12, 1),
            state=ContestedPointState.ESCALATED,
            escalated_at=NOW - dt.timedelta(hours=1),
        )
        CommitmentFactory(meeting=meeting, owner=fta.li, due_on=today)


def scan_queries(now):
    with CaptureQueriesContext(connection) as queries:
        batches = services.scan(now=now)
    return len(queries), sum(len(ids) for ids in batches)


def test_a_scan_costs_the_same_queries_for_few_targets_and_for_many(fta, settings):
    settings.REMINDERS_LOCAL_HOUR = 0  # date reminders due at midnight, before NOW everywhere
    targets(fta, 2)
    few, few_reminders = scan_queries(NOW)
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert kinds == {
        ReminderKind.MEETING,
        ReminderKind.DEADLINE,
        ReminderKind.CONTESTED_POINT,
        ReminderKind.COMMITMENT,
        ReminderKind.ESCALATION,
    }

    # From scratch again, with five times the targets.
    Reminder.objects.all().delete()
    TargetRevision.objects.all().delete()
    targets(fta, 8)
    many, many_reminders = scan_queries(NOW)

    assert many_reminders == 5 * few_reminders
    assert many == few
    # The next scan finds nothing new, at the same cost or less.
    again, queued = scan_queries(NOW + dt.timedelta(minutes=1))
    assert queued == 0
    assert again <= few


def test_a_new_lead_time_supersedes_the_pending_earlier_ones_in_one_statement(fta, sink):
    from reminders.choices import ReminderStatus

    meetings = [make_meeting(fta, NOW + dt.timedelta(days=7, hours=1, minutes=i)) for i in range(3)]
    services.scan(now=NOW + dt.timedelta(hours=2))  # the 7-day reminders, not sent here
    assert Reminder.objects.filter(status=ReminderStatus.PENDING, offset_days=7).count() == 6
    with CaptureQueriesContext(connection) as queries:
        services.materialise(now=meetings[0].starts_at - dt.timedelta(hours=23))
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert Reminder.objects.filter(status=ReminderStatus.REPLACED, note="superseded").count() == 6
    assert Reminder.objects.filter(status=ReminderStatus.PENDING, offset_days=1).count() == 6


def test_a_scan_of_a_thousand_reminders_costs_what_a_scan_of_two_does(fta):
    """Beyond any batch size of the inserts (they went 500 rows a statement): the scan of 2
    reminders and of 1,200 ask the same number of queries."""
    from django.contrib.auth import get_user_model

    from workinggroups.models import Membership

    make_meeting(fta, NOW + dt.timedelta(days=1, minutes=-1))
    few, few_reminders = scan_queries(NOW)
    assert few_reminders == 2

    Reminder.objects.all().delete()
    TargetRevision.objects.all().delete()
    people = get_user_model().objects.bulk_create(
        get_user_model()(username=f"member{n}", email=f"member{n}@example.org") for n in range(398)
    )
    party = fta.agreement.parties.first()
    Membership.objects.bulk_create(
        Membership(working_group=fta.group, user=person, party=party) for person in people
    )
    for i in range(1, 3):
        make_meeting(fta, NOW + dt.timedelta(days=1, minutes=-1 - i), title=f"WG {i}")
    many, many_reminders = scan_queries(NOW)

    assert many_reminders == 3 * 400
    assert many == few


def test_a_scan_reads_each_meeting_once(fta):
    """The meetings' times, places and links are read once per scan, for their states and
    for the reminders due; the candidates among them are asked for by their ids alone."""
    for i in range(3):
        make_meeting(fta, NOW + dt.timedelta(days=1, minutes=-1 - i), title=f"WG {i}")
    with CaptureQueriesContext(connection) as queries:
        batches = services.scan(now=NOW)
    assert sum(len(ids) for ids in batches) == 6
    reading_times = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'FROM "negotiations_meeting"' in q["sql"]
        and '"starts_at" AS "starts_at"' in q["sql"]
    ]
    assert len(reading_times) == 1


def test_an_overdue_deadline_not_watched_any_more_is_still_reminded_of(fta, settings):
    """A deadline three days past is no longer watched for moves, but its overdue reminder is
    still due: read on its own, not lost."""
    settings.REMINDERS_LOCAL_HOUR = 0
    LeadTimes.objects.create(
        agreement=fta.agreement, meeting_days=[1], deadline_days=[1], deadline_overdue=True
    )
    deadline = DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=NOW.date() - dt.timedelta(days=3)
    )
    assert not selectors.watched(NOW)[ReminderKind.DEADLINE].exists()
    services.scan(now=NOW)
    overdue = Reminder.objects.filter(kind=ReminderKind.DEADLINE, target_id=deadline.pk)
    assert overdue.count() == 2
    assert set(overdue.values_list("offset_days", flat=True)) == {-1}


def test_a_scan_makes_no_model_instance_of_its_targets(fta, settings):
    """Meetings, deadlines, contested points (as such and escalated) and commitments are read
    as rows: thousands of them are due every minute in a large ministry."""
    from django.db.models.signals import post_init

    from negotiations.models import Commitment, Deadline, Meeting
    from workinggroups.models import ContestedPoint

    settings.REMINDERS_LOCAL_HOUR = 0
    targets(fta, 2)
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    for model in (Meeting, Deadline, ContestedPoint, Commitment):
        post_init.connect(count, sender=model)
    try:
        batches = services.scan(now=NOW)
    finally:
        for model in (Meeting, Deadline, ContestedPoint, Commitment):
            post_init.disconnect(count, sender=model)
    assert set(Reminder.objects.values_list("kind", flat=True)) == {
        ReminderKind.MEETING,
        ReminderKind.DEADLINE,
        ReminderKind.CONTESTED_POINT,
        ReminderKind.COMMITMENT,
        ReminderKind.ESCALATION,
    }
    assert sum(len(ids) for ids in batches) == Reminder.objects.count()
    assert made == []
    # Each row carries its agreement: the reminders are filed under it.
    assert set(Reminder.objects.values_list("agreement_id", flat=True)) == {fta.agreement.pk}


def test_the_garbage_collector_waits_for_the_scan_and_comes_back_after(fta, monkeypatch):
    import gc

    make_meeting(fta, NOW + dt.timedelta(days=1, minutes=-1))
    during = []
    materialise = services.materialise

    def watching(**kwargs):
        during.append(gc.isenabled())
        return materialise(**kwargs)

    monkeypatch.setattr(services, "materialise", watching)
    assert gc.isenabled()
    services.scan(now=NOW)
    assert during == [False]
    assert gc.isenabled()

    # Back on after a scan that fails, too; and left off when it was off before.
    def failing(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "materialise", failing)
    with pytest.raises(RuntimeError):
        services.scan(now=NOW + dt.timedelta(minutes=1))
    assert gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(services, "materialise", watching)
        services.scan(now=NOW + dt.timedelta(minutes=2))
        assert not gc.isenabled()
    finally:
        gc.enable()
