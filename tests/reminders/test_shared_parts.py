"""A batch builds what its messages share once (bodies per language and zone, a meeting's
calendar entry), and each recipient still gets exactly the email built for them alone."""

import datetime as dt

import pytest
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reminders import services
from reminders.choices import ReminderStatus
from reminders.emails import Parts, build_message
from reminders.models import Reminder
from tests.factories import MembershipFactory, UserFactory
from tests.reminders.conftest import make_meeting

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
NOW = MEETING_AT - dt.timedelta(days=1)


def as_sent(message: EmailMessage) -> list:
    """The email as it goes, part by part, without what differs each time one is made (its
    Date, and the boundaries between its parts)."""
    found = []
    for part in message.message().walk():
        headers = [
            (name, value)
            for name, value in part.items()
            if name not in ("Date", "Content-Type") or not part.is_multipart()
        ]
        headers = [(name, value) for name, value in headers if name != "Date"]
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        found.append((part.get_content_type(), headers, payload))
    return found


def test_each_recipient_gets_the_email_built_for_them_alone(fta):
    # Same language and zone as sok, another name; a name that must be escaped in HTML;
    # and an address too long to keep the calendar's attendee line unfolded.
    MembershipFactory(
        working_group=fta.group,
        user=UserFactory(
            username="dara", first_name="Dara", last_name="Chan", time_zone="Asia/Phnom_Penh"
        ),
    )
    MembershipFactory(
        working_group=fta.group,
        user=UserFactory(
            username="amp", first_name="Ben & <Jerry>", time_zone="Asia/Phnom_Penh", language="en"
        ),
    )
    MembershipFactory(
        working_group=fta.group,
        user=UserFactory(
            username="long",
            email="a.person.with.a.rather.long.address@ministry-of-commerce.example.org",
            time_zone="Asia/Shanghai",
            language="km",
        ),
    )
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=3), title="Second call")
    services.scan(now=NOW)
    reminders = list(Reminder.objects.select_related("recipient").order_by("target_id", "pk"))
    targets = services._targets(reminders)
    assert len(reminders) == 10

    with Parts() as shared:
        together = [
            build_message(
                recipient=r.recipient, items=[(r, targets[(r.kind, r.target_id)])], now=NOW
            )
            for r in reminders
        ]
    alone = [
        build_message(recipient=r.recipient, items=[(r, targets[(r.kind, r.target_id)])], now=NOW)
        for r in reminders
    ]

    assert [as_sent(m) for m in together] == [as_sent(m) for m in alone]
    # Rendered once per meeting and (language, zone): sok and dara and amp share theirs.
    assert len(shared.bodies) == 2 * 3
    assert len(shared.calendars) == 2
    assert (
        "Ben &amp; &lt;Jerry&gt;"
        in together[[r.recipient.username for r in reminders].index("amp")].alternatives[0].content
    )


def test_a_batch_costs_few_queries_per_reminder_and_marks_each_sent(fta, sink):
    for _ in range(8):
        MembershipFactory(working_group=fta.group, user=UserFactory(time_zone="Asia/Bangkok"))
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=3), title="Second call")
    (ids,) = services.scan(now=NOW)
    assert len(ids) == 20

    with CaptureQueriesContext(connection) as queries:
        outcome = services.send_reminders(reminder_ids=ids, now=NOW)

    assert len(outcome.sent) == len(sink.messages) == 20
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 20
    # The batch's claim; per message, one statement: its handover, with the mark of the one
    # before; the last one's mark; and a few reads for the whole batch, none per recipient.
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    reads = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(updates) == 1 + 20 + 1
    assert len(reads) <= 8
    assert len(queries) / 20 <= 1.5
