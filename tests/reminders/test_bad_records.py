"""One record that cannot make an email never stops the others."""

import datetime as dt

import pytest

from reminders import services
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder
from tests.factories import ChapterFactory, ContestedPointFactory
from tests.reminders.conftest import make_meeting

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
NOW = MEETING_AT - dt.timedelta(days=1)


def run(now):
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def test_a_title_with_a_line_break_fails_alone_and_visibly(fta, sink, settings):
    settings.REMINDERS_BATCH_SIZE = 50  # all in one batch
    # Written before titles refused control characters: a legacy row.
    bad = ContestedPointFactory(
        chapter=ChapterFactory(working_group=fta.group),
        owner=fta.sok,
        title="Cumulation\r\nBcc: everyone@example.org",
        opened_on=dt.date(2026, 5, 1),
        target_date=NOW.date(),
    )
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(minutes=30), title="Second call")

    run(NOW + dt.timedelta(hours=2))

    # Both meetings reached both members; the point's reminder did not go out, and says why.
    subjects = sorted(m["Subject"] for m in sink.messages)
    assert len(subjects) == 4
    assert all("Bcc" not in m.as_string() for m in sink.messages)
    failed = Reminder.objects.get(kind=ReminderKind.CONTESTED_POINT, target_id=bad.pk)
    assert failed.status == ReminderStatus.FAILED
    assert "could not build the email" in failed.note

    # Later scans go on, and do not retry the bad one for ever.
    sink.reset()
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=3), title="Third call")
    run(NOW + dt.timedelta(hours=4))
    assert len(sink.messages) == 2
    assert Reminder.objects.get(pk=failed.pk).status == ReminderStatus.FAILED
