"""The reminders that need attention: the secretariat and chief negotiators see those of the
agreements they steer, and send the ticked ones again, never another agreement's."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders import services
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder
from tests.factories import CommitmentFactory, DeadlineFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reminders/failed/"
MOMENT = dt.datetime(2026, 6, 8, 2, tzinfo=dt.UTC)
_offsets = itertools.count(1)


def reminder(agreement, kind, target_id, *, status=ReminderStatus.FAILED, **fields):
    """A row of the ledger as the sender leaves it; a fresh lead time keeps each one unique."""
    fields.setdefault("recipient", UserFactory())
    fields.setdefault("offset_days", next(_offsets))
    if status == ReminderStatus.SENT:
        fields.setdefault("sent_at", MOMENT)
    return Reminder.objects.create(
        agreement=agreement,
        kind=kind,
        target_id=target_id,
        target_at=MOMENT,
        due_at=MOMENT,
        send_after=MOMENT,
        status=status,
        attempts=fields.pop("attempts", 8),
        **fields,
    )


@pytest.fixture
def targets(world):
    """One target of each kind in the first agreement, and a meeting in the other."""
    world.deadline = DeadlineFactory(agreement=world.agreement, title="Offers on services")
    world.commitment = CommitmentFactory(
        meeting=world.meeting, text="Cambodia sends its revised tariff schedule"
    )
    world.meeting.title = "Rules of Origin working group"
    world.meeting.save()
    world.point.title = "Cumulation with third countries"
    world.point.save()
    return world


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["outsider", "official", "negotiator"])
def test_people_who_steer_no_agreement_are_refused(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"reminder": "1"}).status_code == 403


@pytest.mark.parametrize("who", ["secretariat", "chief"])
def test_those_who_steer_see_their_agreements_failed_and_unsent_reminders(client, targets, who):
    w = targets
    sok = UserFactory(first_name="Sok", last_name="Dara", email="sok@mfa.gov.kh")
    reminder(w.agreement, ReminderKind.MEETING, w.meeting.pk, recipient=sok, offset_days=7)
    reminder(
        w.agreement,
        ReminderKind.DEADLINE,
        w.deadline.pk,
        offset_days=-1,
        status=ReminderStatus.SKIPPED,
        note="no longer concerned",
    )
    reminder(w.agreement, ReminderKind.CONTESTED_POINT, w.point.pk, note="550 mailbox unknown")
    reminder(w.agreement, ReminderKind.COMMITMENT, w.commitment.pk, offset_days=-7)
    reminder(w.agreement, ReminderKind.MEETING, w.other_meeting.pk, status=ReminderStatus.SENT)
    reminder(w.agreement, ReminderKind.MEETING, 999_999, note="target gone")
    client.force_login(getattr(w, who))

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('type="checkbox" name="reminder"') == 5  # not the sent one
    for text in [
        w.agreement.short_name,
        "Sok Dara",
        "sok@mfa.gov.kh",
        "Rules of Origin working group",
        "Offers on services",
        "Cumulation with third countries",
        "Cambodia sends its revised tariff schedule",
        "7 days before",
        "overdue follow-up",
        "550 mailbox unknown",
        "no longer concerned",
        "(no longer exists)",
        "Failed",
        "Not sent",
    ]:
        assert text in page, text
    assert reverse("reminders:failed") in page  # the menu links here for them


def test_due_moment_is_shown_in_the_viewers_zone(client, world):
    world.secretariat.time_zone = "Asia/Phnom_Penh"
    world.secretariat.save()
    reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk)
    client.force_login(world.secretariat)
    page = client.get(URL).content.decode()
    assert "Mon 8 Jun" in page
    assert "09:00 Phnom Penh (UTC+7)" in page
    assert "+07" not in page


def test_the_menu_links_here_only_for_those_who_steer(client, world):
    client.force_login(world.negotiator)
    page = client.get(reverse("reminders:settings")).content.decode()
    assert reverse("reminders:failed") not in page
    client.force_login(world.chief)
    page = client.get(reverse("reminders:settings")).content.decode()
    assert reverse("reminders:failed") in page


def test_nothing_to_do_says_so(client, world):
    reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk, status=ReminderStatus.SENT)
    client.force_login(world.secretariat)
    response = client.get(URL)
    assert response.status_code == 200
    assert "No reminder needs attention." in response.content.decode()
    assert 'name="reminder"' not in response.content.decode()


def test_another_agreements_failed_reminders_are_neither_listed_nor_resendable(client, world):
    ours = reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk, note="ours")
    theirs = reminder(
        world.elsewhere_agreement, ReminderKind.MEETING, world.elsewhere_meeting.pk, note="theirs"
    )
    client.force_login(world.secretariat)

    page = client.get(URL).content.decode()
    assert "ours" in page
    assert "theirs" not in page
    assert f'value="{theirs.pk}"' not in page
    # Nor by choosing the other agreement in the filter: not a choice, so nothing is shown.
    page = client.get(URL, {"agreement": world.elsewhere_agreement.pk}).content.decode()
    assert "theirs" not in page

    # A tampered form: the other agreement's id alongside our own.
    response = client.post(URL, {"reminder": [str(theirs.pk), str(ours.pk)]}, follow=True)

    assert "1 reminder will be sent again within a minute." in response.content.decode()
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (theirs.status, theirs.attempts) == (ReminderStatus.FAILED, 8)
    assert ours.status == ReminderStatus.PENDING

    # And the other agreement's chief, who sees theirs, does not see ours.
    client.force_login(world.elsewhere)
    page = client.get(URL).content.decode()
    assert "theirs" in page
    assert "ours" not in page


def test_only_reminders_that_need_attention_are_put_back(client, world):
    sent = reminder(
        world.agreement, ReminderKind.MEETING, world.meeting.pk, status=ReminderStatus.SENT
    )
    client.force_login(world.secretariat)
    response = client.post(URL, {"reminder": [str(sent.pk)]}, follow=True)
    assert "0 reminders will be sent again within a minute." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == ReminderStatus.SENT


def test_resend_puts_the_reminder_back_in_the_queue_once(client, world):
    failed = reminder(
        world.agreement, ReminderKind.MEETING, world.meeting.pk, note="451 try again later"
    )
    client.force_login(world.secretariat)

    response = client.post(URL, {"reminder": [str(failed.pk), str(failed.pk)]})

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.note) == (ReminderStatus.PENDING, 0, "")
    queued_at = failed.send_after
    page = client.get(response["Location"]).content.decode()
    assert "1 reminder will be sent again within a minute." in page
    assert "No reminder needs attention." in page

    # Sent twice (a double click, a second tab): the pending row is not queued again.
    response = client.post(URL, {"reminder": [str(failed.pk)]}, follow=True)
    assert "0 reminders will be sent again within a minute." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.send_after) == (ReminderStatus.PENDING, queued_at)
    assert services.resend(reminder_ids=[failed.pk, failed.pk]) == 0


def test_the_service_queues_a_failed_or_unsent_reminder_once(world):
    failed = reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk)
    skipped = reminder(
        world.agreement, ReminderKind.MEETING, world.meeting.pk, status=ReminderStatus.SKIPPED
    )
    ids = [failed.pk, skipped.pk, failed.pk]
    assert services.resend(reminder_ids=ids) == 2
    assert services.resend(reminder_ids=ids) == 0
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.PENDING}


def test_after_resending_the_page_keeps_its_filters(client, world):
    failed = reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk)
    client.force_login(world.secretariat)
    response = client.post(
        f"{URL}?kind=meeting&status=failed&sort=due_at&page=2", {"reminder": [str(failed.pk)]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?kind=meeting&status=failed&sort=due_at"


def test_sending_again_with_nothing_ticked_is_refused_with_a_message(client, world):
    failed = reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk)
    client.force_login(world.secretariat)
    response = client.post(f"{URL}?kind=meeting", {"reminder": ["", "not-a-number"]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tick at least one reminder to send it again." in page
    assert f'value="{failed.pk}"' in page  # the list is still there, filtered as it was
    failed.refresh_from_db()
    assert failed.status == ReminderStatus.FAILED


def test_the_filter_narrows_by_kind_status_and_agreement(client, targets):
    w = targets
    reminder(w.agreement, ReminderKind.MEETING, w.meeting.pk, note="about the meeting")
    reminder(
        w.agreement,
        ReminderKind.DEADLINE,
        w.deadline.pk,
        status=ReminderStatus.SKIPPED,
        note="about the deadline",
    )
    client.force_login(w.secretariat)

    page = client.get(URL, {"kind": ReminderKind.DEADLINE}).content.decode()
    assert "about the deadline" in page
    assert "about the meeting" not in page

    page = client.get(URL, {"status": ReminderStatus.FAILED}).content.decode()
    assert "about the meeting" in page
    assert "about the deadline" not in page

    page = client.get(URL, {"agreement": w.agreement.pk}).content.decode()
    assert "about the meeting" in page
    assert "about the deadline" in page

    page = client.get(URL, {"kind": ReminderKind.COMMITMENT}).content.decode()
    assert "No reminder matches these filters." in page


def test_fifty_reminders_a_page(client, world):
    recipient = UserFactory()
    for offset in range(1, 53):
        reminder(
            world.agreement,
            ReminderKind.MEETING,
            world.meeting.pk,
            recipient=recipient,
            offset_days=offset,
        )
    client.force_login(world.secretariat)
    assert client.get(URL).content.decode().count('name="reminder"') == 50
    assert client.get(URL, {"page": 2}).content.decode().count('name="reminder"') == 2


def _mixed(world, count):
    """`count` failed reminders, their kinds and targets taken in turn."""
    kinds = [
        (ReminderKind.MEETING, lambda: world.meeting.pk),
        (ReminderKind.DEADLINE, lambda: DeadlineFactory(agreement=world.agreement).pk),
        (ReminderKind.CONTESTED_POINT, lambda: world.point.pk),
        (ReminderKind.COMMITMENT, lambda: CommitmentFactory(meeting=world.meeting).pk),
        (ReminderKind.ESCALATION, lambda: world.other_point.pk),
    ]
    for index in range(count):
        kind, target = kinds[index % len(kinds)]
        reminder(world.agreement, kind, target())


def _queries(client, user, url):
    client.force_login(user)
    client.get(url)  # the first request of a session may warm caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode().count('name="reminder"')


def test_the_page_runs_a_fixed_number_of_queries(client, world):
    _mixed(world, 3)
    small, shown = _queries(client, world.secretariat, URL)
    assert shown == 3

    _mixed(world, 27)
    large, shown = _queries(client, world.secretariat, URL)
    assert shown == 30

    assert small == large
    assert large <= 12


@pytest.mark.parametrize(
    "sort", ["agreement", "-recipient", "offset_days", "status", "-attempts", "due_at"]
)
def test_every_sortable_column_sorts(client, world, sort):
    reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk)
    reminder(world.agreement, ReminderKind.CONTESTED_POINT, world.point.pk)
    client.force_login(world.secretariat)
    response = client.get(URL, {"sort": sort, "page": "99"})
    assert response.status_code == 200
    assert response.content.decode().count('name="reminder"') == 2


def test_an_unconfirmed_reminder_is_listed_as_such_filtered_and_sent_again_when_asked(
    client, world
):
    unconfirmed = reminder(
        world.agreement,
        ReminderKind.MEETING,
        world.meeting.pk,
        status=ReminderStatus.UNCONFIRMED,
        attempts=1,
        note="sent, unconfirmed: no reply after the message was sent",
        handed_at=MOMENT,
    )
    failed = reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk, note="554 no")
    client.force_login(world.secretariat)

    page = client.get(URL).content.decode()
    assert "Sent, unconfirmed" in page
    assert f'value="{unconfirmed.pk}"' in page
    assert "may have arrived" in page  # the page says what unconfirmed means
    page = client.get(URL, {"status": ReminderStatus.UNCONFIRMED}).content.decode()
    assert f'value="{unconfirmed.pk}"' in page
    assert f'value="{failed.pk}"' not in page

    response = client.post(URL, {"reminder": [str(unconfirmed.pk)]})
    assert response.status_code == 302
    unconfirmed.refresh_from_db()
    assert (unconfirmed.status, unconfirmed.handed_at, unconfirmed.note) == (
        ReminderStatus.PENDING,
        None,
        "",
    )


def test_a_reminder_a_newer_one_replaced_needs_no_attention(client, targets):
    """Withdrawn for the notice of a move, or for a later lead time: nothing is missing, so
    it is neither listed nor sent again, and the status filter does not offer it."""
    w = targets
    reminder(w.agreement, ReminderKind.MEETING, w.meeting.pk, note="550 mailbox unknown")
    replaced = [
        reminder(
            w.agreement, ReminderKind.MEETING, w.meeting.pk, status=ReminderStatus.REPLACED,
            note=note,
        )
        for note in ("target moved", "superseded", "changed again")
    ]  # fmt: skip
    client.force_login(w.secretariat)

    page = client.get(URL).content.decode()

    assert page.count('type="checkbox" name="reminder"') == 1
    assert "550 mailbox unknown" in page
    assert "superseded" not in page
    assert "target moved" not in page
    assert f'value="{ReminderStatus.REPLACED}"' not in page  # not a status to filter by
    client.post(URL, {"reminder": [str(r.pk) for r in replaced]})
    assert services.resend(reminder_ids=[r.pk for r in replaced]) == 0
    assert set(Reminder.objects.filter(note="superseded").values_list("status", flat=True)) == {
        ReminderStatus.REPLACED
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["the person has turned these reminders off",
                "missed (the meeting had started), after: 421 busy",
                "the sender stopped while sending it, 8 times",
                "sent, unconfirmed: no reply from the mail server after the whole message "
                "went: timed out",
                "550 5.1.1 mailbox unknown"]),
        ("km", ["បុគ្គលនេះបានបិទការរំលឹកប្រភេទនេះ",
                "ខកខាន (កិច្ចប្រជុំបានចាប់ផ្តើមហើយ) បន្ទាប់ពី៖ 421 busy",
                "កម្មវិធីផ្ញើបានឈប់ពេលកំពុងផ្ញើវា 8 ដង",
                "បានផ្ញើ មិនទាន់បញ្ជាក់៖ គ្មានការឆ្លើយតបពីម៉ាស៊ីនមេអ៊ីមែល ក្រោយពីសារទាំងមូលបានផ្ញើទៅ៖ timed out",
                "550 5.1.1 mailbox unknown"]),
        ("zh-hans", ["此人已关闭此类提醒",
                     "已错过（会议已开始），此前：421 busy",
                     "发送程序在发送时停止了 8 次",
                     "已发送，未确认：整封邮件发出后邮件服务器未回复：timed out",
                     "550 5.1.1 mailbox unknown"]),
    ],
)  # fmt: skip
def test_the_reason_is_told_in_the_readers_language(client, world, language, expected):
    """The ledger's reasons are the product's words, told in the reader's language; what a
    mail server said is shown as it said it."""
    notes = [
        "opted out",
        "missed (meeting started): 421 busy",
        "the sender stopped while sending it, 8 times",
        "sent, unconfirmed: no reply after the message was sent: timed out",
        "550 5.1.1 mailbox unknown",
    ]
    for note in notes:
        reminder(world.agreement, ReminderKind.MEETING, world.meeting.pk, note=note)
    client.force_login(world.secretariat)
    client.cookies["django_language"] = language

    page = client.get(URL).content.decode()

    for text in expected:
        assert text in page, text
    if language != "en":
        assert "opted out" not in page


def test_every_reason_the_sender_gives_has_words_for_its_reader():
    """A reason added to the sender's checks without words for the reader would be shown in
    English to everyone: the checks give only the ledger's reasons, and each is described."""
    import inspect
    import re

    from reminders import choices, selectors

    for function in (services._why_not, selectors.too_late):
        assert re.findall(r'return "[^"]+"', inspect.getsource(function)) == [], function
    reasons = {value for name, value in vars(choices.Reason).items() if not name.startswith("_")}
    assert reasons >= {"target moved", "opted out", "meeting started", "deadline passed"}
    from django.utils import translation

    with translation.override("zh-hans"):  # told in Chinese, not shown as written
        for reason in reasons:
            assert choices.describe(reason) != reason, reason
    assert choices.describe("451 4.3.0 try again later") == "451 4.3.0 try again later"
