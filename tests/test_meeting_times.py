"""A meeting's time reads the same on its page and in its reminder email, for readers in every
zone: on the meeting's own named clock with its offset, the reader's time beside it where their
clock differs, the end day of a meeting over several days, the year of a day not in the
reader's current year, never an abbreviation, and a calendar entry on the meeting's clock.

Every expected time is worked out here from the zone rules, not copied from what is shown.
Meetings fall in the reader's current year so that the page (read today) and the email (sent
the day before the meeting) leave the year out alike; another test covers other years.
"""

import datetime as dt
import re
import zoneinfo
from html import unescape

import icalendar
import pytest
from django.utils import timezone

from negotiations.choices import MeetingKind, Role
from reminders import services
from reminders.choices import ReminderKind
from reminders.emails import build_message
from reminders.models import Reminder
from tests.factories import (
    AgreementFactory,
    MeetingFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.reminders.conftest import sink, smtp_server  # noqa: F401  (fixtures used below)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MINUS = "\N{MINUS SIGN}"
PHNOM_PENH = "Asia/Phnom_Penh"
SYDNEY = "Australia/Sydney"
# The readers: one on the meeting's clock, one half an hour off it, others an hour or more
# ahead, two south with summer time in January, and one west with summer time in July.
VIEWERS = [
    PHNOM_PENH,
    "Asia/Shanghai",
    "Asia/Yangon",
    "Asia/Tokyo",
    SYDNEY,
    "Pacific/Auckland",
    "Europe/London",
]
# The place each zone is known by: China's zone is named after Shanghai, its capital is Beijing.
PLACES = {
    PHNOM_PENH: "Phnom Penh",
    "Asia/Shanghai": "Beijing",
    "Asia/Yangon": "Yangon",
    "Asia/Tokyo": "Tokyo",
    SYDNEY: "Sydney",
    "Pacific/Auckland": "Auckland",
    "Europe/London": "London",
}
ABBREVIATIONS = re.compile(
    r"\b(?:CST|CDT|IST|ICT|MMT|JST|KST|HKT|SGT|WIB|AEST|AEDT|ACST|NZST|NZDT|BST|GMT|CET|CEST)\b"
    # A bare offset ("+07", "+0700", "−03:30"): every offset is said as "UTC+7".
    rf"|(?<!\w)[+{MINUS}]\d{{2}}(?::?\d{{2}})?\b"
    # A zone's own name.
    r"|\b(?:Asia|Australia|Pacific|Europe|Etc)/"
)


# ---------------------------------------------------------------------------------------------
# What a reader should see, worked out from the zone rules
# ---------------------------------------------------------------------------------------------
def offset(moment: dt.datetime, zone: str) -> str:
    """The zone's offset from UTC at that moment, as "UTC+7", "UTC+6:30" or "UTC"."""
    minutes = int(moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else MINUS}{hours}" + (f":{rest:02d}" if rest else "")


def offsets(start, end, zone) -> str:
    first, last = offset(start, zone), offset(end, zone)
    return first if first == last else f"{first} → {last}"


def day(date: dt.date, today: dt.date) -> str:
    """ "Tue 13 Jan", with the year when it is not the reader's current one."""
    text = f"{date:%a} {date.day} {date:%b}"
    return text if date.year == today.year else f"{text} {date.year}"


def on_clock(start, end, zone, today, *, with_day=True) -> str:
    """The span on that zone's clock, without naming the clock."""
    tz = zoneinfo.ZoneInfo(zone)
    first, last = start.astimezone(tz), end.astimezone(tz)
    if first.date() != last.date():
        return (
            f"{day(first.date(), today)}, {first:%H:%M} – {day(last.date(), today)}, {last:%H:%M}"
        )
    hours = f"{first:%H:%M}–{last:%H:%M}"
    return f"{day(first.date(), today)}, {hours}" if with_day else hours


def same_days(start, end, zone, other) -> bool:
    def days(z):
        tz = zoneinfo.ZoneInfo(z)
        return start.astimezone(tz).date(), end.astimezone(tz).date()

    return days(zone) == days(other)


def same_clock(start, end, zone, other) -> bool:
    return all(offset(i, zone) == offset(i, other) for i in (start, end))


def expected_when(meeting, viewer: str, today: dt.date) -> str:
    """The meeting on its own clock, the reader's beside it where it differs, and UTC where
    no clock shown is UTC: what the page's header and the email's "Starts …" line say."""
    start, end, zone = meeting.starts_at, meeting.ends_at, meeting.time_zone
    text = f"{on_clock(start, end, zone, today)} {PLACES[zone]} ({offsets(start, end, zone)})"
    if not same_clock(start, end, zone, viewer):
        yours = on_clock(
            start, end, viewer, today, with_day=not same_days(start, end, zone, viewer)
        )
        text += f" · {yours} your time ({PLACES[viewer]}, {offsets(start, end, viewer)})"
    if not any(same_clock(start, end, z, "UTC") for z in (zone, viewer)):
        utc = on_clock(start, end, "UTC", today, with_day=not same_days(start, end, zone, "UTC"))
        text += f" · {utc} UTC"
    return text


def assert_no_abbreviation(text):
    found = ABBREVIATIONS.search(text)
    assert found is None, f"{found.group(0)!r} in {text!r}"


# ---------------------------------------------------------------------------------------------
# The meetings: in the reader's current year, on either side of the changes of clock
# ---------------------------------------------------------------------------------------------
def first_sunday(year, month) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7)


def at(date: dt.date, hour: int, zone: str) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def morning_in_phnom_penh(month):
    """09:00–12:00 in Phnom Penh (UTC+7 all year) on the 13th of `month`: January is summer in
    Sydney and Auckland and winter in London, July the other way round."""

    def times(year):
        date = dt.date(year, month, 13)
        return PHNOM_PENH, at(date, 9, PHNOM_PENH), at(date, 12, PHNOM_PENH)

    return times


def weekend_in_sydney(month):
    """Saturday 09:00 to Monday 17:00 in Sydney around the first Sunday of `month`, when its
    clock changes: back an hour in April (UTC+11 → UTC+10), forward in October (→ UTC+11).
    Auckland's clock goes back the same April night; in October it changed a week before."""

    def times(year):
        sunday = first_sunday(year, month)
        saturday, monday = sunday - dt.timedelta(days=1), sunday + dt.timedelta(days=1)
        return SYDNEY, at(saturday, 9, SYDNEY), at(monday, 17, SYDNEY)

    return times


MEETINGS = {
    "phnom-penh-january": morning_in_phnom_penh(1),
    "phnom-penh-july": morning_in_phnom_penh(7),
    "sydney-april": weekend_in_sydney(4),
    "sydney-october": weekend_in_sydney(10),
}


@pytest.fixture
def negotiation(db):
    cambodia = PartyFactory(code="KHM", name="Cambodia", capital_time_zone=PHNOM_PENH)
    china = PartyFactory(code="CHN", name="China", capital_time_zone="Asia/Shanghai")
    return AgreementFactory(parties=[cambodia, china])


def reader(agreement, zone):
    """An official of the agreement: the plenary's reminders go to them."""
    user = UserFactory(time_zone=zone, language="en")
    RoleAssignmentFactory(user=user, agreement=agreement, role=Role.OFFICIAL)
    return user


def plenary(agreement, zone, starts_at, ends_at):
    return MeetingFactory(
        agreement=agreement,
        kind=MeetingKind.ROUND_PLENARY,
        title="Round 4 — plenary",
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=zone,
    )


# ---------------------------------------------------------------------------------------------
# What the page and the email show
# ---------------------------------------------------------------------------------------------
def shown_on_page(client, meeting) -> tuple[dt.datetime, str]:
    """The moment and text of the meeting's own time in its page's header, as the signed-in
    reader sees it."""
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    html = response.text
    header = html[html.index('class="page-header"') :]
    found = re.search(r'<time datetime="([^"]+)">(.*?)</time>', header, re.DOTALL)
    assert found, "the page's header has no <time>"
    return dt.datetime.fromisoformat(found.group(1)), unescape(found.group(2)).strip()


def reminder_email(server, user, now):
    """The one email the reminder scan at `now` sends to `user`, through the SMTP server."""
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)
    (message,) = [m for m in server.messages if m["To"].addresses[0].addr_spec == user.email]
    return message


def email_parts(message):
    # Mail travels with CRLF line ends.
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    calendars = [
        part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    return text, html, calendars


def said_in_text(text) -> str:
    found = re.search(r"^Starts in [^:\n]*: (.+)$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


def said_in_html(html) -> str:
    found = re.search(r"<strong>Starts in [^:<]*: (.*?)</strong>", html, re.DOTALL)
    assert found, html
    return unescape(found.group(1)).strip()


def ics_time(moment: dt.datetime, zone: str) -> str:
    return f"{moment.astimezone(zoneinfo.ZoneInfo(zone)):%Y%m%dT%H%M%S}"


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------
def test_the_meetings_cross_the_changes_of_clock_they_are_chosen_for():
    """The cases below mean what they say only if the zone rules put the changes there."""
    year = timezone.now().year
    for month, before, after in [(4, "UTC+11", "UTC+10"), (10, "UTC+10", "UTC+11")]:
        zone, start, end = weekend_in_sydney(month)(year)
        assert (offset(start, zone), offset(end, zone)) == (before, after)
    _, april_start, april_end = weekend_in_sydney(4)(year)
    assert offsets(april_start, april_end, "Pacific/Auckland") == "UTC+13 → UTC+12"
    for month, sydney, auckland, london in [
        (1, "UTC+11", "UTC+13", "UTC"),
        (7, "UTC+10", "UTC+12", "UTC+1"),
    ]:
        _, start, _ = morning_in_phnom_penh(month)(year)
        assert offset(start, SYDNEY) == sydney
        assert offset(start, "Pacific/Auckland") == auckland
        assert offset(start, "Europe/London") == london


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", list(MEETINGS))
def test_the_page_and_the_reminder_say_the_same_time_for_each_reader(
    client,
    negotiation,
    sink,  # noqa: F811
    case,
    viewer,
):
    person = reader(negotiation, viewer)
    # This year, as the reader counts it, so that neither the page nor the email gives a year.
    year = timezone.localdate(timezone=person.zone).year
    zone, starts_at, ends_at = MEETINGS[case](year)
    meeting = plenary(negotiation, zone, starts_at, ends_at)
    sent_at = starts_at - dt.timedelta(days=1)  # the day-before reminder
    client.force_login(person)

    moment, on_page = shown_on_page(client, meeting)
    message = reminder_email(sink, person, sent_at)
    text, html, (ics,) = email_parts(message)

    # (a) The page and the email say the same, word for word, as the zone rules have it.
    assert on_page == expected_when(meeting, viewer, timezone.localdate(timezone=person.zone))
    assert said_in_text(text) == on_page
    assert said_in_html(html) == on_page
    assert moment == starts_at
    # The email's link is the page just read.
    assert (
        re.search(r"Open in the tracker: (\S+)", text).group(1).endswith(meeting.get_absolute_url())
    )

    # The meeting's own clock comes first, named by its place and its offset.
    local = zoneinfo.ZoneInfo(zone)
    local_start, local_end = starts_at.astimezone(local), ends_at.astimezone(local)
    place_and_offset = f"{PLACES[zone]} ({offsets(starts_at, ends_at, zone)})"
    assert on_page.startswith(f"{local_start:%a} {local_start.day} {local_start:%b}, 09:00")
    assert place_and_offset in on_page
    # The subject names the start on the meeting's clock.
    assert f"09:00 {PLACES[zone]} ({offset(starts_at, zone)})" in message["Subject"]

    # (b) The reader's own time beside it where their clock differs, and only there.
    mine = zoneinfo.ZoneInfo(viewer)
    my_start, my_end = starts_at.astimezone(mine), ends_at.astimezone(mine)
    if same_clock(starts_at, ends_at, zone, viewer):
        assert "your time" not in on_page
        assert "your time" not in message["Subject"]
    else:
        yours = f"your time ({PLACES[viewer]}, {offsets(starts_at, ends_at, viewer)})"
        assert on_page.count("your time") == 1
        assert yours in on_page
        before_yours = on_page.split(" · ")[1]
        assert f"{my_start:%H:%M}" in before_yours
        assert f"{my_end:%H:%M}" in before_yours
        assert f"{my_start:%H:%M} your time ({PLACES[viewer]}, " in message["Subject"]

    # (c) No abbreviation, bare offset or zone name anywhere a reader looks.
    for words in (on_page, message["Subject"], text, said_in_html(html)):
        assert_no_abbreviation(words)

    # (d) A meeting over several days says the day it ends.
    if local_start.date() != local_end.date():
        end_day = f"{local_end:%a} {local_end.day} {local_end:%b}"
        assert f" – {end_day}, 17:00 {place_and_offset}" in on_page
        assert f" – {end_day}, 17:00 {place_and_offset}" in said_in_text(text)

    # (e) The calendar entry is on the meeting's clock, with that clock's rules attached.
    lines = re.sub(r"\r?\n[ \t]", "", ics).splitlines()  # unfolded
    assert f"DTSTART;TZID={zone}:{ics_time(starts_at, zone)}" in lines
    assert f"DTEND;TZID={zone}:{ics_time(ends_at, zone)}" in lines
    calendar = icalendar.Calendar.from_ical(ics)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [zone]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == starts_at
    assert event.decoded("DTEND") == ends_at


@pytest.mark.parametrize(
    ("viewer", "times", "expected"),
    [
        # A meeting of an earlier year keeps its year, on every clock shown.
        (
            "Asia/Shanghai",
            lambda year: (at(dt.date(year - 1, 12, 9), 9, PHNOM_PENH), 3),
            lambda year: (
                f"{day(dt.date(year - 1, 12, 9), dt.date(year, 1, 1))}, 09:00–12:00"
                " Phnom Penh (UTC+7) · 10:00–13:00 your time (Beijing, UTC+8)"
                " · 02:00–05:00 UTC"
            ),
        ),
        # On New Year's morning in Phnom Penh it is still last year's evening in London:
        # London's day has its year, Phnom Penh's (this year's) has none.
        (
            "Europe/London",
            lambda year: (at(dt.date(year, 1, 1), 6, PHNOM_PENH), 2),
            lambda year: (
                f"{dt.date(year, 1, 1):%a} 1 Jan, 06:00–08:00 Phnom Penh (UTC+7)"
                f" · {dt.date(year - 1, 12, 31):%a} 31 Dec {year - 1}, 23:00"
                f" – {dt.date(year, 1, 1):%a} 1 Jan, 01:00 your time (London, UTC)"
            ),
        ),
    ],
    ids=["last-year-from-beijing", "new-year-from-london"],
)
def test_a_day_of_another_year_shows_its_year_on_the_page_and_in_the_email(
    client, negotiation, viewer, times, expected
):
    person = reader(negotiation, viewer)
    year = timezone.localdate(timezone=person.zone).year
    starts_at, hours = times(year)
    meeting = plenary(negotiation, PHNOM_PENH, starts_at, starts_at + dt.timedelta(hours=hours))
    client.force_login(person)
    reminder = Reminder(
        agreement=negotiation,
        recipient=person,
        kind=ReminderKind.MEETING,
        target_id=meeting.pk,
        offset_days=1,
        target_at=starts_at,
        due_at=starts_at - dt.timedelta(days=1),
        send_after=starts_at - dt.timedelta(days=1),
    )

    _, on_page = shown_on_page(client, meeting)
    # Read today, as the page is.
    message = build_message(recipient=person, items=[(reminder, meeting)], now=timezone.now())

    assert on_page == expected(year)
    assert on_page == expected_when(meeting, viewer, timezone.localdate(timezone=person.zone))
    assert said_in_text(message.body) == on_page
    assert str(year - 1) in message.subject
    assert_no_abbreviation(on_page)
