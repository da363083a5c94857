"""The negotiation's calendar in the product's own pages: rounds, meetings (typed on the
meeting's own clock) and deadlines, for those who manage the agreement, and nobody else."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.choices import Role
from negotiations.models import Deadline, Delegation, Meeting, NegotiationRound
from negotiations.services import create_meeting, create_round, update_meeting
from tests.factories import (
    AgreementFactory,
    DeadlineFactory,
    MeetingFactory,
    NegotiationRoundFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def cal(world):
    """The world, with a round and a deadline to edit, Brunei at the table, and a
    secretariat officer without the staff flag who lives in Phnom Penh."""
    world.brunei = PartyFactory(
        code="BRN", name="Brunei Darussalam", capital_time_zone="Asia/Brunei"
    )
    Delegation.objects.create(agreement=world.agreement, party=world.brunei)
    world.round = NegotiationRoundFactory(agreement=world.agreement, number=2)
    world.deadline = DeadlineFactory(agreement=world.agreement, working_group=world.group)
    world.secretariat.is_staff = False
    world.secretariat.time_zone = "Asia/Phnom_Penh"
    world.secretariat.save()
    world.chief.time_zone = "Asia/Phnom_Penh"
    world.chief.save()
    # Someone who runs the other agreement, and nothing here.
    world.other_secretariat = UserFactory(is_staff=False)
    RoleAssignmentFactory(
        user=world.other_secretariat, agreement=world.elsewhere_agreement, role=Role.SECRETARIAT
    )
    return world


def pages(w):
    return {
        "round-create": reverse("negotiations:round-create", args=[w.agreement.slug]),
        "round-update": reverse("negotiations:round-update", args=[w.round.pk]),
        "meeting-create": reverse("negotiations:meeting-create", args=[w.agreement.slug]),
        "meeting-update": reverse("negotiations:meeting-update", args=[w.meeting.pk]),
        "meeting-cancel": reverse("negotiations:meeting-cancel", args=[w.meeting.pk]),
        "deadline-create": reverse("negotiations:deadline-create", args=[w.agreement.slug]),
        "deadline-update": reverse("negotiations:deadline-update", args=[w.deadline.pk]),
    }


def meeting_data(w, **changes):
    """What the meeting form sends: a two-day working-group meeting in Brunei's time."""
    data = {
        "kind": "working_group",
        "title": "Rules of Origin intersessional",
        "negotiation_round": w.round.pk,
        "host_party": w.brunei.pk,
        "time_zone": "Asia/Brunei",
        "start_date": "2020-05-12",
        "start_time": "09:00",
        "end_date": "2020-05-13",
        "end_time": "17:00",
        "location": "Bandar Seri Begawan",
        "video_link": "",
        "working_groups": [w.group.pk, w.other_group.pk],
        "summary": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def round_data(**changes):
    data = {
        "number": "",
        "starts_on": "2020-06-08",
        "ends_on": "2020-06-10",
        "mode": "video_conference",
        "host_party": "",
        "location": "",
        "summary": "",
    }
    data.update(changes)
    return data


def deadline_data(**changes):
    data = {
        "working_group": "",
        "title": "Exchange the offers",
        "due_on": "2020-06-30",
        "set_at": "",
        "done_on": "",
    }
    data.update(changes)
    return data


def census():
    """Everything the calendar's pages may write."""
    return (
        list(NegotiationRound.objects.order_by("pk").values_list()),
        list(Meeting.objects.order_by("pk").values_list()),
        sorted(Meeting.working_groups.through.objects.values_list("meeting", "workinggroup")),
        list(Deadline.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def posts(w):
    """A valid POST for every page, so that a refusal is about the person, not the data."""
    return {
        "round-create": round_data(),
        "round-update": round_data(number=2),
        "meeting-create": meeting_data(w),
        "meeting-update": meeting_data(w),
        "meeting-cancel": {},
        "deadline-create": deadline_data(),
        "deadline-update": deadline_data(),
    }


# --- Who may -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, cal):
    before = census()
    for name, url in pages(cal).items():
        assert client.get(url).url.startswith(reverse("login")), name
        assert client.post(url, posts(cal)[name]).url.startswith(reverse("login")), name
    assert census() == before


@pytest.mark.parametrize(
    "who", ["outsider", "official", "negotiator", "elsewhere", "other_secretariat"]
)
def test_without_management_rights_every_page_is_403_and_nothing_changes(client, cal, who):
    client.force_login(getattr(cal, who))
    before = census()
    for name, url in pages(cal).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, posts(cal)[name]).status_code == 403, name
    assert census() == before


def test_the_secretariat_of_another_agreement_cannot_edit_this_meeting(client, cal):
    client.force_login(cal.other_secretariat)
    url = reverse("negotiations:meeting-update", args=[cal.meeting.pk])
    response = client.post(url, meeting_data(cal, title="Taken over"))
    assert response.status_code == 403
    cal.meeting.refresh_from_db()
    assert cal.meeting.title != "Taken over"


@pytest.mark.parametrize("who", ["secretariat", "chief"])
def test_secretariat_and_chief_open_every_page_without_the_staff_flag(client, cal, who):
    user = getattr(cal, who)
    assert not user.is_staff
    client.force_login(user)
    for name, url in pages(cal).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert "<form" in response.text, name


def test_missing_things_are_404(client, cal):
    client.force_login(cal.secretariat)
    for url in [
        reverse("negotiations:round-create", args=["no-such-agreement"]),
        reverse("negotiations:meeting-update", args=[999999]),
        reverse("negotiations:deadline-update", args=[999999]),
        reverse("negotiations:round-update", args=[999999]),
    ]:
        assert client.get(url).status_code == 404, url


# --- Rounds ------------------------------------------------------------------------------------


def test_a_new_round_takes_the_next_number(client, cal):
    client.force_login(cal.secretariat)
    url = pages(cal)["round-create"]
    assert 'name="number" value="3"' in client.get(url).text
    response = client.post(url, round_data())
    created = NegotiationRound.objects.get(agreement=cal.agreement, number=3)
    assert response.url == created.get_absolute_url()
    assert (created.starts_on, created.mode) == (dt.date(2020, 6, 8), "video_conference")
    assert AuditEntry.objects.filter(object_id=str(created.pk), action="create").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2020-06-01"}, "ends_on", "A round ends on or after the day it starts."),
        ({"mode": "in_person"}, "host_party", "A round held in person needs a host."),
        ({"number": "2"}, "number", "This agreement already has a round 2."),
    ],
)
def test_a_round_the_model_refuses_is_refused_on_the_field_concerned(
    client, cal, changes, field, message
):
    client.force_login(cal.chief)
    before = census()
    response = client.post(pages(cal)["round-create"], round_data(location="Typed", **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert 'value="Typed"' in response.text
    assert census() == before


def test_the_service_refuses_what_the_model_constraints_refuse(cal):
    """The form says it on the field; the service is the last line whatever the door."""
    with pytest.raises(ValidationError):
        create_round(
            agreement=cal.agreement,
            starts_on=dt.date(2020, 6, 8),
            ends_on=dt.date(2020, 6, 1),
            mode="video_conference",
        )
    with pytest.raises(ValidationError):
        create_round(
            agreement=cal.agreement,
            starts_on=dt.date(2020, 6, 8),
            ends_on=dt.date(2020, 6, 9),
            mode="in_person",
        )


def test_a_round_host_must_sit_at_this_agreements_table(client, cal):
    stranger = cal.elsewhere_agreement.parties.first()
    client.force_login(cal.secretariat)
    url = pages(cal)["round-create"]
    assert stranger.name not in client.get(url).text
    response = client.post(url, round_data(mode="in_person", host_party=stranger.pk))
    assert response.status_code == 400
    assert "host_party" in response.context["form"].errors
    assert not NegotiationRound.objects.filter(number=3).exists()


def test_editing_a_round(client, cal):
    client.force_login(cal.secretariat)
    url = pages(cal)["round-update"]
    assert 'value="2020-04-08"' in client.get(url).text
    response = client.post(
        url,
        round_data(
            number=2,
            mode="in_person",
            host_party=cal.brunei.pk,
            location="Bandar Seri Begawan",
            starts_on="2020-04-08",
            ends_on="2020-04-10",
        ),
    )
    assert response.status_code == 302
    cal.round.refresh_from_db()
    assert (cal.round.host_party, cal.round.ends_on) == (cal.brunei, dt.date(2020, 4, 10))
    entry = AuditEntry.objects.filter(object_id=str(cal.round.pk), action="update").get()
    assert entry.actor == cal.secretariat


# --- Meetings ----------------------------------------------------------------------------------


def test_times_are_read_on_the_meetings_clock_not_the_editors(client, cal):
    """Typed in Phnom Penh (UTC+7) for a meeting in Brunei (UTC+8): 09:00 is 01:00 UTC."""
    client.force_login(cal.secretariat)
    response = client.post(pages(cal)["meeting-create"], meeting_data(cal))
    meeting = Meeting.objects.get(title="Rules of Origin intersessional")
    assert response.url == meeting.get_absolute_url()
    assert meeting.time_zone == "Asia/Brunei"
    assert meeting.starts_at == dt.datetime(2020, 5, 12, 1, 0, tzinfo=UTC)
    assert meeting.ends_at == dt.datetime(2020, 5, 13, 9, 0, tzinfo=UTC)
    assert set(meeting.working_groups.all()) == {cal.group, cal.other_group}
    assert (meeting.negotiation_round, meeting.host_party) == (cal.round, cal.brunei)
    assert AuditEntry.objects.filter(object_id=str(meeting.pk), action="create").exists()

    # Shown back as Brunei's clock reads it, not as the editor's (08:00 in Phnom Penh).
    page = client.get(reverse("negotiations:meeting-update", args=[meeting.pk])).text
    for shown in [
        'name="start_date" value="2020-05-12"',
        'name="start_time" value="09:00"',
        'name="end_date" value="2020-05-13"',
        'name="end_time" value="17:00"',
    ]:
        assert shown in page
    # Saved again untouched, nothing moves.
    client.post(reverse("negotiations:meeting-update", args=[meeting.pk]), meeting_data(cal))
    meeting.refresh_from_db()
    assert meeting.starts_at == dt.datetime(2020, 5, 12, 1, 0, tzinfo=UTC)


def test_a_blank_zone_is_the_hosts_capital(client, cal):
    client.force_login(cal.chief)
    client.post(pages(cal)["meeting-create"], meeting_data(cal, time_zone=""))
    meeting = Meeting.objects.get(title="Rules of Origin intersessional")
    assert meeting.time_zone == "Asia/Brunei"
    assert meeting.starts_at == dt.datetime(2020, 5, 12, 1, 0, tzinfo=UTC)


def test_a_blank_zone_without_any_host_is_utc(client, cal):
    client.force_login(cal.chief)
    client.post(
        pages(cal)["meeting-create"],
        meeting_data(cal, time_zone="", host_party="", negotiation_round=""),
    )
    meeting = Meeting.objects.get(title="Rules of Origin intersessional")
    assert meeting.time_zone == "UTC"
    assert meeting.starts_at == dt.datetime(2020, 5, 12, 9, 0, tzinfo=UTC)


def test_a_meeting_ending_before_it_starts_is_refused_keeping_what_was_typed(client, cal):
    client.force_login(cal.secretariat)
    before = census()
    response = client.post(
        pages(cal)["meeting-create"],
        meeting_data(cal, end_date="2020-05-12", end_time="08:30"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["end_time"]
    assert "must end after it starts" in errors["end_time"][0]
    for kept in [
        'value="Rules of Origin intersessional"',
        'value="Bandar Seri Begawan"',
        'name="end_time" value="08:30"',
        'name="start_time" value="09:00"',
    ]:
        assert kept in response.text
    assert census() == before


def test_the_form_offers_only_this_agreements_rounds_parties_and_groups(client, cal):
    # Three "Rules of Origin" groups, in three agreements: only this one's is offered.
    mine = WorkingGroupFactory(agreement=cal.agreement, name="Rules of Origin", code="ROO")
    theirs = WorkingGroupFactory(
        agreement=cal.elsewhere_agreement, name="Rules of Origin", code="ROO"
    )
    WorkingGroupFactory(agreement=AgreementFactory(), name="Rules of Origin", code="ROO")
    their_round = NegotiationRoundFactory(agreement=cal.elsewhere_agreement, number=7)
    client.force_login(cal.secretariat)
    response = client.get(pages(cal)["meeting-create"])
    form = response.context["form"]
    assert list(form.fields["negotiation_round"].queryset) == [cal.round]
    assert set(form.fields["working_groups"].queryset) == {cal.group, cal.other_group, mine}
    assert set(form.fields["host_party"].queryset) == set(cal.agreement.parties.all())
    text = response.text
    assert options(text, "negotiation_round") == {
        "": "— not part of a round —",
        str(cal.round.pk): "Round 2 (8–9 Apr 2020)",
    }
    assert str(their_round.pk) not in options(text, "negotiation_round")
    groups = checkboxes(text, "working_groups")
    assert groups[str(mine.pk)] == "Rules of Origin (ROO)"
    assert str(theirs.pk) not in groups
    assert text.count("Rules of Origin (ROO)") == 1
    assert cal.brunei.name in options(text, "host_party").values()


def options(html, name):
    """{value: label} of the <select> called `name`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return {
        value: label.strip()
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    }


def checkboxes(html, name):
    """{value: label} of the checkboxes called `name`."""
    return {
        value: label.strip()
        for value, label in re.findall(
            rf'<input type="checkbox" name="{name}" value="([^"]*)"[^>]*>([^<]*)</label>', html
        )
    }


@pytest.mark.parametrize("page", ["meeting-create", "meeting-update"])
def test_another_agreements_working_group_is_refused_by_the_form(client, cal, page):
    foreign = WorkingGroupFactory(agreement=cal.elsewhere_agreement)
    client.force_login(cal.secretariat)
    before = census()
    response = client.post(
        pages(cal)[page], meeting_data(cal, working_groups=[cal.group.pk, foreign.pk])
    )
    assert response.status_code == 400
    assert "working_groups" in response.context["form"].errors
    assert census() == before


def test_another_agreements_working_group_is_refused_by_the_service(cal):
    foreign = WorkingGroupFactory(agreement=cal.elsewhere_agreement)
    moment = dt.datetime(2020, 5, 12, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        create_meeting(
            agreement=cal.agreement,
            working_groups=[cal.group, foreign],
            kind="working_group",
            title="Mixed",
            starts_at=moment,
            ends_at=moment + dt.timedelta(hours=2),
            time_zone="Asia/Brunei",
        )
    assert "working_groups" in refused.value.message_dict
    assert not Meeting.objects.filter(title="Mixed").exists()
    with pytest.raises(ValidationError):
        update_meeting(meeting=cal.meeting, working_groups=[foreign], title="Mixed")
    cal.meeting.refresh_from_db()
    assert list(cal.meeting.working_groups.all()) == [cal.group]
    assert cal.meeting.title != "Mixed"


def test_editing_a_meeting_changes_its_groups_and_records_both(client, cal):
    client.force_login(cal.chief)
    url = pages(cal)["meeting-update"]
    response = client.post(
        url, meeting_data(cal, title="Renamed", working_groups=[cal.other_group.pk])
    )
    assert response.status_code == 302
    cal.meeting.refresh_from_db()
    assert cal.meeting.title == "Renamed"
    assert list(cal.meeting.working_groups.all()) == [cal.other_group]
    entries = AuditEntry.objects.filter(object_id=str(cal.meeting.pk), action="update")
    assert any(e.after.get("working_groups") == [cal.other_group.pk] for e in entries)


def test_cancelling_a_meeting_asks_first_then_marks_it(client, cal):
    client.force_login(cal.secretariat)
    url = pages(cal)["meeting-cancel"]
    response = client.get(url)
    assert "Cancel this meeting" in response.text
    cal.meeting.refresh_from_db()
    assert not cal.meeting.is_cancelled
    response = client.post(url)
    assert response.url == cal.meeting.get_absolute_url()
    cal.meeting.refresh_from_db()
    assert cal.meeting.is_cancelled
    assert AuditEntry.objects.filter(object_id=str(cal.meeting.pk), action="update").exists()
    again = client.post(url, follow=True)
    assert "already cancelled" in again.text
    # The edit form offers to undo a cancellation made by mistake.
    page = client.get(pages(cal)["meeting-update"])
    assert 'name="is_cancelled"' in page.text


def test_the_meeting_page_offers_edit_and_cancel_to_managers_only(client, cal):
    url = cal.meeting.get_absolute_url()
    edit = reverse("negotiations:meeting-update", args=[cal.meeting.pk])
    cancel = reverse("negotiations:meeting-cancel", args=[cal.meeting.pk])
    client.force_login(cal.secretariat)
    text = client.get(url).text
    assert edit in text
    assert cancel in text
    for who in ["official", "negotiator"]:
        client.force_login(getattr(cal, who))
        text = client.get(url).text
        assert edit not in text
        assert cancel not in text


def test_the_dashboard_offers_new_meeting_and_deadline_to_managers_only(client, cal):
    url = cal.agreement.get_absolute_url()
    links = [
        reverse("negotiations:meeting-create", args=[cal.agreement.slug]),
        reverse("negotiations:deadline-create", args=[cal.agreement.slug]),
    ]
    client.force_login(cal.chief)
    text = client.get(url).text
    assert all(link in text for link in links)
    client.force_login(cal.official)
    text = client.get(url).text
    assert not any(link in text for link in links)


def make_agreement(size):
    """An agreement with `size` of everything the meeting form offers, its secretariat, and
    a meeting of all its groups."""
    agreement = AgreementFactory(parties=[PartyFactory() for _ in range(size + 1)])
    user = UserFactory()
    RoleAssignmentFactory(user=user, agreement=agreement, role=Role.SECRETARIAT)
    groups = [WorkingGroupFactory(agreement=agreement) for _ in range(size)]
    rounds = [NegotiationRoundFactory(agreement=agreement, number=n + 1) for n in range(size)]
    meeting = MeetingFactory(agreement=agreement, negotiation_round=rounds[-1])
    meeting.working_groups.set(groups)
    for _ in range(size):
        MeetingFactory(agreement=agreement)
    return user, meeting


def count_queries(client, user, url):
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "page", ["negotiations:meeting-update", "negotiations:meeting-create", "deadline"]
)
def test_the_calendar_forms_run_a_fixed_number_of_queries(client, db, page):
    counts = []
    for size in (1, 12):
        user, meeting = make_agreement(size)
        if page == "negotiations:meeting-update":
            url = reverse(page, args=[meeting.pk])
        elif page == "negotiations:meeting-create":
            url = reverse(page, args=[meeting.agreement.slug])
        else:
            url = reverse("negotiations:deadline-create", args=[meeting.agreement.slug])
        counts.append(count_queries(client, user, url))
    assert counts[0] == counts[1]
    assert counts[1] <= 12


# --- Deadlines ---------------------------------------------------------------------------------


def test_a_deadline_of_the_chief_negotiators_and_its_completion(client, cal):
    client.force_login(cal.secretariat)
    response = client.post(pages(cal)["deadline-create"], deadline_data(set_at=cal.meeting.pk))
    assert response.url == cal.agreement.get_absolute_url()
    deadline = Deadline.objects.get(title="Exchange the offers")
    assert (deadline.working_group, deadline.set_at) == (None, cal.meeting)
    url = reverse("negotiations:deadline-update", args=[deadline.pk])
    response = client.post(
        url,
        deadline_data(
            working_group=cal.group.pk, set_at=cal.meeting.pk, done="on", done_on="2020-06-29"
        ),
    )
    assert response.status_code == 302
    deadline.refresh_from_db()
    assert (deadline.working_group, deadline.done, deadline.done_on) == (
        cal.group,
        True,
        dt.date(2020, 6, 29),
    )
    assert AuditEntry.objects.filter(object_id=str(deadline.pk), action="update").exists()


@pytest.mark.parametrize(
    ("field", "value_of"),
    [
        ("working_group", lambda w: w.elsewhere_chapter.working_group.pk),
        ("set_at", lambda w: w.elsewhere_meeting.pk),
        ("done_on", lambda w: "2020-06-29"),
    ],
)
def test_a_deadline_refused_on_the_field_concerned(client, cal, field, value_of):
    client.force_login(cal.chief)
    before = census()
    response = client.post(pages(cal)["deadline-create"], deadline_data(**{field: value_of(cal)}))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert 'value="Exchange the offers"' in response.text
    assert census() == before


def test_a_time_the_clocks_skip_is_refused_on_its_field_not_moved(client, cal):
    """01:30 on 28 March 2027 never shows on a London clock: it is said, not shifted."""
    client.force_login(cal.secretariat)
    response = client.post(
        pages(cal)["meeting-create"],
        meeting_data(
            cal,
            time_zone="Europe/London",
            start_date="2027-03-28",
            start_time="01:30",
            end_date="2027-03-28",
            end_time="03:00",
        ),
    )
    assert response.status_code == 400
    assert "start_time" in response.context["form"].errors
    assert "the clocks go forward" in response.content.decode()
    assert 'name="start_time" value="01:30"' in response.content.decode()
    assert not Meeting.objects.filter(title="Rules of Origin intersessional").exists()
