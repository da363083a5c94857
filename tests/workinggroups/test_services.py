"""A status change goes through one service that writes the history row in the same transaction."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests.factories import (
    ChapterFactory,
    ContestedPointFactory,
    MeetingFactory,
    NegotiationRoundFactory,
    UserFactory,
)
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ChapterStatusChange
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    open_contested_point,
    resolve_contested_point,
)

pytestmark = pytest.mark.django_db


def test_status_change_writes_the_history_row():
    chapter = ChapterFactory()
    person = UserFactory()
    meeting = MeetingFactory(agreement=chapter.working_group.agreement)

    change = change_chapter_status(
        chapter=chapter,
        to_status=ChapterStatus.UNDER_NEGOTIATION,
        by=person,
        meeting=meeting,
        note="Text-based talks opened.",
    )

    chapter.refresh_from_db()
    assert chapter.status == ChapterStatus.UNDER_NEGOTIATION
    assert chapter.version == 2
    row = ChapterStatusChange.objects.get()
    assert row == change
    assert (row.from_status, row.to_status) == (ChapterStatus.NOT_STARTED, "under_negotiation")
    assert row.changed_by == person
    assert row.meeting == meeting
    assert row.effective_at == meeting.ends_at
    assert row.note == "Text-based talks opened."


def test_status_change_at_a_round_is_effective_at_the_round_end():
    chapter = ChapterFactory()
    round_ = NegotiationRoundFactory(
        agreement=chapter.working_group.agreement, ends_on=dt.date(2020, 4, 9)
    )
    change = change_chapter_status(chapter=chapter, to_status="agreed", negotiation_round=round_)
    assert change.effective_at.date() == dt.date(2020, 4, 9)
    assert change.negotiation_round == round_


def test_status_and_history_roll_back_together(monkeypatch):
    chapter = ChapterFactory()

    def broken_save(self, *args, **kwargs):
        raise IntegrityError("history could not be written")

    monkeypatch.setattr(ChapterStatusChange, "save", broken_save)
    with pytest.raises(IntegrityError):
        change_chapter_status(chapter=chapter, to_status="agreed")

    chapter.refresh_from_db()
    assert chapter.status == ChapterStatus.NOT_STARTED
    assert chapter.version == 1


def test_moving_backwards_needs_a_note():
    chapter = ChapterFactory(status=ChapterStatus.AGREED)
    with pytest.raises(ValidationError) as error:
        change_chapter_status(chapter=chapter, to_status=ChapterStatus.UNDER_NEGOTIATION)
    assert "note" in error.value.message_dict
    assert not ChapterStatusChange.objects.exists()

    change_chapter_status(
        chapter=chapter,
        to_status=ChapterStatus.UNDER_NEGOTIATION,
        note="Reopened: the tariff schedule changed.",
    )
    chapter.refresh_from_db()
    assert chapter.status == ChapterStatus.UNDER_NEGOTIATION


def test_a_stale_version_is_refused_and_nothing_changes():
    chapter = ChapterFactory()
    seen = chapter.version
    change_chapter_status(chapter=Chapter.objects.get(pk=chapter.pk), to_status="agreed")

    with pytest.raises(EditConflict) as conflict:
        change_chapter_status(
            chapter=chapter, to_status="agreed_in_principle", expected_version=seen
        )

    assert conflict.value.current.status == "agreed"
    chapter.refresh_from_db()
    assert chapter.status == "agreed"
    assert ChapterStatusChange.objects.count() == 1


@pytest.mark.parametrize("to_status", ["not_started", "signed", ""])
def test_same_or_unknown_status_is_refused(to_status):
    chapter = ChapterFactory()
    with pytest.raises(ValidationError):
        change_chapter_status(chapter=chapter, to_status=to_status)
    assert not ChapterStatusChange.objects.exists()


def test_meeting_of_another_agreement_is_refused():
    chapter = ChapterFactory()
    elsewhere = MeetingFactory()
    with pytest.raises(ValidationError) as error:
        change_chapter_status(chapter=chapter, to_status="agreed", meeting=elsewhere)
    assert "meeting" in error.value.message_dict
    chapter.refresh_from_db()
    assert chapter.status == ChapterStatus.NOT_STARTED


def test_round_of_another_agreement_is_refused():
    chapter = ChapterFactory()
    with pytest.raises(ValidationError):
        change_chapter_status(
            chapter=chapter, to_status="agreed", negotiation_round=NegotiationRoundFactory()
        )


def test_open_and_resolve_a_contested_point_with_positions():
    chapter = ChapterFactory()
    khm, chn = chapter.working_group.agreement.parties.all()
    point = open_contested_point(
        chapter=chapter,
        title="De minimis threshold",
        target_date=dt.date(2020, 5, 15),
        positions={khm: "10%", chn: "7%"},
        opened_on=dt.date(2020, 4, 9),
    )
    assert sorted(point.positions.values_list("text", flat=True)) == ["10%", "7%"]
    assert Chapter.objects.with_contested().get(pk=chapter.pk).is_contested

    resolved = resolve_contested_point(
        point=point, resolution="Settled at 8%.", resolved_on=dt.date(2020, 6, 10)
    )
    assert resolved.state == ContestedPointState.RESOLVED
    assert not Chapter.objects.with_contested().get(pk=chapter.pk).is_contested
    with pytest.raises(ValidationError):
        resolve_contested_point(point=resolved)


def test_a_position_of_a_party_not_at_the_table_is_refused_and_nothing_written():
    from tests.factories import PartyFactory
    from workinggroups.models import ContestedPoint
    from workinggroups.services import update_contested_point

    chapter = ChapterFactory()
    stranger = PartyFactory()
    with pytest.raises(ValidationError):
        open_contested_point(chapter=chapter, title="Quotas", positions={stranger: "None"})
    assert not ContestedPoint.objects.filter(chapter=chapter).exists()

    point = ContestedPointFactory(chapter=chapter, title="Quotas")
    with pytest.raises(ValidationError):
        update_contested_point(point=point, title="Changed", positions={stranger: "None"})
    point.refresh_from_db()
    assert (point.title, point.version, point.positions.count()) == ("Quotas", 1, 0)


def test_resolving_from_a_stale_version_is_refused():
    point = ContestedPointFactory()
    resolve_contested_point(point=point, resolved_on=dt.date(2020, 6, 1))
    point.state = ContestedPointState.OPEN
    with pytest.raises(EditConflict):
        resolve_contested_point(point=point, expected_version=1)
