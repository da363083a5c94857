"""One way to show a moment, a meeting's span or a day, used by every page, table, export,
email and the brief.

A moment is always shown on a named clock: the place whose clock it is and that clock's offset
from UTC at that very moment ("09:00 Phnom Penh (UTC+7)"), never an abbreviation ("ICT",
"CST" mean different things to different readers) nor a bare "+07". When the reader's clock
differs from the meeting's, the reader's time follows ("· 10:00 your time (Beijing, UTC+8)").
Days are written in the active language, with the weekday, and with the year unless it is the
reader's current year.
"""

import datetime as dt
import functools
import zoneinfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import zone_named

UTC = zoneinfo.ZoneInfo("UTC")

# Zones named after the capital the negotiators know them by, where the zone's own name is
# another city (China's zone is named after Shanghai, Vietnam's after Ho Chi Minh City).
PLACE_NAMES = {
    "Asia/Phnom_Penh": gettext_lazy("Phnom Penh"),
    "Asia/Shanghai": gettext_lazy("Beijing"),
    "Asia/Bangkok": gettext_lazy("Bangkok"),
    "Asia/Ho_Chi_Minh": gettext_lazy("Hanoi"),
    "Asia/Vientiane": gettext_lazy("Vientiane"),
    "Asia/Tokyo": gettext_lazy("Tokyo"),
    "Asia/Seoul": gettext_lazy("Seoul"),
}
# Names of the zone that is UTC itself.
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "GMT", "UCT"}

# (with the year, without it), as django.utils.dateformat formats. Django's Khmer has no short
# weekday names, so Khmer uses the full ones; Chinese puts the year, month and day first.
DAY_FORMATS = {
    "km": ("l j F Y", "l j F"),
    "zh-hans": ("Y年n月j日 D", "n月j日 D"),
}
DEFAULT_DAY_FORMATS = ("D j M Y", "D j M")
TIME_FORMAT = "H:i"
MINUS = "\N{MINUS SIGN}"


def zone_of(zone) -> dt.tzinfo:
    """A tzinfo from a zone name ("Asia/Phnom_Penh") or a tzinfo; UTC for an unknown name."""
    if zone is None:
        return timezone.get_current_timezone()
    if isinstance(zone, str):
        return zone_named(zone)
    return zone


def _zone_name(zone) -> str:
    return zone if isinstance(zone, str) else getattr(zone, "key", None) or str(zone)


def place_of(zone_name) -> str:
    """The place a zone is named after: "Asia/Phnom_Penh" → "Phnom Penh", "Asia/Shanghai" →
    "Beijing", "UTC" → "UTC"; "" for a zone with no place (Etc/GMT-7, a fixed offset)."""
    name = _zone_name(zone_name)
    if name in PLACE_NAMES:
        return str(PLACE_NAMES[name])
    if name in UTC_NAMES:
        return "UTC"
    if name.startswith("Etc/") or "/" not in name:
        return ""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def offset_label(moment: dt.datetime, zone) -> str:
    """The zone's offset from UTC at that moment: "UTC+7", "UTC+6:30", "UTC−3" (a true minus
    sign), "UTC" when there is none. Sydney is UTC+11 in January and UTC+10 in July."""
    offset = moment.astimezone(zone_of(zone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else MINUS
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def zone_label(zone, moment: dt.datetime | None = None) -> str:
    """A zone as a reader knows it, with its offset at `moment` (now by default):
    "Beijing, UTC+8"; "UTC" for UTC itself."""
    offset = offset_label(moment or timezone.now(), zone)
    place = place_of(zone)
    if not place or place == offset:
        return offset
    return _("%(place)s, %(offset)s") % {"place": place, "offset": offset}


def _day_formats() -> tuple[str, str]:
    """The active language's (with the year, without it) day formats."""
    language = (translation.get_language() or "en").lower()
    return DAY_FORMATS.get(language) or DAY_FORMATS.get(language.split("-")[0], DEFAULT_DAY_FORMATS)


def format_day(day, *, today: dt.date | None = None) -> str:
    """A day in the active language, with its weekday: "Fri 20 Sep 2013"; the year is left out
    only for a day of the current year ("Tue 9 Dec"). `today` defaults to the reader's today
    (in the active zone). A moment is first turned into its day in the active zone."""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    today = today or timezone.localdate()
    with_year, without_year = _day_formats()
    return formats.date_format(day, without_year if day.year == today.year else with_year)


def day_words() -> dict:
    """What a browser needs to write a day as `format_day` does (with its year) in the active
    language: the format and the month and weekday names (Monday first), as Django writes them.
    Every page carries them: worked out once per language."""
    return _day_words(translation.get_language())


@functools.cache
def _day_words(language) -> dict:
    monday = dt.date(2001, 1, 1)
    with_year, _ = _day_formats()
    return {
        "format": with_year,
        "months": [formats.date_format(dt.date(2001, m, 1), "F") for m in range(1, 13)],
        "monthsShort": [formats.date_format(dt.date(2001, m, 1), "M") for m in range(1, 13)],
        "weekdays": [formats.date_format(monday + dt.timedelta(d), "l") for d in range(7)],
        "weekdaysShort": [formats.date_format(monday + dt.timedelta(d), "D") for d in range(7)],
    }


def format_time(moment: dt.datetime, zone=None) -> str:
    """The hour and minute on that zone's clock (the active zone by default): "09:00"."""
    return formats.date_format(moment.astimezone(zone_of(zone)), TIME_FORMAT)


def _day_and_time(local: dt.datetime, today: dt.date) -> str:
    """A moment already on its clock as "Tue 9 Dec, 09:00"."""
    return pgettext("a day and an hour", "%(day)s, %(time)s") % {
        "day": format_day(local.date(), today=today),
        "time": formats.date_format(local, TIME_FORMAT),
    }


def _when(start: dt.datetime, end: dt.datetime | None, *, today, with_day=True) -> str:
    """A moment or span already on its clock, without naming the clock."""
    if end is None:
        if with_day:
            return _day_and_time(start, today)
        return formats.date_format(start, TIME_FORMAT)
    if start.date() == end.date():
        times = pgettext("from an hour to another", "%(start)s–%(end)s") % {
            "start": formats.date_format(start, TIME_FORMAT),
            "end": formats.date_format(end, TIME_FORMAT),
        }
        if not with_day:
            return times
        return pgettext("a day and an hour", "%(day)s, %(time)s") % {
            "day": format_day(start.date(), today=today),
            "time": times,
        }
    return pgettext("from a moment to another", "%(start)s – %(end)s") % {
        "start": _day_and_time(start, today),
        "end": _day_and_time(end, today),
    }


def _offsets(start, end, zone) -> str:
    """The zone's offset over a moment or span: "UTC+7", or "UTC+11 → UTC+10"."""
    first = offset_label(start, zone)
    last = offset_label(end, zone) if end is not None else first
    # A span across a change of clock (Sydney in early April) says both offsets.
    return first if first == last else f"{first} → {last}"


def _on_clock(start, end, zone, *, today) -> str:
    """The moment or span on the zone's own clock: "Tue 9 Dec, 09:00 Phnom Penh (UTC+7)"."""
    when = _when(start.astimezone(zone), end and end.astimezone(zone), today=today)
    place = place_of(zone)
    offset = _offsets(start, end, zone)
    if not place or place == offset:
        return _("%(when)s %(offset)s") % {"when": when, "offset": offset}
    return _("%(when)s %(place)s (%(offset)s)") % {"when": when, "place": place, "offset": offset}


def _same_clock(start, end, zone, other) -> bool:
    """Whether both zones read the same hour at the start (and end)."""
    instants = [start] if end is None else [start, end]
    return all(i.astimezone(zone).utcoffset() == i.astimezone(other).utcoffset() for i in instants)


def _beside(start, end, zone, other, *, today) -> str:
    """The times on another clock, with the day only where it is not the zone's day."""
    local, other_start = start.astimezone(zone), start.astimezone(other)
    other_end = end and end.astimezone(other)
    days_differ = other_start.date() != local.date() or (
        end is not None and other_end.date() != end.astimezone(zone).date()
    )
    return _when(other_start, other_end, today=today, with_day=days_differ)


def _describe(start, end, zone, *, viewer_zone, today, also_utc) -> str:
    """What format_moment and format_span say; `end` is None for a moment."""
    zone = zone_of(zone)
    viewer = zone_of(viewer_zone) if viewer_zone is not None else None
    if today is None:
        today = timezone.localdate(timezone=viewer) if viewer else timezone.localdate()
    text = _on_clock(start, end, zone, today=today)
    if viewer is not None and not _same_clock(start, end, zone, viewer):
        when = _beside(start, end, zone, viewer, today=today)
        place = place_of(viewer)
        offset = _offsets(start, end, viewer)
        clock = (
            _("%(place)s, %(offset)s") % {"place": place, "offset": offset}
            if place and place != offset
            else offset
        )
        yours = _("%(when)s your time (%(clock)s)") % {"when": when, "clock": clock}
        text = _("%(moment)s · %(other)s") % {"moment": text, "other": yours}
    shown = [zone] if viewer is None else [zone, viewer]
    if also_utc and not any(_same_clock(start, end, z, UTC) for z in shown):
        utc = _("%(when)s UTC") % {"when": _beside(start, end, zone, UTC, today=today)}
        text = _("%(moment)s · %(other)s") % {"moment": text, "other": utc}
    return text


def format_moment(
    moment: dt.datetime,
    zone,
    *,
    viewer_zone=None,
    today: dt.date | None = None,
    also_utc: bool = False,
) -> str:
    """A moment on the zone's clock: "Tue 9 Dec, 09:00 Phnom Penh (UTC+7)"; when the viewer's
    clock differs at that moment, their time too: "… · 10:00 your time (Beijing, UTC+8)", or
    "… · Wed 10 Dec, 01:00 your time (…)" when it is another day there. `also_utc` adds the
    UTC time unless one of the clocks shown is already UTC. `zone` and `viewer_zone` are
    names or tzinfos; `today` (for leaving out the current year) defaults to the viewer's."""
    return _describe(moment, None, zone, viewer_zone=viewer_zone, today=today, also_utc=also_utc)


def format_span(
    start: dt.datetime,
    end: dt.datetime,
    zone,
    *,
    viewer_zone=None,
    today: dt.date | None = None,
    also_utc: bool = False,
) -> str:
    """A meeting's time on its zone's clock: "Tue 9 Dec, 09:00–12:00 Phnom Penh (UTC+7)", or
    over several days "Tue 9 Dec, 09:00 – Wed 10 Dec, 17:00 Brunei (UTC+8)" (the end keeps its
    day); the viewer's time follows as in `format_moment`."""
    return _describe(start, end, zone, viewer_zone=viewer_zone, today=today, also_utc=also_utc)


def format_utc(moment: dt.datetime, *, today: dt.date | None = None) -> str:
    """A moment on the UTC clock: "Tue 9 Dec, 01:00 UTC"."""
    return format_moment(moment, UTC, today=today)


def meeting_when(meeting, *, viewer_zone=None, today=None, also_utc=False) -> str:
    """A meeting's span on its own clock, and the viewer's time beside it where it differs."""
    return format_span(
        meeting.starts_at,
        meeting.ends_at,
        meeting.time_zone,
        viewer_zone=viewer_zone,
        today=today,
        also_utc=also_utc,
    )
