"""One way to show a moment: on a named clock with its offset at that moment, the reader's time
beside it where their clock differs, days in the reader's language with the year unless it is
this year; the same words on the meeting page and in the reminder email."""

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from negotiations import moments
from negotiations.choices import Role
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

UTC = dt.UTC
PHNOM_PENH = "Asia/Phnom_Penh"
# Tue 13 Jan 2026 and Tue 14 Jul 2026, 09:00–12:00 in Phnom Penh (UTC+7 all year).
JANUARY = dt.datetime(2026, 1, 13, 2, 0, tzinfo=UTC)
JULY = dt.datetime(2026, 7, 14, 2, 0, tzinfo=UTC)
THREE_HOURS = dt.timedelta(hours=3)
THIS_YEAR = dt.date(2026, 3, 1)
NEXT_YEAR = dt.date(2027, 3, 1)
NEVER = ("+07", "CST", "ICT", "(Asia/", "Asia/", "GMT", "AEDT", "AEST", "BST")

# (viewer's zone, meeting) → what follows "Tue 13 Jan, 09:00–12:00 Phnom Penh (UTC+7)".
YOUR_TIME = [
    ("Asia/Yangon", JANUARY, " · 08:30–11:30 your time (Yangon, UTC+6:30)"),
    ("Asia/Shanghai", JANUARY, " · 10:00–13:00 your time (Beijing, UTC+8)"),
    ("Asia/Tokyo", JANUARY, " · 11:00–14:00 your time (Tokyo, UTC+9)"),
    # Sydney keeps summer time in January (UTC+11), not in July (UTC+10).
    ("Australia/Sydney", JANUARY, " · 13:00–16:00 your time (Sydney, UTC+11)"),
    ("Australia/Sydney", JULY, " · 12:00–15:00 your time (Sydney, UTC+10)"),
    # West of the meeting: London is on UTC in January, UTC+1 in July.
    ("Europe/London", JANUARY, " · 02:00–05:00 your time (London, UTC)"),
    ("Europe/London", JULY, " · 03:00–06:00 your time (London, UTC+1)"),
    # Bangkok's clock is Phnom Penh's: nothing to add.
    ("Asia/Bangkok", JANUARY, ""),
    (PHNOM_PENH, JULY, ""),
]
DAY_OF = {JANUARY: "Tue 13 Jan", JULY: "Tue 14 Jul"}


def assert_no_abbreviation(text):
    for bad in NEVER:
        assert bad not in text, f"{bad!r} in {text!r}"


# ---------------------------------------------------------------------------------------------
# The helpers
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("zone", "place"),
    [
        ("Asia/Phnom_Penh", "Phnom Penh"),
        ("Asia/Shanghai", "Beijing"),
        ("Asia/Yangon", "Yangon"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("UTC", "UTC"),
        ("Etc/GMT-7", ""),
    ],
)
def test_place_of_a_zone(zone, place):
    assert moments.place_of(zone) == place
    assert moments.place_of(zoneinfo.ZoneInfo(zone)) == place


@pytest.mark.parametrize(
    ("moment", "zone", "label"),
    [
        (JANUARY, "Asia/Phnom_Penh", "UTC+7"),
        (JANUARY, "Asia/Yangon", "UTC+6:30"),
        (JANUARY, "Asia/Kolkata", "UTC+5:30"),
        (JANUARY, "Australia/Sydney", "UTC+11"),
        (JULY, "Australia/Sydney", "UTC+10"),
        (JANUARY, "America/Sao_Paulo", "UTC\N{MINUS SIGN}3"),
        (JANUARY, "America/St_Johns", "UTC\N{MINUS SIGN}3:30"),
        (JANUARY, "Europe/London", "UTC"),
        (JULY, "Europe/London", "UTC+1"),
        (JANUARY, "UTC", "UTC"),
    ],
)
def test_offset_label_is_the_offset_at_that_moment(moment, zone, label):
    assert moments.offset_label(moment, zone) == label
    assert moments.offset_label(moment, zoneinfo.ZoneInfo(zone)) == label


def test_a_past_years_day_shows_its_year_and_this_years_does_not():
    assert moments.format_day(dt.date(2013, 9, 20), today=THIS_YEAR) == "Fri 20 Sep 2013"
    assert moments.format_day(dt.date(2026, 9, 20), today=THIS_YEAR) == "Sun 20 Sep"
    assert moments.format_day(dt.date(2026, 9, 20), today=NEXT_YEAR) == "Sun 20 Sep 2026"


def test_the_current_year_is_the_readers():
    # 31 Dec 2026 at 20:00 UTC is already 1 Jan 2027 in Tokyo.
    new_year = dt.date(2027, 1, 1)
    moment = dt.datetime(2026, 12, 31, 20, tzinfo=UTC)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    with timezone.override(tokyo):
        today = timezone.localdate(moment)
        assert moments.format_day(new_year, today=today) == "Fri 1 Jan"
    with timezone.override(UTC):
        today = timezone.localdate(moment)
        assert moments.format_day(new_year, today=today) == "Fri 1 Jan 2027"
    # Without `today`, the reader's today on the real clock.
    with timezone.override(tokyo):
        this_year = timezone.localdate().year
        assert moments.format_day(dt.date(this_year, 5, 1)).endswith("May")
        assert moments.format_day(dt.date(this_year - 1, 5, 1)).endswith(f"May {this_year - 1}")


def test_a_moment_on_the_meetings_clock_and_the_readers():
    text = moments.format_moment(JANUARY, PHNOM_PENH, viewer_zone="Asia/Shanghai", today=THIS_YEAR)
    assert text == "Tue 13 Jan, 09:00 Phnom Penh (UTC+7) · 10:00 your time (Beijing, UTC+8)"
    alone = moments.format_moment(JANUARY, PHNOM_PENH, today=THIS_YEAR)
    assert alone == "Tue 13 Jan, 09:00 Phnom Penh (UTC+7)"


def test_the_readers_day_is_said_when_it_is_another_day():
    # 06:00 in Phnom Penh is 23:00 the evening before in London.
    early = dt.datetime(2026, 1, 12, 23, 0, tzinfo=UTC)
    text = moments.format_moment(early, PHNOM_PENH, viewer_zone="Europe/London", today=THIS_YEAR)
    assert text == (
        "Tue 13 Jan, 06:00 Phnom Penh (UTC+7) · Mon 12 Jan, 23:00 your time (London, UTC)"
    )
    # And 21:00 in Phnom Penh is 01:00 the next morning in Sydney.
    late = dt.datetime(2026, 1, 13, 14, 0, tzinfo=UTC)
    text = moments.format_moment(late, PHNOM_PENH, viewer_zone="Australia/Sydney", today=THIS_YEAR)
    assert text == (
        "Tue 13 Jan, 21:00 Phnom Penh (UTC+7) · Wed 14 Jan, 01:00 your time (Sydney, UTC+11)"
    )


@pytest.mark.parametrize(("viewer", "start", "yours"), YOUR_TIME)
def test_a_meeting_for_readers_in_each_zone(viewer, start, yours):
    text = moments.format_span(
        start, start + THREE_HOURS, PHNOM_PENH, viewer_zone=viewer, today=THIS_YEAR
    )
    assert text == f"{DAY_OF[start]}, 09:00–12:00 Phnom Penh (UTC+7){yours}"
    assert_no_abbreviation(text)


def test_a_meeting_over_several_days_keeps_its_end_day():
    # Tue 9 Dec 2025 09:00 to Wed 10 Dec 17:00 in Brunei (UTC+8).
    start = dt.datetime(2025, 12, 9, 1, 0, tzinfo=UTC)
    end = dt.datetime(2025, 12, 10, 9, 0, tzinfo=UTC)
    text = moments.format_span(start, end, "Asia/Brunei", viewer_zone="Asia/Tokyo", today=THIS_YEAR)
    assert text == (
        "Tue 9 Dec 2025, 09:00 – Wed 10 Dec 2025, 17:00 Brunei (UTC+8)"
        " · Tue 9 Dec 2025, 10:00 – Wed 10 Dec 2025, 18:00 your time (Tokyo, UTC+9)"
    )
    same_year = moments.format_span(start, end, "Asia/Brunei", today=dt.date(2025, 1, 1))
    assert same_year == "Tue 9 Dec, 09:00 – Wed 10 Dec, 17:00 Brunei (UTC+8)"


def test_a_meeting_across_a_change_of_clock_names_both_offsets():
    # Sydney leaves summer time at 03:00 on Sun 5 April 2026.
    start = dt.datetime(2026, 4, 3, 22, 0, tzinfo=UTC)  # Sat 4 Apr 09:00, UTC+11
    end = dt.datetime(2026, 4, 5, 7, 0, tzinfo=UTC)  # Sun 5 Apr 17:00, UTC+10
    text = moments.format_span(start, end, "Australia/Sydney", today=THIS_YEAR)
    assert text == "Sat 4 Apr, 09:00 – Sun 5 Apr, 17:00 Sydney (UTC+11 → UTC+10)"


def test_utc_is_added_only_where_no_clock_shown_is_utc():
    end = JANUARY + THREE_HOURS
    text = moments.format_span(
        JANUARY, end, PHNOM_PENH, viewer_zone="Asia/Tokyo", today=THIS_YEAR, also_utc=True
    )
    assert text.endswith("(Tokyo, UTC+9) · 02:00–05:00 UTC")
    london = moments.format_span(
        JANUARY, end, PHNOM_PENH, viewer_zone="Europe/London", today=THIS_YEAR, also_utc=True
    )
    assert london.count("UTC") == 2  # UTC+7, and London's own "UTC"
    assert moments.format_utc(JANUARY, today=THIS_YEAR) == "Tue 13 Jan, 02:00 UTC"


@pytest.mark.parametrize("language", ["km", "zh-hans"])
@pytest.mark.parametrize(("viewer", "start", "yours"), YOUR_TIME)
def test_khmer_and_chinese(language, viewer, start, yours):
    with translation.override(language):
        span = moments.format_span(
            start, start + THREE_HOURS, PHNOM_PENH, viewer_zone=viewer, also_utc=True
        )
        day = moments.format_day(dt.date(2013, 9, 20))
        moment = moments.format_moment(start, viewer, viewer_zone=PHNOM_PENH)
    for text in (span, moment):
        assert "09:00–12:00" in span
        assert "UTC+7" in text
        assert_no_abbreviation(text)
    assert "2013" in day
    if language == "zh-hans":
        assert "金边" in span  # Phnom Penh
        assert day == "2013年9月20日 星期五"
    else:
        assert "ភ្នំពេញ" in span
        assert day == "សុក្រ 20 កញ្ញា 2013"


def test_template_tags():
    meeting = SimpleNamespace(
        starts_at=JANUARY, ends_at=JANUARY + THREE_HOURS, time_zone=PHNOM_PENH
    )
    template = Template(
        "{% load moments %}{% meeting_when meeting %}|{% moment at 'Asia/Yangon' %}|"
        "{% moment_utc at %}|{{ due|day }}|{{ none|day|default:'—' }}|"
        "{{ 'Asia/Yangon'|zone_label }}"
    )
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        text = template.render(
            Context({"meeting": meeting, "at": JANUARY, "due": dt.date(2013, 9, 20), "none": None})
        )
    when, yangon, utc, due, none, zone = text.split("|")
    assert when.startswith("Tue 13 Jan")
    assert when.endswith("09:00–12:00 Phnom Penh (UTC+7) · 11:00–14:00 your time (Tokyo, UTC+9)")
    assert yangon.endswith("08:30 Yangon (UTC+6:30) · 11:00 your time (Tokyo, UTC+9)")
    assert utc.endswith("02:00 UTC")
    assert due == "Fri 20 Sep 2013"
    assert none == "—"
    assert zone == "Yangon, UTC+6:30"


# ---------------------------------------------------------------------------------------------
# The meeting page, and the reminder email that says the same
# ---------------------------------------------------------------------------------------------
def _next(moment):
    """The same day and hour next year: a meeting ahead, whatever the day the tests run."""
    return moment.replace(year=timezone.now().year + 1)


@pytest.fixture
def negotiation(db):
    cambodia = PartyFactory(capital_time_zone=PHNOM_PENH)
    china = PartyFactory(capital_time_zone="Asia/Shanghai")
    return AgreementFactory(parties=[cambodia, china])


def reader(agreement, zone):
    user = UserFactory(time_zone=zone, language="en")
    RoleAssignmentFactory(user=user, agreement=agreement, role=Role.OFFICIAL)
    return user


def meeting_header(client, meeting, language="en"):
    """The text of the meeting page's own time, as the signed-in reader sees it."""
    url = reverse("meetings:detail", args=[meeting.pk])
    html = client.get(url, headers={"accept-language": language}).text
    start = html.index('<time datetime="', html.index('class="page-header"'))
    return html[html.index(">", start) + 1 : html.index("</time>", start)]


@pytest.mark.parametrize(("viewer", "start", "yours"), YOUR_TIME)
def test_meeting_page_for_readers_in_each_zone(client, negotiation, viewer, start, yours):
    start = _next(start)
    meeting = MeetingFactory(
        agreement=negotiation, starts_at=start, ends_at=start + THREE_HOURS, time_zone=PHNOM_PENH
    )
    client.force_login(reader(negotiation, viewer))

    header = meeting_header(client, meeting)

    assert "09:00–12:00 Phnom Penh (UTC+7)" in header
    assert f"09:00–12:00 Phnom Penh (UTC+7){yours}" in header
    if not yours:
        assert "your time" not in header
    # Where no clock shown is UTC, the UTC time too.
    if "London, UTC)" in yours:
        assert header.count("UTC") == 2
    else:
        assert header.endswith(" · 02:00–05:00 UTC")
    assert_no_abbreviation(header)


@pytest.mark.parametrize(("language", "place"), [("km", "ភ្នំពេញ"), ("zh-hans", "金边")])
def test_meeting_page_in_khmer_and_chinese(client, negotiation, language, place):
    start = _next(JANUARY)
    meeting = MeetingFactory(
        agreement=negotiation, starts_at=start, ends_at=start + THREE_HOURS, time_zone=PHNOM_PENH
    )
    client.force_login(reader(negotiation, "Asia/Shanghai"))

    header = meeting_header(client, meeting, language)

    # The phrasing is the language's own ("金边时间（UTC+7）"); the clock, place and offset hold.
    assert "09:00–12:00" in header
    assert place in header
    assert "UTC+7" in header
    assert "10:00–13:00" in header
    assert "UTC+8" in header
    assert_no_abbreviation(header)


def test_a_meeting_over_two_days_shows_its_end_day_on_its_page(client, negotiation):
    # Brunei, from 09:00 on one day to 17:00 the next.
    start = _next(dt.datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    meeting = MeetingFactory(
        agreement=negotiation,
        starts_at=start,
        ends_at=start + dt.timedelta(days=1, hours=8),
        time_zone="Asia/Brunei",
    )
    client.force_login(reader(negotiation, "Asia/Brunei"))
    header = meeting_header(client, meeting)
    first = moments.format_day(start.date(), today=timezone.localdate())
    second = moments.format_day(start.date() + dt.timedelta(days=1), today=timezone.localdate())
    assert header.startswith(f"{first}, 09:00 – {second}, 17:00 Brunei (UTC+8)")


@pytest.mark.parametrize(("viewer", "start", "yours"), YOUR_TIME[:5])
def test_the_reminder_email_says_what_the_page_says(client, negotiation, viewer, start, yours):
    start = _next(start)
    meeting = MeetingFactory(
        agreement=negotiation, starts_at=start, ends_at=start + THREE_HOURS, time_zone=PHNOM_PENH
    )
    person = reader(negotiation, viewer)
    reminder = Reminder(
        agreement=negotiation,
        recipient=person,
        kind=ReminderKind.MEETING,
        target_id=meeting.pk,
        offset_days=1,
        target_at=start,
        due_at=start - dt.timedelta(days=1),
        send_after=start - dt.timedelta(days=1),
    )
    message = build_message(recipient=person, items=[(reminder, meeting)], now=timezone.now())
    text = message.body
    html = message.alternatives[0][0]
    client.force_login(person)

    on_the_page = meeting_header(client, meeting)

    assert f"09:00–12:00 Phnom Penh (UTC+7){yours}" in on_the_page
    assert f": {on_the_page}\n" in text
    assert f": {on_the_page}</strong>" in html
    assert "09:00 Phnom Penh (UTC+7)" in message.subject
    for words in (text, message.subject):
        assert_no_abbreviation(words)
    # Each party's capital, on its own named clock.
    assert "09:00 Phnom Penh (UTC+7)" in text
    assert "10:00 Beijing (UTC+8)" in text
