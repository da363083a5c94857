"""Template tags showing moments, meetings and days the one way `negotiations.moments` does.

{% moment value zone %}        a moment on the zone's clock, and the reader's time beside it
{% meeting_when meeting %}     a meeting's span on its own clock, and the reader's time
{% moment_utc value %}         a moment on the UTC clock
{{ day|day }}                  a day with its weekday, the year only when not this year
{{ zone_name|zone_label }}     "Beijing, UTC+8": a zone as readers know it, offset of now
{% day_words as words %}       the format and names a browser needs to write a day the same way

The reader's clock is the active zone (accounts.middleware activates each person's own).
"""

import datetime as dt

from django import template
from django.utils import timezone

from negotiations import moments

register = template.Library()


@register.simple_tag
def moment(value, zone=None, also_utc=False):
    """A moment on `zone`'s clock (the reader's when omitted), with the reader's time beside."""
    if not value:
        return ""
    viewer = timezone.get_current_timezone()
    return moments.format_moment(
        value, zone if zone else viewer, viewer_zone=viewer, also_utc=also_utc
    )


@register.simple_tag
def day_words():
    """The day format and month and weekday names of the active language, for static/js/dates.js."""
    return moments.day_words()


@register.simple_tag
def meeting_when(meeting, also_utc=False):
    """A meeting's start and end on its own clock, with the reader's time where it differs."""
    return moments.meeting_when(
        meeting, viewer_zone=timezone.get_current_timezone(), also_utc=also_utc
    )


@register.simple_tag
def moment_utc(value):
    """A moment on the UTC clock: "Tue 9 Dec, 01:00 UTC"."""
    return moments.format_utc(value) if value else ""


@register.filter(name="day")
def day(value):
    """A day (or a moment's day on the reader's clock) as "Fri 20 Sep 2013"."""
    if not value:
        return ""
    if not isinstance(value, dt.date):  # datetime is a date too
        return value
    return moments.format_day(value)


@register.filter(name="zone_label")
def zone_label(zone):
    """A zone (name or tzinfo) as "Beijing, UTC+8", with the offset in force now."""
    return moments.zone_label(zone) if zone else ""
