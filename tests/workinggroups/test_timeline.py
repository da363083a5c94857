"""The timeline is protected: no status change, opening, resolution or escalation is dated in
the future, and the dashboard and the contested-points table agree on what is open and
escalated, now and as of a past day, even with future-dated rows written before."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import (
    ChapterFactory,
    ContestedPointFactory,
    MeetingFactory,
    NegotiationRoundFactory,
)
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint
from workinggroups.services import (
    change_chapter_status,
    escalate_contested_point,
    latest_today,
    open_contested_point,
    resolve_contested_point,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
OPEN, ESCALATED, RESOLVED = (
    ContestedPointState.OPEN.value,
    ContestedPointState.ESCALATED.value,
    ContestedPointState.RESOLVED.value,
)


def census():
    """Everything a refused write could have touched."""
    return (
        list(Chapter.objects.order_by("pk").values_list("status", "version")),
        ChapterStatusChange.objects.count(),
        list(
            ContestedPoint.objects.order_by("pk").values_list(
                "state", "version", "resolved_on", "escalated_at"
            )
        ),
        AuditEntry.objects.count(),
    )


def refused(call, field):
    """Run `call`, expecting a refusal on `field`; return its messages."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    return caught.value.message_dict[field]


# --- Chapter status ---------------------------------------------------------------------------


def test_a_status_change_dated_in_the_future_is_refused_and_nothing_written():
    chapter = ChapterFactory()
    before = census()
    messages = refused(
        lambda: change_chapter_status(
            chapter=chapter, to_status="agreed", effective_at=timezone.now() + 2 * DAY
        ),
        "effective_at",
    )
    assert messages == ["A status change cannot be dated in the future."]
    assert census() == before


def test_a_status_change_a_few_seconds_ahead_is_clock_skew_not_the_future():
    chapter = ChapterFactory()
    moment = timezone.now() + dt.timedelta(seconds=30)
    change = change_chapter_status(chapter=chapter, to_status="agreed", effective_at=moment)
    assert change.effective_at == moment


def test_a_status_change_made_at_a_meeting_not_yet_started_is_refused():
    chapter = ChapterFactory()
    now = timezone.now()
    meeting = MeetingFactory(
        agreement=chapter.working_group.agreement,
        starts_at=now + 2 * DAY,
        ends_at=now + 2 * DAY + dt.timedelta(hours=3),
    )
    before = census()
    messages = refused(
        lambda: change_chapter_status(chapter=chapter, to_status="agreed", meeting=meeting),
        "meeting",
    )
    assert "has not started yet" in messages[0]
    assert census() == before
    # Even with a past moment: nothing can have been decided at a meeting still to come.
    refused(
        lambda: change_chapter_status(
            chapter=chapter,
            to_status="agreed",
            meeting=meeting,
            effective_at=now - DAY,
        ),
        "meeting",
    )
    assert census() == before


def test_a_status_change_at_a_meeting_still_going_on_takes_effect_now_not_at_its_end():
    chapter = ChapterFactory()
    now = timezone.now()
    meeting = MeetingFactory(
        agreement=chapter.working_group.agreement,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    change = change_chapter_status(chapter=chapter, to_status="agreed", meeting=meeting)
    assert meeting.starts_at <= change.effective_at <= timezone.now()
    chapter.refresh_from_db()
    assert chapter.status == ChapterStatus.AGREED


def test_a_status_change_at_a_round_not_yet_started_is_refused_one_going_on_is_dated_now():
    chapter = ChapterFactory()
    agreement = chapter.working_group.agreement
    later = NegotiationRoundFactory(
        agreement=agreement, starts_on=latest_today() + DAY, ends_on=latest_today() + 3 * DAY
    )
    before = census()
    messages = refused(
        lambda: change_chapter_status(chapter=chapter, to_status="agreed", negotiation_round=later),
        "negotiation_round",
    )
    assert "has not started yet" in messages[0]
    assert census() == before

    going_on = NegotiationRoundFactory(
        agreement=agreement, starts_on=latest_today() - 2 * DAY, ends_on=latest_today() + 2 * DAY
    )
    change = change_chapter_status(chapter=chapter, to_status="agreed", negotiation_round=going_on)
    assert change.effective_at <= timezone.now()


def test_a_status_change_at_a_past_meeting_still_takes_effect_at_its_end():
    chapter = ChapterFactory()
    meeting = MeetingFactory(agreement=chapter.working_group.agreement)  # April 2020
    change = change_chapter_status(chapter=chapter, to_status="agreed", meeting=meeting)
    assert change.effective_at == meeting.ends_at


# --- Contested points ---------------------------------------------------------------------------


def test_a_point_opened_on_a_day_still_to_come_is_refused_and_nothing_written():
    chapter = ChapterFactory()
    before = census()
    messages = refused(
        lambda: open_contested_point(
            chapter=chapter, title="Cumulation", opened_on=latest_today() + DAY
        ),
        "opened_on",
    )
    assert "day still to come" in messages[0]
    assert census() == before
    assert not ContestedPoint.objects.exists()


def test_a_point_opened_today_anywhere_is_accepted():
    point = open_contested_point(chapter=ChapterFactory(), title="Cumulation", opened_on=None)
    assert point.opened_on == timezone.localdate()
    # Today in Kiritimati (UTC+14) is already a day that has begun for someone at the table.
    ahead = open_contested_point(chapter=point.chapter, title="Origin", opened_on=latest_today())
    assert ahead.opened_on == latest_today()


def test_a_point_resolved_on_a_day_still_to_come_is_refused_and_nothing_written():
    point = ContestedPointFactory(opened_on=dt.date(2020, 4, 1))
    before = census()
    messages = refused(
        lambda: resolve_contested_point(
            point=point, resolution="Done", resolved_on=latest_today() + DAY
        ),
        "resolved_on",
    )
    assert "day still to come" in messages[0]
    assert census() == before


def test_resolved_today_is_read_on_the_meetings_calendar_when_there_is_one():
    # Honolulu (UTC−10) and Kiritimati (UTC+14) are a whole day apart, always: the latest
    # day anywhere is tomorrow in Honolulu.
    point = ContestedPointFactory(opened_on=dt.date(2020, 4, 1))
    meeting = MeetingFactory(
        agreement=point.chapter.working_group.agreement, time_zone="Pacific/Honolulu"
    )
    before = census()
    refused(
        lambda: resolve_contested_point(
            point=point, resolution="Done", resolved_on=latest_today(), meeting=meeting
        ),
        "resolved_on",
    )
    assert census() == before
    honolulu_today = timezone.localdate(timezone=meeting.tzinfo)
    resolved = resolve_contested_point(
        point=point, resolution="Done", resolved_on=honolulu_today, meeting=meeting
    )
    assert (resolved.state, resolved.resolved_on) == (RESOLVED, honolulu_today)


def test_without_a_meeting_only_what_is_in_the_future_everywhere_is_refused():
    point = ContestedPointFactory(opened_on=dt.date(2020, 4, 1))
    resolved = resolve_contested_point(point=point, resolution="Done", resolved_on=latest_today())
    assert resolved.resolved_on == latest_today()


def test_an_escalation_is_dated_now():
    point = ContestedPointFactory(opened_on=dt.date(2020, 4, 1))
    before = timezone.now()
    escalated = escalate_contested_point(point=point)
    assert before <= escalated.escalated_at <= timezone.now()


# --- The dashboard and the table agree ----------------------------------------------------------


@pytest.fixture
def timeline(world):
    """Besides the world's two open points: an escalated one, one resolved in June 2020, and
    rows written before the services refused the future: one escalated two days ahead, one
    resolved two days ahead, one opened two days ahead."""
    now = timezone.now()
    april = dt.date(2020, 4, 1)
    points = {
        "open": world.point,
        "other open": world.other_point,
        "escalated": ContestedPointFactory(
            chapter=world.chapter,
            opened_on=april,
            state=ESCALATED,
            escalated_at=dt.datetime(2020, 4, 20, 8, tzinfo=dt.UTC),
        ),
        "resolved": ContestedPointFactory(
            chapter=world.chapter,
            opened_on=april,
            state=RESOLVED,
            resolved_on=dt.date(2020, 6, 1),
        ),
        "escalated ahead": ContestedPointFactory(
            chapter=world.other_chapter,
            opened_on=april,
            state=ESCALATED,
            escalated_at=now + 2 * DAY,
        ),
        "resolved ahead": ContestedPointFactory(
            chapter=world.other_chapter,
            opened_on=april,
            state=RESOLVED,
            resolved_on=latest_today() + 2 * DAY,
        ),
        "opened ahead": ContestedPointFactory(
            chapter=world.other_chapter, opened_on=latest_today() + 2 * DAY
        ),
    }
    return {name: point.pk for name, point in points.items()}


def dashboard_points(client, world, as_of):
    response = client.get(reverse("dashboards:agreement", args=[world.agreement.slug]), as_of)
    assert response.status_code == 200
    return {(p.pk, p.state_at) for p in response.context["open_points"]}, response


def table_points(client, world, as_of):
    url = reverse("dashboards:contested-points", args=[world.agreement.slug])
    response = client.get(url, as_of)
    assert response.status_code == 200
    return {(row.record.pk, row.record.state_at) for row in response.context["table"].rows}


def named(timeline, **states):
    return {(timeline[name.replace("_", " ")], state) for name, state in states.items()}


def test_now_the_dashboard_and_the_table_list_the_same_open_and_escalated_points(
    client, world, timeline
):
    client.force_login(world.official)
    on_dashboard, response = dashboard_points(client, world, {})
    in_table = table_points(client, world, {})

    assert on_dashboard == named(
        timeline,
        open=OPEN,
        other_open=OPEN,
        escalated=ESCALATED,
        # Escalated two days ahead: not yet escalated; resolved two days ahead: not yet resolved.
        escalated_ahead=OPEN,
        resolved_ahead=OPEN,
    )
    assert {row for row in in_table if row[1] != RESOLVED} == on_dashboard
    assert in_table - on_dashboard == named(timeline, resolved=RESOLVED)
    # Opened two days ahead: on neither.
    assert timeline["opened ahead"] not in {pk for pk, _ in in_table}
    panel = response.text.split('id="open-points"')[1].split("</table>")[0]
    assert sorted(int(pk) for pk in re.findall(r'data-point="(\d+)"', panel)) == sorted(
        pk for pk, _ in on_dashboard
    )

    url = reverse("dashboards:contested-points", args=[world.agreement.slug])
    escalated = client.get(url, {"state": ESCALATED}).context["table"].rows
    assert [row.record.pk for row in escalated] == [timeline["escalated"]]


def test_as_of_a_past_day_the_dashboard_and_the_table_list_the_same_points(client, world, timeline):
    client.force_login(world.official)
    as_of = {"as_of": "2020-05-01"}
    on_dashboard, _ = dashboard_points(client, world, as_of)
    in_table = table_points(client, world, as_of)

    assert on_dashboard == named(
        timeline,
        open=OPEN,
        other_open=OPEN,
        escalated=ESCALATED,
        resolved=OPEN,  # resolved in June
        escalated_ahead=OPEN,
        resolved_ahead=OPEN,
    )
    assert in_table == on_dashboard

    before_escalation = {"as_of": "2020-04-10"}
    on_dashboard, _ = dashboard_points(client, world, before_escalation)
    assert on_dashboard == {(pk, OPEN) for pk, _ in on_dashboard}
    assert table_points(client, world, before_escalation) == on_dashboard


def test_a_point_opened_today_on_a_calendar_ahead_is_listed_new_not_minus_one_day(client, world):
    point = ContestedPointFactory(chapter=world.chapter, opened_on=latest_today())
    client.force_login(world.official)
    response = client.get(reverse("dashboards:agreement", args=[world.agreement.slug]))
    (shown,) = [p for p in response.context["open_points"] if p.pk == point.pk]
    assert shown.age_days == 0
    in_table = table_points(client, world, {})
    assert (point.pk, OPEN) in in_table


def test_a_chapter_is_contested_now_exactly_when_the_panel_lists_one_of_its_points(client, world):
    ahead = ChapterFactory(working_group=world.group, status="under_negotiation")
    ContestedPointFactory(chapter=ahead, opened_on=latest_today() + 2 * DAY)
    not_yet_resolved = ChapterFactory(working_group=world.group, status="under_negotiation")
    ContestedPointFactory(
        chapter=not_yet_resolved,
        opened_on=dt.date(2020, 4, 1),
        state=RESOLVED,
        resolved_on=latest_today() + 2 * DAY,
    )
    client.force_login(world.official)
    dashboard = client.get(reverse("dashboards:agreement", args=[world.agreement.slug]))
    listed = {p.chapter_id for p in dashboard.context["open_points"]}
    chapters = client.get(reverse("dashboards:chapter-list", args=[world.agreement.slug]))
    contested = {row.record.pk for row in chapters.context["table"].rows if row.record.contested_at}
    assert contested == listed == {world.chapter.pk, world.other_chapter.pk, not_yet_resolved.pk}
    assert ahead.pk not in contested
