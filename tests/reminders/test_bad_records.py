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


def legacy_point(fta, title):
    """A point written before titles refused control characters."""
    return ContestedPointFactory(
        chapter=ChapterFactory(working_group=fta.group),
        owner=fta.sok,
        title=title,
        opened_on=dt.date(2026, 5, 1),
        target_date=NOW.date(),
    )


def test_a_title_with_a_line_break_makes_a_one_line_subject_and_no_extra_header(fta, sink):
    legacy_point(fta, "Cumulation\r\nBcc: everyone@example.org")
    run(NOW + dt.timedelta(hours=2))

    (message,) = sink.messages
    assert message["Subject"] == "Contested point due today: Cumulation Bcc: everyone@example.org"
    assert message["Bcc"] is None
    assert [a.username for a in message["To"].addresses] == ["sok"]


def test_a_reminder_whose_email_cannot_be_built_fails_alone_and_visibly(
    fta, sink, settings, monkeypatch
):
    settings.REMINDERS_BATCH_SIZE = 50  # all in one batch
    bad = legacy_point(fta, "Cumulation")
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(minutes=30), title="Second call")
    build = services.build_message

    def build_or_fail(*, recipient, items, now):
        if any(reminder.kind == ReminderKind.CONTESTED_POINT for reminder, _ in items):
            raise ValueError("Header values may not contain linefeed or carriage return")
        return build(recipient=recipient, items=items, now=now)

    monkeypatch.setattr(services, "build_message", build_or_fail)
    run(NOW + dt.timedelta(hours=2))

    # Both meetings reached both members; the point's reminder did not go out, and says why.
    assert len(sink.messages) == 4
    failed = Reminder.objects.get(kind=ReminderKind.CONTESTED_POINT, target_id=bad.pk)
    assert failed.status == ReminderStatus.FAILED
    assert "could not build the email: ValueError" in failed.note

    # Later scans go on, and do not retry the bad one for ever.
    sink.reset()
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=3), title="Third call")
    run(NOW + dt.timedelta(hours=4))
    assert len(sink.messages) == 2
    assert Reminder.objects.get(pk=failed.pk).status == ReminderStatus.FAILED
