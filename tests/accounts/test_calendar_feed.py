"""Each person's calendar feed: its secret address made, replaced and stopped from the profile,
and what a calendar app reads there — the meetings and deadlines of the agreements the person
may see, each with the UID and SEQUENCE the reminder emails carry."""

import datetime as dt
import json

import icalendar
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import CalendarFeed
from audit.models import AuditEntry
from negotiations.services import schedule
from reminders import links
from tests.factories import DeadlineFactory, MeetingFactory

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"


def soon(days, hour=2):
    """A moment `days` from now, on the hour (UTC)."""
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def meeting(agreement, days, **fields):
    starts = soon(days)
    return MeetingFactory(
        agreement=agreement, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), **fields
    )


def feed_of(user):
    return services.create_or_regenerate_feed(user=user, by=user)


def fetch(client, feed):
    """The feed as a calendar app reads it: without signing in, whoever uses `client`."""
    return Client().get(reverse("accounts:calendar-feed", kwargs={"token": feed.token}))


def events(response):
    cal = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}


def test_the_feed_lives_under_calendar():
    assert reverse("accounts:calendar-feed", kwargs={"token": "abc-_9"}) == "/calendar/abc-_9.ics"


# --- Making, replacing and stopping the address ---------------------------------------------


def test_a_person_creates_their_feed_address_from_the_profile(client, world):
    user = world.negotiator
    client.force_login(user)
    page = client.get(PROFILE).content.decode()
    assert "Create address" in page
    response = client.post(PROFILE, {"action": "feed"})
    assert response.status_code == 302
    feed = CalendarFeed.objects.get(user=user)
    assert len(feed.token) >= 43
    page = client.get(PROFILE).content.decode()
    url = links.absolute(f"/calendar/{feed.token}.ics")
    assert f'value="{url}" readonly' in page
    assert "New address (the old one stops working)" in page
    assert "Stop the feed" in page


def test_a_new_address_stops_the_old_one_at_once(client, world):
    user = world.chief
    old = feed_of(user)
    old_token = old.token
    client.force_login(user)
    client.post(PROFILE, {"action": "feed"})
    new = CalendarFeed.objects.get(user=user)
    assert new.token != old_token
    assert Client().get(f"/calendar/{old_token}.ics").status_code == 404
    assert fetch(client, new).status_code == 200


def test_stopping_the_feed_stops_its_address(client, world):
    user = world.official
    feed = feed_of(user)
    client.force_login(user)
    response = client.post(PROFILE, {"action": "stop-feed"})
    assert response.status_code == 302
    assert not CalendarFeed.objects.filter(user=user).exists()
    assert fetch(client, feed).status_code == 404
    assert "Create address" in client.get(PROFILE).content.decode()


def test_the_audit_trail_records_the_feed_without_its_secret(world):
    user = world.negotiator
    first = feed_of(user).token
    second = feed_of(user).token
    services.revoke_feed(user=user, by=user)
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(CalendarFeed)
    ).order_by("pk")
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    assert all(entry.actor == user for entry in entries)
    written = json.dumps([[entry.before, entry.after, entry.object_repr] for entry in entries])
    assert first not in written
    assert second not in written
    # Enough is kept to tell one address from the next.
    assert entries[1].before["token"] != entries[1].after["token"]


def test_stopping_a_feed_that_does_not_exist_changes_nothing(world):
    assert services.revoke_feed(user=world.official, by=world.official) is False
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(CalendarFeed)
    ).exists()


# --- What the feed serves -------------------------------------------------------------------


def test_an_unknown_address_is_not_found(client, world):
    feed_of(world.negotiator)
    assert client.get("/calendar/not-a-real-secret-at-all.ics").status_code == 404


def test_a_disabled_account_s_feed_is_not_found(client, world):
    user = world.negotiator
    feed = feed_of(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert fetch(client, feed).status_code == 404


def test_the_feed_is_a_calendar_for_this_reader_only(client, world):
    meeting(world.agreement, 3)
    response = fetch(client, feed_of(world.chief))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert "max-age=900" in response["Cache-Control"]
    cal = icalendar.Calendar.from_ical(response.content)
    assert "METHOD" not in cal
    assert cal["X-WR-CALNAME"]


def test_the_feed_holds_the_meetings_and_deadlines_the_person_may_see(client, world):
    ahead = meeting(world.agreement, 5, title="Fourth round plenary", time_zone="Asia/Shanghai")
    recent = meeting(world.agreement, -20, title="Video call on rules of origin")
    too_old = meeting(world.agreement, -90, title="Long past meeting")
    elsewhere = meeting(world.elsewhere_agreement, 5, title="Somebody else's meeting")
    due = DeadlineFactory(agreement=world.agreement, due_on=soon(10).date())
    overdue = DeadlineFactory(agreement=world.agreement, due_on=soon(-30).date())
    long_due = DeadlineFactory(agreement=world.agreement, due_on=soon(-75).date())
    not_ours = DeadlineFactory(agreement=world.elsewhere_agreement, due_on=soon(10).date())

    found = events(fetch(client, feed_of(world.negotiator)))

    domain = links.mail_domain()
    assert set(found) == {
        f"meeting-{ahead.pk}@{domain}",
        f"meeting-{recent.pk}@{domain}",
        f"deadline-{due.pk}@{domain}",
        f"deadline-{overdue.pk}@{domain}",
    }
    assert f"meeting-{too_old.pk}@{domain}" not in found
    assert f"meeting-{elsewhere.pk}@{domain}" not in found
    assert f"deadline-{long_due.pk}@{domain}" not in found
    assert f"deadline-{not_ours.pk}@{domain}" not in found
    plenary = found[f"meeting-{ahead.pk}@{domain}"]
    assert str(plenary["SUMMARY"]) == "Fourth round plenary"
    assert plenary["DTSTART"].dt == ahead.starts_at
    assert str(plenary["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert found[f"deadline-{due.pk}@{domain}"]["DTSTART"].dt == due.due_on


def test_the_feed_carries_a_time_zone_for_each_meeting_zone(client, world):
    meeting(world.agreement, 2, time_zone="Asia/Shanghai")
    meeting(world.agreement, 3, time_zone="Asia/Phnom_Penh")
    response = fetch(client, feed_of(world.official))
    cal = icalendar.Calendar.from_ical(response.content)
    zones = {str(zone["TZID"]) for zone in cal.walk("VTIMEZONE")}
    assert {"Asia/Shanghai", "Asia/Phnom_Penh"} <= zones


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(client, world):
    called_off = meeting(world.agreement, 4)
    held = meeting(world.agreement, 6)
    schedule.cancel_meeting(meeting=called_off, by=world.secretariat)
    found = events(fetch(client, feed_of(world.chief)))
    domain = links.mail_domain()
    assert str(found[f"meeting-{called_off.pk}@{domain}"]["STATUS"]) == "CANCELLED"
    assert str(found[f"meeting-{held.pk}@{domain}"]["STATUS"]) == "CONFIRMED"


def test_a_moved_meeting_keeps_its_entry_and_its_sequence_rises(client, world):
    from reminders.services import scan

    moved = meeting(world.agreement, 3)
    moved.working_groups.set([world.group])
    feed = feed_of(world.negotiator)
    uid = f"meeting-{moved.pk}@{links.mail_domain()}"
    scan(now=timezone.now())
    before = events(fetch(client, feed))[uid]

    later = moved.starts_at + dt.timedelta(days=1, hours=3)
    schedule.update_meeting(
        meeting=moved,
        by=world.secretariat,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=2),
    )
    found = events(fetch(client, feed))
    assert uid in found
    assert len(found) == len(events(fetch(client, feed)))
    assert found[uid]["DTSTART"].dt == later

    scan(now=timezone.now())
    after = events(fetch(client, feed))[uid]
    assert after["DTSTART"].dt == later
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_the_feed_runs_the_same_queries_for_two_meetings_and_for_forty(client, world):
    feed = feed_of(world.chief)
    meeting(world.agreement, 1)
    DeadlineFactory(agreement=world.agreement, due_on=soon(3).date())
    fetch(client, feed)
    with CaptureQueriesContext(connection) as few:
        assert fetch(client, feed).status_code == 200
    for days in range(2, 42):
        meeting(world.agreement, days, time_zone="Asia/Shanghai" if days % 2 else "UTC")
        DeadlineFactory(agreement=world.agreement, due_on=soon(days).date())
    with CaptureQueriesContext(connection) as many:
        response = fetch(client, feed)
    assert len(events(response)) == 82
    assert len(many) == len(few) <= 5


def test_a_reading_is_noted_at_most_once_an_hour(client, world):
    feed = feed_of(world.official)
    assert feed.last_fetched_at is None
    fetch(client, feed)
    feed.refresh_from_db()
    first = feed.last_fetched_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        fetch(client, feed)
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    feed.refresh_from_db()
    assert feed.last_fetched_at == first

    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=first - dt.timedelta(hours=2))
    fetch(client, feed)
    feed.refresh_from_db()
    assert feed.last_fetched_at > first - dt.timedelta(hours=1)
