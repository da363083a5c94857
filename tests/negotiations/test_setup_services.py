"""The services behind the secretariat's workspace: whatever door calls them, they hold."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from negotiations import permissions
from negotiations.choices import AgreementKind, CommitmentStatus, Role
from negotiations.models import Agreement, CommitmentStatusChange, RoleAssignment
from negotiations.services import (
    Structure,
    assign_role,
    create_agreement,
    create_meeting,
    create_party,
    in_zone,
    mark_commitment_delivered,
    remove_role,
    standard_structure,
    update_commitment,
    update_meeting,
    zone_for,
)
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    MeetingFactory,
    PartyFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.models import Chapter, ChapterStatusChange, WorkingGroup
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    delete_chapter,
    delete_working_group,
    update_chapter,
)

pytestmark = pytest.mark.django_db


def _parties(n):
    return [{"party": PartyFactory(code=f"P{i:02d}"[-3:], name=f"Party {i}")} for i in range(n)]


def test_the_creator_of_an_agreement_becomes_its_secretariat_in_the_same_transaction():
    creator = UserFactory(is_staff=False)
    agreement = create_agreement(
        by=creator,
        name="Regional Partnership",
        short_name="RP",
        kind=AgreementKind.PLURILATERAL,
        parties=_parties(15),
    )
    assert permissions.role_in(creator, agreement.pk) == Role.SECRETARIAT
    assert agreement.delegations.count() == 15
    assert agreement.slug == "rp"
    assert permissions.can_view_agreement(creator, agreement.pk)


def test_the_standard_structure_gives_twenty_chapters_in_working_groups():
    agreement = create_agreement(by=UserFactory(), name="A", short_name="A")
    groups = WorkingGroup.objects.filter(agreement=agreement)
    assert groups.count() == len(standard_structure()) == 10
    assert Chapter.objects.filter(working_group__agreement=agreement).count() == 20
    assert (
        Chapter.objects.filter(working_group__agreement=agreement, status="not_started").count()
        == 20
    )


def test_a_copy_takes_another_agreements_groups_and_chapters_but_not_their_status():
    source = AgreementFactory()
    group = WorkingGroupFactory(agreement=source, name="Rules of Origin", code="ROO")
    ChapterFactory(working_group=group, title="Product-Specific Rules", status="agreed")
    copy = create_agreement(
        by=UserFactory(), name="B", short_name="B", structure=Structure.COPY, copy_from=source
    )
    chapter = Chapter.objects.get(working_group__agreement=copy)
    assert (chapter.working_group.code, chapter.title, chapter.status) == (
        "ROO",
        "Product-Specific Rules",
        "not_started",
    )


def test_an_empty_structure_and_a_refused_agreement_leave_nothing_behind():
    empty = create_agreement(by=UserFactory(), name="C", short_name="C", structure="empty")
    assert not WorkingGroup.objects.filter(agreement=empty).exists()
    before = (Agreement.objects.count(), RoleAssignment.objects.count())
    with pytest.raises(ValidationError):
        create_agreement(
            by=UserFactory(), name="D", short_name="D", kind="bilateral", parties=_parties(3)
        )
    with pytest.raises(ValidationError):
        create_agreement(by=UserFactory(), name="C", short_name="C2")  # name taken
    assert (Agreement.objects.count(), RoleAssignment.objects.count()) == before


def test_a_party_code_is_unique_and_its_zone_real():
    create_party(name="Brunei Darussalam", code="brn", capital_time_zone="Asia/Brunei")
    with pytest.raises(ValidationError) as refused:
        create_party(name="Brunei", code="BRN", capital_time_zone="Asia/Bruneii")
    assert {"code", "capital_time_zone"} <= set(refused.value.message_dict)


def test_an_agreement_always_keeps_a_secretariat():
    agreement = AgreementFactory()
    officer, chief = UserFactory(), UserFactory()
    only = assign_role(agreement=agreement, user=officer, role=Role.SECRETARIAT)
    assign_role(agreement=agreement, user=chief, role=Role.CHIEF_NEGOTIATOR)
    with pytest.raises(ValidationError):
        remove_role(assignment=only)
    assign_role(agreement=agreement, user=chief, role=Role.SECRETARIAT)
    remove_role(assignment=only)
    assert not RoleAssignment.objects.filter(agreement=agreement, user=officer).exists()
    assert RoleAssignment.objects.get(agreement=agreement, role=Role.SECRETARIAT).user == chief


# --- Meetings: typed in the meeting's own zone -------------------------------------------------


def test_a_time_is_read_in_the_meetings_zone_not_the_editors():
    # 09:00 in Bandar Seri Begawan (UTC+8) is 01:00 UTC, whoever types it.
    assert in_zone(dt.date(2026, 12, 7), dt.time(9, 0), "Asia/Brunei") == dt.datetime(
        2026, 12, 7, 1, 0, tzinfo=dt.UTC
    )
    # Across a daylight-saving change: Sydney is UTC+11 in January, UTC+10 in July.
    assert in_zone(dt.date(2027, 1, 10), dt.time(9, 0), "Australia/Sydney").utcoffset() == (
        dt.timedelta(hours=11)
    )
    assert in_zone(dt.date(2027, 7, 10), dt.time(9, 0), "Australia/Sydney").utcoffset() == (
        dt.timedelta(hours=10)
    )


def test_a_meeting_without_a_zone_takes_its_hosts_capital():
    agreement = AgreementFactory(
        parties=[PartyFactory(code="MMR", capital_time_zone="Asia/Yangon")]
    )
    host = agreement.parties.get()
    assert zone_for(time_zone="", host_party=host) == "Asia/Yangon"
    meeting = create_meeting(
        agreement=agreement,
        kind="intersessional",
        title="Rules of Origin, third meeting",
        host_party=host,
        time_zone="",
        starts_at=in_zone(dt.date(2027, 3, 1), dt.time(9), "Asia/Yangon"),
        ends_at=in_zone(dt.date(2027, 3, 2), dt.time(17), "Asia/Yangon"),
    )
    assert meeting.time_zone == "Asia/Yangon"
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(days=1, hours=8)


def test_a_meeting_never_takes_another_agreements_working_group():
    meeting = MeetingFactory()
    foreign = WorkingGroupFactory(name="Rules of Origin")
    with pytest.raises(ValidationError) as refused:
        update_meeting(meeting=meeting, working_groups=[foreign])
    assert "working_groups" in refused.value.message_dict
    assert not meeting.working_groups.exists()
    with pytest.raises(ValidationError):
        create_meeting(
            agreement=meeting.agreement,
            kind="working_group",
            title="Wrong group",
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            working_groups=[foreign],
        )


def test_a_working_group_meeting_names_the_groups_that_meet():
    agreement = AgreementFactory()
    with pytest.raises(ValidationError) as refused:
        create_meeting(
            agreement=agreement,
            kind="working_group",
            title="Nobody's meeting",
            starts_at=dt.datetime(2027, 1, 1, 2, tzinfo=dt.UTC),
            ends_at=dt.datetime(2027, 1, 1, 4, tzinfo=dt.UTC),
        )
    assert "working_groups" in refused.value.message_dict


def test_a_meeting_that_ends_before_it_starts_is_refused():
    agreement = AgreementFactory()
    with pytest.raises(ValidationError):
        create_meeting(
            agreement=agreement,
            kind="round_plenary",
            title="Backwards",
            starts_at=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
            ends_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        )


# --- Commitments: a version, and a history of their status -------------------------------------


def test_a_stale_commitment_edit_is_refused_and_nothing_is_overwritten():
    commitment = CommitmentFactory(text="Deepen the Diamond Cooperation framework")
    seen = commitment.version
    update_commitment(
        commitment=commitment,
        text="Deepen it further",
        status=CommitmentStatus.IN_PROGRESS,
        expected_version=seen,
    )
    with pytest.raises(EditConflict) as conflict:
        update_commitment(
            commitment=commitment,
            text="Mine",
            status=CommitmentStatus.PLEDGED,
            expected_version=seen,
        )
    assert conflict.value.current.text == "Deepen it further"
    commitment.refresh_from_db()
    assert (commitment.text, commitment.version) == ("Deepen it further", seen + 1)


def test_every_status_move_of_a_commitment_is_kept():
    by = UserFactory()
    commitment = CommitmentFactory()
    update_commitment(
        commitment=commitment, by=by, text=commitment.text, status=CommitmentStatus.IN_PROGRESS
    )
    mark_commitment_delivered(commitment=commitment, by=by)
    moves = list(
        CommitmentStatusChange.objects.filter(commitment=commitment).values_list(
            "from_status", "to_status"
        )
    )
    assert moves == [("pledged", "in_progress"), ("in_progress", "delivered")]
    assert AuditEntry.objects.filter(object_id=str(commitment.pk), actor=by).count() == 2


def test_a_commitment_chapter_belongs_to_the_same_agreement():
    commitment = CommitmentFactory()
    with pytest.raises(ValidationError) as refused:
        update_commitment(
            commitment=commitment, text="x", status="pledged", chapter=ChapterFactory()
        )
    assert "chapter" in refused.value.message_dict


# --- Structure: a chapter is never lost ---------------------------------------------------------


def test_moving_a_chapter_to_another_group_keeps_its_history():
    chapter = ChapterFactory(status="not_started")
    change_chapter_status(chapter=chapter, to_status="under_negotiation")
    target = WorkingGroupFactory(agreement=chapter.working_group.agreement)
    moved = update_chapter(chapter=chapter, working_group=target, title="Renamed")
    assert (moved.working_group, moved.title) == (target, "Renamed")
    assert ChapterStatusChange.objects.filter(chapter=chapter).count() == 1
    with pytest.raises(ValidationError):
        update_chapter(chapter=moved, working_group=WorkingGroupFactory())  # another agreement
    with pytest.raises(EditConflict):
        update_chapter(chapter=chapter, title="Stale", expected_version=1)


def test_a_chapter_with_history_or_a_group_with_chapters_cannot_be_removed():
    chapter = ChapterFactory(status="not_started")
    change_chapter_status(chapter=chapter, to_status="under_negotiation")
    with pytest.raises(ValidationError):
        delete_chapter(chapter=chapter)
    with pytest.raises(ValidationError):
        delete_working_group(working_group=chapter.working_group)
    fresh = ChapterFactory()
    delete_chapter(chapter=fresh)
    delete_working_group(working_group=fresh.working_group)
    assert not WorkingGroup.objects.filter(pk=fresh.working_group_id).exists()


def test_a_working_groups_name_and_code_are_its_own_whatever_their_case():
    from workinggroups.services import create_working_group

    agreement = AgreementFactory()
    create_working_group(agreement=agreement, name="Data Flows", code="DF")
    with pytest.raises(ValidationError) as refused:
        create_working_group(agreement=agreement, name="data flows", code="df")
    assert refused.value.message_dict == {
        "name": ["Another working group of this agreement has this name."],
        "code": ["Another working group of this agreement has this code."],
    }


def test_a_chapter_title_taken_in_its_group_is_refused_in_words():
    from workinggroups.services import create_chapter

    chapter = ChapterFactory(title="Rules of Origin")
    with pytest.raises(ValidationError) as refused:
        create_chapter(working_group=chapter.working_group, title="Rules of Origin")
    assert "already has a chapter of this title" in str(refused.value)


def test_an_agreement_claims_no_status_without_its_day_and_no_short_name_twice():
    from negotiations.services import update_agreement

    agreement = AgreementFactory(short_name="MEPA")
    with pytest.raises(ValidationError) as refused:
        update_agreement(agreement=agreement, status="in_force")
    assert "in_force_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        update_agreement(agreement=agreement, concluded_on=dt.date(2999, 1, 1))
    assert "concluded_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        create_agreement(by=UserFactory(), name="Another", short_name="mepa")
    assert "short_name" in refused.value.message_dict


def test_a_bilateral_keeps_two_parties_and_no_agreement_drops_below_two():
    from negotiations.services import add_delegation, remove_delegation

    agreement = AgreementFactory(kind="bilateral")  # two parties, as the factory seats
    with pytest.raises(ValidationError):
        add_delegation(agreement=agreement, party=PartyFactory())
    with pytest.raises(ValidationError) as refused:
        remove_delegation(delegation=agreement.delegations.first())
    assert "at least two parties" in str(refused.value)
    assert agreement.delegations.count() == 2


def test_a_time_the_clocks_skip_is_refused_not_moved():
    from negotiations.services import not_on_the_clock

    # London's clocks go from 01:00 to 02:00 on 28 March 2027.
    reason = not_on_the_clock(dt.date(2027, 3, 28), dt.time(1, 30), "Europe/London")
    assert "01:30 does not exist on 2027-03-28 in Europe/London" in reason
    assert not_on_the_clock(dt.date(2027, 3, 28), dt.time(2, 30), "Europe/London") is None
    assert not_on_the_clock(dt.date(2027, 3, 9), dt.time(9, 0), "Asia/Brunei") is None
