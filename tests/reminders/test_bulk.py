"""New ledger rows go in one statement, however many, on PostgreSQL and SQLite alike."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reminders import bulk
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder, TargetRevision

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 6, 9, 2, 0, 0, 123456, tzinfo=dt.UTC)


def row(fta, target_id, **extra):
    return {
        "agreement_id": fta.agreement.pk,
        "recipient_id": fta.sok.pk,
        "kind": ReminderKind.MEETING,
        "target_id": target_id,
        "revision": 0,
        "offset_days": 1,
        "target_at": AT,
        "due_at": AT - dt.timedelta(days=1),
        "send_after": AT.astimezone(dt.timezone(dt.timedelta(hours=7))),
        "digest": False,
        **extra,
    }


def test_rows_go_in_one_statement_with_their_values_and_the_defaults(fta):
    change = {"before": {"starts_at": "2026-06-09T02:00:00+00:00"}, "after": {"cancelled": True}}
    rows = [row(fta, n, change=change if n == 7 else {}) for n in range(1, 1201)]

    with CaptureQueriesContext(connection) as queries:
        inserted = bulk.insert_new(Reminder, rows)

    assert inserted == 1200
    assert len(queries) == 1
    assert Reminder.objects.count() == 1200
    seventh = Reminder.objects.get(target_id=7)
    assert seventh.change == change
    assert seventh.target_at == AT  # to the microsecond, an instant whatever its zone
    assert seventh.send_after == AT
    assert (seventh.status, seventh.attempts, seventh.note, seventh.digest) == (
        ReminderStatus.PENDING,
        0,
        "",
        False,
    )
    assert seventh.created_at is not None
    assert Reminder.objects.get(target_id=8).change == {}


def test_a_row_that_exists_already_is_left_out_and_the_others_go_in(fta):
    bulk.insert_new(Reminder, [row(fta, 1), row(fta, 2)])
    Reminder.objects.filter(target_id=1).update(status=ReminderStatus.SENT, sent_at=AT)

    inserted = bulk.insert_new(Reminder, [row(fta, 1), row(fta, 2), row(fta, 3)])

    assert inserted == 1
    assert Reminder.objects.count() == 3
    assert Reminder.objects.get(target_id=1).status == ReminderStatus.SENT  # untouched


def test_json_and_text_keep_what_they_hold():
    state = {"location": "Phnom Penh — ភ្នំពេញ, 金边", "video_link": "", "cancelled": False}
    bulk.insert_new(
        TargetRevision,
        [{"kind": ReminderKind.MEETING, "target_id": 5, "fingerprint": "f'\"x", "state": state}],
    )
    revision = TargetRevision.objects.get()
    assert (revision.fingerprint, revision.state, revision.revision) == ("f'\"x", state, 0)
    assert revision.changed_at is None


def test_nothing_to_insert_asks_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert bulk.insert_new(Reminder, []) == 0
    assert len(queries) == 0


def test_a_uuid_goes_in_as_the_database_keeps_it(fta):
    token = uuid.uuid4()
    bulk.insert_new(
        Reminder,
        [row(fta, 1, status=ReminderStatus.SENDING, claimed_at=AT, claim_token=token)],
    )
    assert Reminder.objects.get().claim_token == token
