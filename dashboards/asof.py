"""The moment a dashboard is shown as of: now, the end of a round, or the end of a day.

The as-of point travels in the URL (`?as_of=round-2`, `?as_of=2020-05-01`) so that a view of
the past can be bookmarked and sent like any other page.
"""

import dataclasses
import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from negotiations import moments

ROUND_PATTERN = re.compile(r"^round-(\d{1,3})$")


@dataclasses.dataclass(frozen=True)
class AsOf:
    """A point in the negotiation: `moment` for the history, `day` for dated items."""

    moment: dt.datetime
    day: dt.date
    param: str = ""  # what goes back into the URL; empty means now
    label: str = ""
    round_number: int | None = None
    # What was asked for and could not be read (a round that does not exist, a day to come):
    # the page says so, and shows now.
    unread: str = ""

    @property
    def is_now(self):
        return not self.param

    @property
    def query(self):
        """The query-string fragment that keeps this as-of point on links."""
        return f"as_of={self.param}" if self.param else ""


def now(unread: str = "") -> AsOf:
    moment = timezone.now()
    return AsOf(moment=moment, day=timezone.localdate(moment), label=_("now"), unread=unread)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of `day` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def end_of_round(negotiation_round) -> dt.datetime:
    """When a round was over: its last meeting's end, or the end of its last day if later.

    `negotiation_round.last_meeting_end` is annotated by the caller (may be None).
    """
    last_day = dt.datetime.combine(negotiation_round.ends_on, dt.time.max, tzinfo=dt.UTC)
    last_meeting = getattr(negotiation_round, "last_meeting_end", None)
    return max(last_day, last_meeting) if last_meeting else last_day


def parse(value: str | None, rounds=()) -> AsOf:
    """Read the `as_of` parameter; rounds are this agreement's (annotated) rounds, or a
    function that reads them, called only when the parameter names a round.

    Anything unreadable, a round that does not exist or a day in the future means now.
    """
    value = (value or "").strip()
    match = ROUND_PATTERN.match(value)
    if match:
        number = int(match.group(1))
        for negotiation_round in rounds() if callable(rounds) else rounds:
            if negotiation_round.number == number:
                moment = end_of_round(negotiation_round)
                return AsOf(
                    moment=moment,
                    day=negotiation_round.ends_on,
                    param=value,
                    label=_("after round %(number)s") % {"number": number},
                    round_number=number,
                )
        return now(unread=value)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return now(unread=value)
    if day >= timezone.localdate():
        return now(unread=value if day > timezone.localdate() else "")
    return AsOf(
        moment=end_of_day(day),
        day=day,
        param=day.isoformat(),
        label=_("on %(day)s") % {"day": moments.format_day(day)},
    )
