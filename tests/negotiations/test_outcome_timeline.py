"""A meeting's outcome is recorded once the meeting has started, never for one still to come or
cancelled; one going on is recorded as decided today on its own calendar, not on its last day."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from negotiations.models import Commitment
from negotiations.services import record_meeting_outcome
from tests.factories import MeetingFactory
from tests.negotiations.test_outcome import census, outcome_data, url_of
from workinggroups.choices import ContestedPointState
from workinggroups.models import ContestedPoint

pytestmark = pytest.mark.django_db

NOT_STARTED = "This meeting has not started yet: its outcome can be recorded from"
CANCELLED = "This meeting was cancelled: no outcome can be recorded for it."


def full_census():
    return census(), AuditEntry.objects.count()


def meeting_of(world, *, starts_in, lasts=dt.timedelta(hours=3), **fields):
    """A meeting of the world's first group starting `starts_in` from now (negative: ago)."""
    starts_at = timezone.now() + starts_in
    meeting = MeetingFactory(
        agreement=world.agreement, starts_at=starts_at, ends_at=starts_at + lasts, **fields
    )
    meeting.working_groups.set([world.group])
    return meeting


@pytest.fixture
def future(world):
    return meeting_of(world, starts_in=dt.timedelta(days=2))


def an_outcome(world, *, due_on="2020-05-01", target_date="2020-05-15"):
    return outcome_data(
        statuses=[{"chapter": world.chapter.pk, "version": 1, "to_status": "agreed_in_principle"}],
        resolutions=[{"point": world.point.pk, "version": 1, "resolve": "on", "resolution": "Ok"}],
        points=[{"chapter": world.chapter.pk, "title": "Cumulation", "target_date": target_date}],
        commitments=[{"text": "Exchange tariff lines.", "due_on": due_on}],
        note="Reported after the meeting.",
    )


def service_rows(world):
    return {
        "status_changes": [(0, {"chapter": world.chapter, "to_status": "agreed"})],
        "resolutions": [(0, {"point": world.point, "resolution": "Ok"})],
        "new_points": [(0, {"chapter": world.chapter, "title": "Cumulation"})],
        "commitments": [(0, {"text": "Exchange tariff lines."})],
    }


# --- The service ------------------------------------------------------------------------------


def test_the_service_refuses_a_meeting_not_yet_started_and_writes_nothing(world, future):
    before = full_census()
    with pytest.raises(ValidationError) as caught:
        record_meeting_outcome(meeting=future, by=world.chief, **service_rows(world))
    (error,) = caught.value.error_dict["meeting"]
    assert error.code == "not_started"
    message = error.messages[0]
    assert message.startswith(NOT_STARTED)
    # The start on the meeting's own clock, with its offset (Phnom Penh is UTC+7).
    assert "UTC+7" in message
    local_start = timezone.localtime(future.starts_at, future.tzinfo)
    assert local_start.strftime("%H:%M") in message
    assert full_census() == before


def test_the_service_refuses_a_cancelled_meeting_and_writes_nothing(world):
    world.meeting.is_cancelled = True
    world.meeting.save()
    before = full_census()
    with pytest.raises(ValidationError) as caught:
        record_meeting_outcome(meeting=world.meeting, by=world.chief, **service_rows(world))
    (error,) = caught.value.error_dict["meeting"]
    assert (error.code, error.messages) == ("cancelled", [CANCELLED])
    assert full_census() == before


def test_a_meeting_started_an_hour_ago_is_recorded_as_decided_today_there(world):
    meeting = meeting_of(world, starts_in=-dt.timedelta(hours=1), lasts=dt.timedelta(days=2))
    record_meeting_outcome(meeting=meeting, by=world.chief, **service_rows(world))

    today_there = timezone.localdate(timezone=meeting.tzinfo)
    change = world.chapter.status_changes.get()
    assert meeting.starts_at <= change.effective_at <= timezone.now()
    world.point.refresh_from_db()
    assert (world.point.state, world.point.resolved_on) == (
        ContestedPointState.RESOLVED,
        today_there,
    )
    new = ContestedPoint.objects.get(title="Cumulation")
    assert (new.raised_at, new.opened_on) == (meeting, today_there)
    assert Commitment.objects.filter(meeting=meeting).count() == 1


# --- The page ---------------------------------------------------------------------------------


def test_the_page_of_a_meeting_not_yet_started_says_so_in_place_of_the_forms(client, world, future):
    client.force_login(world.chief)
    response = client.get(url_of(future))
    assert response.status_code == 409
    html = response.text
    assert NOT_STARTED in html
    assert "UTC+7" in html
    assert "statuses-TOTAL_FORMS" not in html
    assert "Save the outcome" not in html


def test_a_post_for_a_meeting_not_yet_started_saves_nothing(client, world, future):
    client.force_login(world.chief)
    before = full_census()
    response = client.post(url_of(future), an_outcome(world))
    assert response.status_code == 409
    assert NOT_STARTED in response.text
    assert full_census() == before


def test_no_row_is_added_in_place_for_a_meeting_not_yet_started(client, world, future):
    client.force_login(world.chief)
    response = client.get(
        url_of(future), {"add": "commitments", "index": 2}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert NOT_STARTED in response.text
    assert "commitments-2-text" not in response.text


def test_the_page_of_a_cancelled_meeting_says_so_and_a_post_saves_nothing(client, world):
    world.meeting.is_cancelled = True
    world.meeting.save()
    client.force_login(world.chief)
    response = client.get(url_of(world.meeting))
    assert response.status_code == 409
    assert CANCELLED in response.text
    assert "Save the outcome" not in response.text

    before = full_census()
    response = client.post(url_of(world.meeting), an_outcome(world))
    assert response.status_code == 409
    assert full_census() == before


def test_permissions_come_before_the_meetings_timeline(client, world, future):
    """Those without the right learn nothing about the meeting; nothing is saved either way."""
    before = full_census()
    response = client.get(url_of(future))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    for who in ["official", "outsider", "other_negotiator", "elsewhere"]:
        client.force_login(getattr(world, who))
        assert client.get(url_of(future)).status_code == 403
        assert client.post(url_of(future), an_outcome(world)).status_code == 403
    assert full_census() == before


def test_the_page_of_a_meeting_started_an_hour_ago_records_its_outcome(client, world):
    meeting = meeting_of(world, starts_in=-dt.timedelta(hours=1))
    today_there = timezone.localdate(timezone=meeting.tzinfo)
    later = (today_there + dt.timedelta(days=30)).isoformat()
    client.force_login(world.negotiator)
    page = client.get(url_of(meeting))
    assert page.status_code == 200
    assert page.context["day"] == today_there
    assert "Save the outcome" in page.text

    response = client.post(url_of(meeting), an_outcome(world, due_on=later, target_date=later))

    assert response.status_code == 302, response.text[:3000]
    world.chapter.refresh_from_db()
    assert world.chapter.status == "agreed_in_principle"
    assert world.chapter.status_changes.get().effective_at <= timezone.now()
    world.point.refresh_from_db()
    assert world.point.resolved_on == today_there
    assert ContestedPoint.objects.get(title="Cumulation").opened_on == today_there
    assert Commitment.objects.filter(meeting=meeting).count() == 1
