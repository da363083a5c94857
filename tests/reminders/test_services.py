"""The scan and the sending, in this process, against a real SMTP server on loopback."""

import datetime as dt

import icalendar
import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from negotiations import moments
from negotiations.choices import MeetingKind
from reminders import links, services
from reminders.choices import Delivery, ReminderStatus
from reminders.models import LeadTimes, Reminder
from tests.factories import (
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    DeadlineFactory,
)
from tests.reminders.conftest import make_meeting

UTC = dt.UTC
# Tue 9 June 2026, 09:00 in Phnom Penh (UTC+7), 10:00 in Beijing (UTC+8).
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
ONE_DAY_BEFORE = MEETING_AT - dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def run(now):
    """One scan and the sending of everything it found, as the worker would do it."""
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def by_recipient(messages):
    return {m["To"].addresses[0].username: m for m in messages}


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    calendars = [
        icalendar.Calendar.from_ical(part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    return text, html, calendars


def test_meeting_reminder_reaches_each_member_in_their_own_zone_and_language(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)

    run(ONE_DAY_BEFORE)

    mail = by_recipient(sink.messages)
    assert set(mail) == {"sok", "li"}
    assert mail["sok"]["Subject"] == (
        "Rules of Origin working group — video conference in 1 day, "
        "Tue 9 Jun, 09:00 Phnom Penh (UTC+7)"
    )
    # Beijing sees the meeting's clock and its own hour beside it, with Chinese day names.
    assert "6月9日 星期二" in mail["li"]["Subject"]
    assert "09:00 金边时间（UTC+7）" in mail["li"]["Subject"]
    assert "10:00 您的时间（北京，UTC+8）" in mail["li"]["Subject"]
    text, html, (calendar,) = parts(mail["sok"])
    # Each party's local time: Cambodia 09:00, China 10:00.
    assert "Cambodia: Tue 9 Jun, 09:00 Phnom Penh (UTC+7)" in text
    assert "China: Tue 9 Jun, 10:00 Beijing (UTC+8)" in text
    # The meeting as its page shows it, end included.
    assert "Starts in 1 day: Tue 9 Jun, 09:00–11:00 Phnom Penh (UTC+7) · 02:00–04:00 UTC" in text
    url = links.meeting_url(meeting)
    assert url.startswith("https://tracker.example.org/")
    assert url.endswith(f"meetings/{meeting.pk}/")
    assert f"Open in the tracker: {url}" in text
    assert f'href="{url}"' in html
    assert mail["sok"]["Auto-Submitted"] == "auto-generated"
    assert mail["sok"]["List-Unsubscribe"] == "<https://tracker.example.org/reminders/settings/>"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@tracker.example.org"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == MEETING_AT
    assert event["DTSTART"].params["TZID"] == "Asia/Phnom_Penh"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Phnom_Penh"]
    assert str(event["URL"]) == url


def test_nothing_is_sent_before_the_moment_and_nothing_twice_after(fta, sink):
    make_meeting(fta, MEETING_AT)

    run(MEETING_AT - dt.timedelta(days=7, minutes=1))
    assert sink.messages == []
    run(MEETING_AT - dt.timedelta(days=7))
    run(MEETING_AT - dt.timedelta(days=7))
    assert len(sink.messages) == 2
    run(ONE_DAY_BEFORE - dt.timedelta(minutes=1))
    assert len(sink.messages) == 2
    run(ONE_DAY_BEFORE)
    run(ONE_DAY_BEFORE)
    run(ONE_DAY_BEFORE + dt.timedelta(minutes=1))
    assert len(sink.messages) == 4
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 4
    # Each in the recipient's language: Sok reads English, Li Simplified Chinese.
    received = [(m["To"].addresses[0].username, m["Subject"]) for m in sink.messages]
    assert [(who, "in 7 days" in s) for who, s in received[:2] if who == "sok"] == [("sok", True)]
    assert [(who, "7天后" in s) for who, s in received[:2] if who == "li"] == [("li", True)]
    assert [(who, "in 1 day" in s) for who, s in received[2:] if who == "sok"] == [("sok", True)]
    assert [(who, "1天后" in s) for who, s in received[2:] if who == "li"] == [("li", True)]


def test_plenary_goes_to_chief_negotiators_and_officials(fta, sink):
    make_meeting(fta, MEETING_AT, kind=MeetingKind.ROUND_PLENARY, title="Round 3 — plenary")

    run(ONE_DAY_BEFORE)

    assert set(by_recipient(sink.messages)) == {"chief", "official"}


def test_lead_times_are_set_per_agreement(fta, sink):
    LeadTimes.objects.create(agreement=fta.agreement, meeting_days=[2])
    make_meeting(fta, MEETING_AT)

    run(ONE_DAY_BEFORE)  # already past the two-day moment: that one goes, once
    run(ONE_DAY_BEFORE + dt.timedelta(hours=1))

    assert len(sink.messages) == 2
    assert "in 1 day" in sink.messages[0]["Subject"]
    assert set(Reminder.objects.values_list("offset_days", flat=True)) == {2}


def test_a_moved_meeting_is_announced_then_reminded_at_its_new_time(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    run(MEETING_AT - dt.timedelta(days=7))
    first = by_recipient(sink.messages)["sok"]
    sink.reset()

    meeting.starts_at += dt.timedelta(days=2)
    meeting.ends_at += dt.timedelta(days=2)
    meeting.save()
    run(ONE_DAY_BEFORE)  # the first scan after the move announces it; no old day-before
    notice = by_recipient(sink.messages)["sok"]
    assert notice["Subject"].startswith("Changed: ")
    assert "Thu 11 Jun, 09:00 Phnom Penh (UTC+7)" in notice["Subject"]
    sink.reset()
    run(meeting.starts_at - dt.timedelta(days=1))

    moved = by_recipient(sink.messages)["sok"]
    assert "in 1 day" in moved["Subject"]
    assert "Thu 11 Jun, 09:00 Phnom Penh (UTC+7)" in moved["Subject"]
    (old,) = parts(first)[2][0].walk("VEVENT")
    (told,) = parts(notice)[2][0].walk("VEVENT")
    (new,) = parts(moved)[2][0].walk("VEVENT")
    assert str(new["UID"]) == str(told["UID"]) == str(old["UID"])
    assert told["SEQUENCE"] == new["SEQUENCE"] == old["SEQUENCE"] + 1


def test_a_pending_reminder_of_a_moved_meeting_is_not_sent_at_the_old_time(fta, sink, settings):
    meeting = make_meeting(fta, MEETING_AT)
    batches = services.scan(now=ONE_DAY_BEFORE)
    meeting.starts_at += dt.timedelta(hours=3)
    meeting.ends_at += dt.timedelta(hours=3)
    meeting.save()
    for ids in batches:
        services.send_reminders(reminder_ids=ids, now=ONE_DAY_BEFORE)
    assert sink.messages == []
    withdrawn = set(Reminder.objects.values_list("status", "note"))
    assert withdrawn == {(ReminderStatus.REPLACED, "target moved")}  # needs nobody's attention

    # The next scan announces the move; its day-before moment is now, so the notice is all.
    run(meeting.starts_at - dt.timedelta(days=1))
    assert len(sink.messages) == 2
    assert by_recipient(sink.messages)["sok"]["Subject"].startswith("Changed: ")


def test_a_cancelled_meeting_sends_its_cancellation_and_no_reminder(fta, sink):
    meeting = make_meeting(fta, MEETING_AT)
    batches = services.scan(now=ONE_DAY_BEFORE)
    meeting.is_cancelled = True
    meeting.save()
    for ids in batches:
        services.send_reminders(reminder_ids=ids, now=ONE_DAY_BEFORE)
    assert sink.messages == []
    run(ONE_DAY_BEFORE + dt.timedelta(minutes=5))
    run(ONE_DAY_BEFORE + dt.timedelta(minutes=6))

    assert set(by_recipient(sink.messages)) == {"sok", "li"}
    assert len(sink.messages) == 2
    assert by_recipient(sink.messages)["sok"]["Subject"].startswith("Cancelled: ")
    with translation.override("zh-hans"):
        cancelled = gettext("Cancelled: %(title)s, %(when)s").split("%")[0]
    assert by_recipient(sink.messages)["li"]["Subject"].startswith(cancelled)


def test_a_person_who_left_the_group_gets_none(fta, sink):
    make_meeting(fta, MEETING_AT)
    batches = services.scan(now=ONE_DAY_BEFORE)
    fta.group.memberships.filter(user=fta.li).delete()
    for ids in batches:
        services.send_reminders(reminder_ids=ids, now=ONE_DAY_BEFORE)
    assert set(by_recipient(sink.messages)) == {"sok"}


def test_opting_out_of_a_kind_stops_it_and_only_it(fta, sink):
    services.set_preference(user=fta.li, meetings=Delivery.OFF)
    make_meeting(fta, MEETING_AT)
    DeadlineFactory(agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 6, 10))

    run(ONE_DAY_BEFORE + dt.timedelta(hours=1))  # 10:00 in Beijing on 8 June

    subjects = sorted((m["To"].addresses[0].username, m["Subject"]) for m in sink.messages)
    assert [who for who, _ in subjects] == ["li", "sok", "sok"]
    assert Reminder.objects.get(recipient=fta.li).kind == "deadline"


def test_digest_collects_a_persons_reminders_at_their_local_hour_across_midnight_utc(fta, sink):
    # 07:00 in Beijing is 23:00 UTC on the day before.
    services.set_preference(
        user=fta.li, meetings=Delivery.DIGEST, deadlines=Delivery.DIGEST, digest_hour=7
    )
    make_meeting(fta, MEETING_AT)  # day-before moment: 8 June 02:00 UTC
    DeadlineFactory(agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 6, 9))

    run(dt.datetime(2026, 6, 8, 22, 59, tzinfo=UTC))
    assert "li" not in by_recipient(sink.messages)
    run(dt.datetime(2026, 6, 8, 23, 0, tzinfo=UTC))
    run(dt.datetime(2026, 6, 8, 23, 1, tzinfo=UTC))

    digests = [m for m in sink.messages if m["To"].addresses[0].username == "li"]
    assert len(digests) == 1
    text, _, calendars = parts(digests[0])
    assert "2" in digests[0]["Subject"]
    assert "6月9日" in digests[0]["Subject"]  # 9 June in Beijing, though 8 June in UTC
    assert "Rules of Origin working group — video conference" in text
    assert len(calendars) == 1


def test_a_digest_with_nothing_left_in_it_is_not_sent(fta, sink):
    services.set_preference(user=fta.li, meetings=Delivery.DIGEST, digest_hour=7)
    make_meeting(fta, MEETING_AT)
    run(dt.datetime(2026, 6, 8, 12, 0, tzinfo=UTC))
    fta.group.memberships.filter(user=fta.li).delete()  # li left the group meanwhile

    run(dt.datetime(2026, 6, 8, 23, 0, tzinfo=UTC))

    assert "li" not in by_recipient(sink.messages)
    assert Reminder.objects.get(recipient=fta.li).status == ReminderStatus.SKIPPED


def test_deadline_reminders_come_at_each_lead_and_once_when_it_passes_undone(fta, sink):
    deadline = DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 6, 20)
    )
    sok = lambda: [m for m in sink.messages if m["To"].addresses[0].username == "sok"]  # noqa: E731
    # Every hour for 25 days: 14, 3 and 1 days before, then once the day after.
    moment = dt.datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    while moment < dt.datetime(2026, 6, 26, tzinfo=UTC):
        run(moment)
        moment += dt.timedelta(hours=3)
    subjects = [m["Subject"] for m in sok()]
    assert len(subjects) == 4, subjects
    assert "in 14 days" in subjects[0]
    assert "in 1 day" in subjects[2]
    assert subjects[3].startswith("Deadline passed undone")
    assert deadline.title in subjects[3]
    # Each links to the deadline's own page, not to the dashboard.
    assert all(links.deadline_url(deadline) in parts(m)[0] for m in sok())


def test_a_deadline_of_the_chief_negotiators_goes_to_them(fta, sink):
    DeadlineFactory(agreement=fta.agreement, working_group=None, due_on=dt.date(2026, 6, 10))
    run(dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC))
    assert set(by_recipient(sink.messages)) == {"chief"}


def test_contested_points_and_commitments_remind_owners_then_weekly_while_overdue(fta, sink):
    chapter = ChapterFactory(working_group=fta.group)
    point = ContestedPointFactory(
        chapter=chapter,
        owner=fta.sok,
        opened_on=dt.date(2026, 5, 1),
        target_date=dt.date(2026, 6, 1),
    )
    commitment = CommitmentFactory(
        meeting=make_meeting(fta, dt.datetime(2026, 5, 1, 2, tzinfo=UTC)),
        owner=fta.li,
        due_on=dt.date(2026, 6, 1),
    )
    moment = dt.datetime(2026, 5, 31, tzinfo=UTC)
    while moment < dt.datetime(2026, 6, 16, 12, tzinfo=UTC):
        run(moment)
        moment += dt.timedelta(hours=6)
    mail = sorted((m["To"].addresses[0].username, m["Subject"]) for m in sink.messages)
    assert [who for who, _ in mail] == ["li", "li", "li", "sok", "sok", "sok"]
    assert any(links.contested_point_url(point) in parts(m)[0] for m in sink.messages)
    assert any(links.commitment_url(commitment) in parts(m)[0] for m in sink.messages)


def test_after_an_outage_only_the_latest_reminder_of_what_is_still_ahead_goes(fta, sink):
    soon = make_meeting(fta, MEETING_AT)  # 7-day and 1-day moments both passed
    make_meeting(fta, ONE_DAY_BEFORE - dt.timedelta(hours=2), title="Already started")
    DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 5, 20)
    )  # long overdue: its one reminder is too old to send now

    run(MEETING_AT - dt.timedelta(hours=12))

    mail = by_recipient(sink.messages)
    assert set(mail) == {"sok", "li"}
    assert len(sink.messages) == 2
    assert "in 12 hours" in mail["sok"]["Subject"]
    assert soon.title in mail["sok"]["Subject"]
    assert set(Reminder.objects.values_list("offset_days", flat=True)) == {1}


def test_a_mail_outage_of_hours_delays_reminders_but_does_not_fail_them(fta, sink, settings):
    settings.REMINDERS_MAX_ATTEMPTS = 8
    settings.REMINDERS_RETRY_SECONDS = 60
    make_meeting(fta, MEETING_AT + dt.timedelta(days=2))  # three days ahead
    sink.refuse = 1000  # every recipient put off, for five hours

    moment = MEETING_AT + dt.timedelta(days=1)  # its day-before moment
    run(moment)
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.PENDING}
    run(moment + dt.timedelta(seconds=30))  # the first one not before its back-off
    assert sorted(Reminder.objects.values_list("attempts", flat=True)) == [1, 1]
    end = moment + dt.timedelta(hours=5)
    while moment < end:
        moment += dt.timedelta(minutes=10)
        run(moment)
    # Far more tries than REMINDERS_MAX_ATTEMPTS, and still waiting, not failed.
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.PENDING}
    assert min(Reminder.objects.values_list("attempts", flat=True)) > 8
    assert "451" in Reminder.objects.first().note
    assert sink.messages == []

    sink.refuse = 0
    run(moment + dt.timedelta(minutes=31))  # the longest back-off is half an hour
    assert len(sink.messages) == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_reminder_put_off_until_its_meeting_starts_is_missed_visibly_and_resent(
    fta, sink, settings
):
    settings.REMINDERS_RETRY_SECONDS = 60
    meeting = make_meeting(fta, ONE_DAY_BEFORE + dt.timedelta(hours=3))  # due as it is made
    sink.refuse = 1000

    moment = ONE_DAY_BEFORE
    while moment < meeting.starts_at + dt.timedelta(hours=1):
        run(moment)
        moment += dt.timedelta(minutes=10)

    # Tried until the meeting started, then failed as missed, with the server's last word.
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.FAILED}
    for reminder in Reminder.objects.all():
        assert reminder.note.startswith("missed")
        assert "451" in reminder.note
        assert reminder.attempts > 1
    assert sink.messages == []
    # Listed for the secretariat, who may send it again (too late now: not sent, and said).
    from reminders.views import needs_attention

    assert needs_attention(fta.chief).count() == 2
    sink.refuse = 0
    services.resend(reminder_ids=list(Reminder.objects.values_list("pk", flat=True)), now=moment)
    run(moment)
    assert sink.messages == []
    assert set(Reminder.objects.values_list("note", flat=True)) == {"meeting started"}


def test_a_permanently_refused_recipient_fails_at_once(fta, sink):
    make_meeting(fta, MEETING_AT)
    sink.refuse, sink.refuse_code = 1, "550 5.1.1 No such user"
    run(ONE_DAY_BEFORE)
    assert Reminder.objects.filter(status=ReminderStatus.FAILED).count() == 1
    assert len(sink.messages) == 1


def test_send_due_reminders_runs_the_scan_without_celery(fta, sink, capsys):
    make_meeting(fta, dt.datetime.now(UTC) + dt.timedelta(hours=20), title="Rules of Origin call")
    call_command("send_due_reminders")
    call_command("send_due_reminders")
    assert len(sink.messages) == 2
    assert "2 sent" in capsys.readouterr().out


def escalated_point(fta, **kwargs):
    from workinggroups.services import escalate_contested_point

    point = ContestedPointFactory(
        chapter=ChapterFactory(working_group=fta.group),
        title="Cumulation with ASEAN materials",
        owner=fta.sok,
        target_date=dt.date(2027, 1, 15),
        **kwargs,
    )
    return escalate_contested_point(point=point, by=fta.sok, note="Needs a political decision.")


def test_an_escalation_tells_the_chief_negotiators_once(fta, sink):
    point = escalated_point(fta)

    run(point.escalated_at)
    run(point.escalated_at + dt.timedelta(minutes=1))

    (message,) = sink.messages
    assert message["To"].addresses[0].username == "chief"
    assert message["Subject"] == (
        "Escalated to the chief negotiators: Cumulation with ASEAN materials"
    )
    text, html, calendars = parts(message)
    assert "only they can now resolve it" in text
    # 2027's date says its year, unless 2027 is the year the reader is in.
    today = point.escalated_at.astimezone(fta.chief.zone).date()
    assert f"Target date: {moments.format_day(point.target_date, today=today)}." in text
    assert "Fri 15 Jan" in text
    assert links.contested_point_url(point) in text
    assert f'href="{links.contested_point_url(point)}"' in html
    assert calendars == []
    # Who handed it on, and why.
    assert f"Escalated by {fta.sok}." in text
    assert "Why: Needs a political decision." in text
    assert "Needs a political decision." in html


def test_an_escalation_resolved_before_the_scan_or_long_ago_tells_no_one(fta, sink):
    from workinggroups.choices import ContestedPointState
    from workinggroups.models import ContestedPoint

    resolved = escalated_point(fta)
    ContestedPoint.objects.filter(pk=resolved.pk).update(
        state=ContestedPointState.RESOLVED, resolved_on=resolved.escalated_at.date()
    )
    run(resolved.escalated_at + dt.timedelta(minutes=1))
    assert sink.messages == []

    stale = escalated_point(fta)
    run(stale.escalated_at + dt.timedelta(days=3))  # the scan was down for three days
    assert sink.messages == []


def test_the_revisions_of_deleted_targets_are_forgotten_by_a_daily_sweep(fta, settings):
    """A meeting or deadline deleted (by hand, or with its agreement) leaves its revision
    row behind, which the scan would read every minute for ever: beat sweeps them daily."""
    from reminders import tasks
    from reminders.models import TargetRevision

    kept = make_meeting(fta, MEETING_AT)
    deleted = make_meeting(fta, MEETING_AT + dt.timedelta(hours=4), title="Dropped session")
    deadline = DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=MEETING_AT.date()
    )
    services.scan(now=ONE_DAY_BEFORE)
    revisions = TargetRevision.objects.values_list("kind", "target_id")
    assert {("meeting", kept.pk), ("meeting", deleted.pk), ("deadline", deadline.pk)} <= set(
        revisions
    )
    deleted.delete()
    deadline.delete()

    tasks.forget_deleted_targets()

    assert set(revisions.all()) == {("meeting", kept.pk)}
    assert services.forget_deleted_targets() == 0  # nothing left to forget
    # What the kept meeting's calendar entry counts stays as it was.
    assert TargetRevision.objects.get(target_id=kept.pk).revision == 0
    sweep = settings.CELERY_BEAT_SCHEDULE["forget-deleted-targets"]
    assert sweep["task"] == "reminders.tasks.forget_deleted_targets"
    assert sweep["schedule"] == 24 * 60 * 60


def test_a_worker_runs_two_processes_per_core_unless_told_otherwise():
    """Sending mostly waits on the mail server and the database: a worker started without
    --concurrency runs two processes per core, which the Celery app reads from settings."""
    import os

    from django.conf import settings

    from config.celery import app

    assert 2 * (os.cpu_count() or 1) == settings.CELERY_WORKER_CONCURRENCY
    assert app.conf.worker_concurrency == settings.CELERY_WORKER_CONCURRENCY
