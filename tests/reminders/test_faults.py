"""Every fault a mail system meets, in this process against the fault-injecting SMTP server:
an answer lost after the message was stored, a connection lost before the data, a database
that goes away around the mark, a sender that stops holding its claim, a record that cannot
make an email."""

import collections
import datetime as dt
import uuid

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet

from reminders import services
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder
from reminders.views import needs_attention
from tests.factories import MembershipFactory, UserFactory
from tests.reminders.conftest import (
    DROP_BEFORE_DATA,
    DROP_BEFORE_REPLY,
    PERMANENT,
    SLOW,
    TEMPORARY,
    make_meeting,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
NOW = MEETING_AT - dt.timedelta(days=1)


def run(now):
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def statuses():
    return collections.Counter(Reminder.objects.values_list("status", flat=True))


def message_ids(sink):
    return collections.Counter(m["Message-ID"] for m in sink.messages)


def test_an_answer_lost_after_the_message_went_is_unconfirmed_listed_and_not_sent_again(fta, sink):
    make_meeting(fta, MEETING_AT)
    sink.faults.extend([DROP_BEFORE_REPLY])  # the first of the two

    run(NOW)
    run(NOW + dt.timedelta(minutes=10))
    run(NOW + dt.timedelta(hours=2))

    # Both arrived once: one confirmed, one that the server stored and never answered for.
    assert len(sink.messages) == 2
    assert set(message_ids(sink).values()) == {1}
    assert statuses() == {ReminderStatus.SENT: 1, ReminderStatus.UNCONFIRMED: 1}
    unconfirmed = Reminder.objects.get(status=ReminderStatus.UNCONFIRMED)
    assert unconfirmed.note.startswith("sent, unconfirmed")
    assert unconfirmed.sent_at is None
    # Shown with those that need attention; sent again only when asked, with the same id.
    assert list(needs_attention(fta.chief)) == [unconfirmed]
    (first,) = [
        m for m in sink.messages if m["To"].addresses[0].username == unconfirmed.recipient.username
    ]
    services.resend(reminder_ids=[unconfirmed.pk], now=NOW + dt.timedelta(hours=3))
    run(NOW + dt.timedelta(hours=3))
    assert len(sink.messages) == 3
    assert sink.messages[-1]["Message-ID"] == first["Message-ID"]
    assert statuses() == {ReminderStatus.SENT: 2}


@pytest.mark.parametrize("fault", [TEMPORARY, DROP_BEFORE_DATA])
def test_a_refusal_or_a_connection_lost_before_the_data_is_retried_and_sent_once(fta, sink, fault):
    make_meeting(fta, MEETING_AT)
    sink.faults.extend([fault])

    run(NOW)
    # Put off: it, and the rest of its batch after it, wait for the back-off.
    assert statuses() == {ReminderStatus.PENDING: 2}
    (refused,) = Reminder.objects.exclude(note="")
    assert ("451" if fault == TEMPORARY else "SMTPServerDisconnected") in refused.note
    run(NOW + dt.timedelta(minutes=10))

    assert sink.applied[fault] == 1
    assert len(sink.messages) == 2
    assert set(message_ids(sink).values()) == {1}
    assert statuses() == {ReminderStatus.SENT: 2}


def test_a_permanent_refusal_fails_with_the_servers_words_and_a_slow_answer_is_waited_for(
    fta, sink
):
    make_meeting(fta, MEETING_AT)
    sink.faults.extend([PERMANENT, SLOW])

    run(NOW)
    run(NOW + dt.timedelta(minutes=10))

    assert len(sink.messages) == 1
    assert statuses() == {ReminderStatus.FAILED: 1, ReminderStatus.SENT: 1}
    assert "554" in Reminder.objects.get(status=ReminderStatus.FAILED).note


def many_members(fta, count):
    for _ in range(count):
        MembershipFactory(working_group=fta.group, user=UserFactory(time_zone="Asia/Bangkok"))


@pytest.mark.parametrize("first", [True, False])
def test_a_batch_of_50_with_one_bad_address_delivers_49_and_fails_the_bad_one(
    fta, sink, settings, first
):
    settings.REMINDERS_BATCH_SIZE = 50
    many_members(fta, 47)
    bad = UserFactory(username="bad", time_zone="Asia/Bangkok")
    # Written before addresses were checked: a line break, and a header after it.
    type(bad).objects.filter(pk=bad.pk).update(email="bad@example.org\nBcc: all@example.org")
    MembershipFactory(working_group=fta.group, user=bad)
    make_meeting(fta, MEETING_AT)
    (queued,) = services.scan(now=NOW)
    assert len(queued) == 50
    # One batch, the bad one first or last in it.
    bad_pk = Reminder.objects.get(recipient=bad).pk
    ids = [pk for pk in queued if pk != bad_pk]
    ids = [bad_pk, *ids] if first else [*ids, bad_pk]
    outcome = services.send_reminders(reminder_ids=ids, now=NOW)

    assert len(sink.messages) == 49
    assert len(outcome.sent) == 49
    assert outcome.failed == [bad_pk]
    failed = Reminder.objects.get(pk=bad_pk)
    assert failed.status == ReminderStatus.FAILED
    assert "could not" in failed.note
    assert "bad@example.org" in failed.note
    assert statuses() == {ReminderStatus.SENT: 49, ReminderStatus.FAILED: 1}
    assert all(m["Bcc"] is None for m in sink.messages)
    # Nothing is left being sent; later runs leave it failed.
    run(NOW + dt.timedelta(hours=1))
    assert Reminder.objects.get(pk=bad_pk).status == ReminderStatus.FAILED
    assert len(sink.messages) == 49


def test_an_unforeseen_error_in_sending_one_message_fails_it_alone_after_its_attempts(
    fta, sink, settings, monkeypatch
):
    settings.REMINDERS_MAX_ATTEMPTS = 2
    make_meeting(fta, MEETING_AT)
    send = services.delivery.send

    def send_or_explode(backend, message, **kwargs):
        if message.to[0].startswith("sok"):
            raise RuntimeError("something nobody foresaw")
        return send(backend, message, **kwargs)

    monkeypatch.setattr(services.delivery, "send", send_or_explode)
    run(NOW)
    poison = Reminder.objects.get(recipient=fta.sok)
    assert poison.status == ReminderStatus.PENDING  # one attempt of two
    assert len(sink.messages) == 1  # the other went
    run(NOW + dt.timedelta(minutes=10))
    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (ReminderStatus.FAILED, 2)
    assert "RuntimeError: something nobody foresaw" in poison.note
    assert len(sink.messages) == 1


def test_the_mark_after_the_servers_acceptance_survives_a_database_blip(fta, sink, monkeypatch):
    make_meeting(fta, MEETING_AT)
    update, handing = QuerySet.update, services._handing
    failures = {"left": 2}

    def blip():
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")

    def flaky(queryset, **fields):
        if "sent_at" in fields:  # the last message's mark
            blip()
        return update(queryset, **fields)

    def flaky_handing(pks, marking, *args):
        if marking:  # the next message's handover, with the mark of the one before
            blip()
        return handing(pks, marking, *args)

    monkeypatch.setattr(services, "MARK_FIRST_WAIT", 0.01)
    monkeypatch.setattr(QuerySet, "update", flaky)
    monkeypatch.setattr(services, "_handing", flaky_handing)
    run(NOW)

    assert failures["left"] == 0
    assert len(sink.messages) == 2
    assert statuses() == {ReminderStatus.SENT: 2}


def test_a_batch_the_database_interrupts_is_handed_back_and_taken_up_at_once(
    fta, sink, monkeypatch
):
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=1), title="Second call")
    (ids,) = services.scan(now=NOW)
    assert len(ids) == 4
    update, handing = QuerySet.update, services._handing
    calls = collections.Counter()

    def down():
        if calls["handed"] >= 3:
            raise OperationalError("terminating connection due to administrator command")

    def down_from_the_third_handover(*args):
        calls["handed"] += 1
        down()
        return handing(*args)

    def down_then(queryset, **fields):
        down()
        return update(queryset, **fields)

    monkeypatch.setattr(services, "MARK_FIRST_WAIT", 0.01)
    monkeypatch.setattr(services, "_handing", down_from_the_third_handover)
    monkeypatch.setattr(QuerySet, "update", down_then)
    claim = uuid.uuid4()
    with pytest.raises(services.Interrupted) as interrupted:
        services.send_reminders(reminder_ids=ids, now=NOW, claim=claim)
    assert len(sink.messages) == 2
    assert interrupted.value.unsent == ids[2:]
    # The second was to be marked sent with the third's handover, which never happened.
    assert interrupted.value.accepted == ids[1:2]
    # The claims are still held (the lease has not run out); the same batch takes them back.
    assert statuses()[ReminderStatus.SENDING] == 3
    monkeypatch.undo()
    outcome = services.send_reminders(
        reminder_ids=interrupted.value.unsent,
        now=NOW + dt.timedelta(seconds=1),
        claim=claim,
        accepted=interrupted.value.accepted,
    )
    assert len(outcome.sent) == 3
    assert len(sink.messages) == 4
    assert set(message_ids(sink).values()) == {1}
    assert statuses() == {ReminderStatus.SENT: 4}


def test_a_batch_handed_back_with_accepted_messages_marks_them_and_does_not_send_them(
    fta, sink, monkeypatch
):
    make_meeting(fta, MEETING_AT)
    (ids,) = services.scan(now=NOW)
    update, handing = QuerySet.update, services._handing

    def marks_fail(queryset, **fields):
        if "sent_at" in fields:
            raise OperationalError("the database is away")
        return update(queryset, **fields)

    def marks_fail_with_the_handover(pks, marking, *args):
        if marking:
            raise OperationalError("the database is away")
        return handing(pks, marking, *args)

    monkeypatch.setattr(services, "MARK_FIRST_WAIT", 0.01)
    monkeypatch.setattr(QuerySet, "update", marks_fail)
    monkeypatch.setattr(services, "_handing", marks_fail_with_the_handover)
    claim = uuid.uuid4()
    with pytest.raises(services.Interrupted) as interrupted:
        services.send_reminders(reminder_ids=ids, now=NOW, claim=claim)
    assert len(sink.messages) == 1
    assert len(interrupted.value.accepted) == 1
    assert interrupted.value.unsent == ids[1:]

    monkeypatch.undo()
    services.send_reminders(
        reminder_ids=interrupted.value.unsent,
        now=NOW,
        claim=claim,
        accepted=interrupted.value.accepted,
    )
    assert len(sink.messages) == 2
    assert set(message_ids(sink).values()) == {1}
    assert statuses() == {ReminderStatus.SENT: 2}


def test_claims_of_a_stopped_sender_are_settled_when_their_lease_runs_out(fta, sink, settings):
    settings.REMINDERS_MAX_ATTEMPTS = 3
    make_meeting(fta, MEETING_AT)
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=1), title="Second call")
    services.scan(now=NOW)
    handed, not_handed, exhausted, fresh = Reminder.objects.order_by("pk")
    stopped = NOW - dt.timedelta(seconds=settings.REMINDERS_CLAIM_LEASE_SECONDS + 1)
    claim = {"status": ReminderStatus.SENDING, "claimed_at": stopped, "claim_token": uuid.uuid4()}
    Reminder.objects.filter(pk=handed.pk).update(handed_at=stopped, **claim)
    Reminder.objects.filter(pk=not_handed.pk).update(**claim)
    Reminder.objects.filter(pk=exhausted.pk).update(interruptions=2, **claim)
    Reminder.objects.filter(pk=fresh.pk).update(**{**claim, "claimed_at": NOW})

    assert services.recover(now=NOW) == {"unconfirmed": 1, "failed": 1, "again": 1}
    for reminder in (handed, not_handed, exhausted, fresh):
        reminder.refresh_from_db()
    assert handed.status == ReminderStatus.UNCONFIRMED
    assert not_handed.status == ReminderStatus.PENDING
    assert (exhausted.status, exhausted.note) == (
        ReminderStatus.FAILED,
        "the sender stopped while sending it, 3 times",
    )
    assert fresh.status == ReminderStatus.SENDING  # its sender may still be at it
    assert set(needs_attention(fta.chief)) == {handed, exhausted}


def test_a_digest_put_off_all_day_is_missed_when_its_day_is_over(fta, sink, settings):
    from reminders.models import Preference

    settings.REMINDERS_RETRY_SECONDS = 600
    Preference.objects.create(user=fta.sok, meetings="digest", digest_hour=7)
    # Its day-before moment is 22:00 UTC; sok's digest goes at 07:00 in Phnom Penh (00:00
    # UTC) and its day ends at 17:00 UTC, before the meeting at 22:00 UTC.
    meeting = make_meeting(fta, dt.datetime(2026, 6, 12, 22, 0, tzinfo=UTC))
    sink.refuse = 10_000  # every recipient put off, all day
    moment = meeting.starts_at - dt.timedelta(days=1)
    while moment < meeting.starts_at - dt.timedelta(hours=2):
        run(moment)
        moment += dt.timedelta(minutes=30)
    digest = Reminder.objects.get(recipient=fta.sok, kind=ReminderKind.MEETING)
    assert digest.digest
    assert digest.status == ReminderStatus.FAILED
    assert digest.note.startswith("missed")
    assert digest.attempts > 8
    # li's reminder, one at a time, is still being tried: its meeting has not begun.
    assert Reminder.objects.get(recipient=fta.li).status == ReminderStatus.PENDING


def test_a_batch_run_twice_at_once_under_one_claim_sends_each_message_once(fta, sink, monkeypatch):
    make_meeting(fta, MEETING_AT)
    (ids,) = services.scan(now=NOW)
    claim = uuid.uuid4()
    send = services.delivery.send
    reentered = []

    def send_while_the_twin_runs(backend, message, **kwargs):
        if not reentered:
            # The same task, delivered twice, takes the batch back before this run hands
            # its first message over.
            reentered.append(True)
            services.send_reminders(
                reminder_ids=ids, now=NOW + dt.timedelta(seconds=1), claim=claim
            )
        return send(backend, message, **kwargs)

    monkeypatch.setattr(services.delivery, "send", send_while_the_twin_runs)
    services.send_reminders(reminder_ids=ids, now=NOW, claim=claim)

    assert len(sink.messages) == 2
    assert set(message_ids(sink).values()) == {1}
    assert statuses() == {ReminderStatus.SENT: 2}


def test_a_stopped_batch_counts_the_stop_against_the_message_it_was_at_alone(fta, sink, settings):
    settings.REMINDERS_MAX_ATTEMPTS = 2
    for n in range(2):
        make_meeting(fta, MEETING_AT + dt.timedelta(hours=n), title=f"Call {n}")
    (ids,) = services.scan(now=NOW)
    claim = uuid.uuid4()
    rows = {r.pk: r for r in Reminder.objects.filter(pk__in=ids)}
    messages = services._group(ids, rows)
    assert services._claim(messages, NOW, claim) == set(ids)
    assert sorted(Reminder.objects.values_list("claim_order", flat=True)) == [0, 1, 2, 3]
    # The sender handed the first message over, and stopped while at the second.
    Reminder.objects.filter(pk=ids[0]).update(handed_at=NOW)
    Reminder.objects.filter(pk=ids[1]).update(interruptions=1)  # stopped at before, too

    later = NOW + dt.timedelta(seconds=settings.REMINDERS_CLAIM_LEASE_SECONDS + 1)
    assert services.recover(now=later) == {"unconfirmed": 1, "failed": 1, "again": 2}

    first, second, third, fourth = (Reminder.objects.get(pk=pk) for pk in ids)
    assert first.status == ReminderStatus.UNCONFIRMED
    assert (second.status, second.interruptions) == (ReminderStatus.FAILED, 2)
    # Never reached: neither an attempt nor an interruption.
    for untouched in (third, fourth):
        assert (untouched.status, untouched.attempts, untouched.interruptions) == (
            ReminderStatus.PENDING,
            0,
            0,
        )
    run(later)
    assert len(sink.messages) == 2
    assert statuses() == {
        ReminderStatus.SENT: 2,
        ReminderStatus.UNCONFIRMED: 1,
        ReminderStatus.FAILED: 1,
    }
