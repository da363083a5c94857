"""“Add to calendar”: one meeting as a calendar file that any calendar reads, on the meeting's
own clock, carrying the same identity and revision as the reminder emails."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from negotiations.choices import Role
from negotiations.services import cancel_meeting, update_meeting
from reminders import selectors as reminder_selectors
from reminders.services import track_changes
from tests.factories import AgreementFactory, MeetingFactory, RoleAssignmentFactory

PHNOM_PENH = zoneinfo.ZoneInfo("Asia/Phnom_Penh")


@pytest.fixture
def meeting(db, settings):
    settings.SITE_URL = "https://tracker.example.org"
    start = (timezone.now() + dt.timedelta(days=5)).astimezone(PHNOM_PENH)
    start = start.replace(hour=9, minute=30, second=0, microsecond=0)
    return MeetingFactory(
        agreement=AgreementFactory(short_name="Cambodia–China FTA", slug="cambodia-china-fta"),
        title="Rules of Origin intersessional",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        time_zone="Asia/Phnom_Penh",
        location="Ministry of Commerce, Phnom Penh",
    )


@pytest.fixture
def reader(meeting):
    return RoleAssignmentFactory(agreement=meeting.agreement, role=Role.OFFICIAL).user


def download(client, user, meeting):
    client.force_login(user)
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response.status_code == 200
    return response, icalendar.Calendar.from_ical(response.content)


def only_event(cal):
    (event,) = cal.walk("VEVENT")
    return event


def test_the_file_is_a_calendar_to_download_with_a_plain_name(client, reader, meeting):
    response, _cal = download(client, reader, meeting)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="Cambodia-China-FTA-meeting-{meeting.pk}.ics"'
    )


def test_a_short_name_without_latin_letters_falls_back_to_the_slug(client, reader, meeting):
    meeting.agreement.short_name = "ខ្មែរ–中国"
    meeting.agreement.save()
    response, _cal = download(client, reader, meeting)
    assert response["Content-Disposition"] == (
        f'attachment; filename="cambodia-china-fta-meeting-{meeting.pk}.ics"'
    )


def test_the_event_is_the_meeting_on_its_own_clock(client, reader, meeting):
    _response, cal = download(client, reader, meeting)
    assert cal["METHOD"] == "PUBLISH"
    event = only_event(cal)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@tracker.example.org"
    assert str(event["SUMMARY"]) == "Rules of Origin intersessional"
    assert str(event["LOCATION"]) == "Ministry of Commerce, Phnom Penh"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"https://tracker.example.org/meetings/{meeting.pk}/"
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Asia/Phnom_Penh"
    assert (start.hour, start.minute) == (9, 30)
    assert start == meeting.starts_at
    assert event.decoded("DTEND") == meeting.ends_at
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Phnom_Penh"
    # The zone comes before the event that uses it.
    assert cal.subcomponents.index(zone) < cal.subcomponents.index(event)


def test_the_revision_is_the_one_the_reminder_emails_carry(client, reader, meeting):
    _response, cal = download(client, reader, meeting)
    assert int(only_event(cal)["SEQUENCE"]) == 0

    track_changes(now=timezone.now())  # first seen by the scan
    update_meeting(
        meeting=meeting,
        starts_at=meeting.starts_at + dt.timedelta(hours=1),
        ends_at=meeting.ends_at + dt.timedelta(hours=1),
    )
    track_changes(now=timezone.now())  # seen moved once

    _response, cal = download(client, reader, meeting)
    sequence = int(only_event(cal)["SEQUENCE"])
    assert sequence == reminder_selectors.sequences("meeting", [meeting.pk])[meeting.pk]
    assert sequence == 1


def test_a_cancelled_meeting_comes_as_a_cancelled_entry(client, reader, meeting):
    track_changes(now=timezone.now())
    cancel_meeting(meeting=meeting)
    track_changes(now=timezone.now())

    _response, cal = download(client, reader, meeting)
    event = only_event(cal)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"meeting-{meeting.pk}@tracker.example.org"
    assert int(event["SEQUENCE"]) == 1


def test_the_page_offers_the_file_for_a_cancelled_meeting_too(client, reader, meeting):
    cancel_meeting(meeting=meeting)
    client.force_login(reader)
    html = client.get(meeting.get_absolute_url()).text
    assert reverse("meetings:ics", args=[meeting.pk]) in html
