"""The Rounds and Meetings sheets: the agreement's rounds of talks and its meetings."""

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from negotiations.choices import MeetingKind, RoundMode
from negotiations.models import Meeting, NegotiationRound
from negotiations.services import (
    create_meeting,
    create_round,
    in_zone,
    not_on_the_clock,
    update_meeting,
    update_round,
    zone_for,
)
from secretariat.resources.base import Column, SheetResource, _change
from secretariat.resources.cells import (
    MAX_ORDER,
    _Cells,
    _groups_named,
    _kept,
    _parse_date,
    _party_at_table,
    _quoted_list,
)


class RoundResource(SheetResource):
    """Rounds of talks, found by their number within the agreement."""

    key = "rounds"
    key_column = "number"
    sheet_title = gettext_lazy("Rounds")
    help_text = gettext_lazy(
        "A round is found by its number. Days are written year-month-day (or as date cells); "
        "the mode is in person or video conference; a round held in person needs a host party "
        "at this agreement's table."
    )
    aliases = ("round", "negotiation rounds")
    field_columns = {
        "number": "number",
        "starts_on": "starts on",
        "ends_on": "ends on",
        "mode": "mode",
        "host_party": "host party code",
        "location": "place",
        "summary": "summary",
    }

    number = Column("number", gettext_lazy("number"), "round", "round number", required=True)
    starts_on = Column("starts on", gettext_lazy("starts on"), "start date", "start", "from")
    ends_on = Column("ends on", gettext_lazy("ends on"), "end date", "end", "to")
    mode = Column("mode", gettext_lazy("mode"))
    host = Column("host party code", gettext_lazy("host party code"), "host", "host party")
    place = Column("place", gettext_lazy("place"), "location", "venue")
    summary = Column("summary", gettext_lazy("summary"), "description")

    class Meta:
        model = NegotiationRound

    def init_instance(self, row=None):
        return NegotiationRound(agreement=self.agreement)

    def row_key(self, cells):
        number = cells.text("number")
        return str(int(number)) if number.isdigit() else number

    def find(self, row):
        number = _Cells(row).text("number")
        if not number.isdigit() or not 1 <= int(number) <= MAX_ORDER:
            return None
        return (
            NegotiationRound.objects.filter(agreement=self.agreement, number=int(number))
            .select_related("host_party")
            .first()
        )

    def read(self, instance, cells):
        existing = instance.pk is not None
        number = cells.whole_number("number")
        if not cells.text("number"):
            cells.error("number", _("A round needs its number."))
        starts_on, ends_on = cells.date("starts on"), cells.date("ends on")
        if existing:
            starts_on = starts_on or (None if cells.text("starts on") else instance.starts_on)
            ends_on = ends_on or (None if cells.text("ends on") else instance.ends_on)
        else:
            if not cells.text("starts on"):
                cells.error("starts on", _("A new round needs the day it starts."))
            if not cells.text("ends on"):
                cells.error("ends on", _("A new round needs the day it ends."))
        if starts_on and ends_on and ends_on < starts_on:
            cells.error("ends on", _("A round ends on or after the day it starts."))
        mode = cells.choice(
            "mode",
            RoundMode,
            _("'%(value)s' is not a way of holding a round: write one of %(choices)s."),
        ) or (instance.mode if existing else RoundMode.IN_PERSON)
        if cells.has("host party code"):
            host = _party_at_table(self.agreement, cells, "host party code")
        else:
            host = instance.host_party if existing else None
        unclear = {"mode", "host party code"} & set(cells.errors)
        if mode == RoundMode.IN_PERSON and host is None and not unclear:
            cells.error("host party code", _("A round held in person needs a host."))
        values = {
            "number": number,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "mode": mode,
            "host_party": host,
            "location": _kept(cells, "place", instance, "location"),
            "summary": _kept(cells, "summary", instance, "summary"),
        }
        if not existing:
            return values, [_("Adds the round.")]
        effects = []
        shown = {
            "starts on": (instance.starts_on, starts_on),
            "ends on": (instance.ends_on, ends_on),
            "mode": (RoundMode(instance.mode).label, RoundMode(mode).label),
            "host party code": (_code(instance.host_party), _code(host)),
            "place": (instance.location, values["location"]),
            "summary": (instance.summary, values["summary"]),
        }
        for column, (old, new) in shown.items():
            if old != new:
                effects.append(_change(column, old or "", new or ""))
        return values, effects

    def write(self, instance, values, is_create):
        if is_create:
            create_round(agreement=self.agreement, by=self.by, **values)
        else:
            update_round(negotiation_round=instance, by=self.by, **values)


class MeetingResource(SheetResource):
    """Meetings, found by their title and the day they start: their times are typed as the
    meeting's own clock shows them (its zone, else its host's capital), whoever imports them."""

    key = "meetings"
    key_column = "title"
    sheet_title = gettext_lazy("Meetings")
    help_text = gettext_lazy(
        "A meeting is found by its title and start date. Times are those of the meeting's own "
        "clock: in its time zone, or, if that is left empty, its host's capital. An empty end "
        "date is the start date. The round must exist or be on the Rounds sheet; working "
        "group codes are separated by commas."
    )
    aliases = ("meeting", "schedule", "calendar")
    field_columns = {
        "title": "title",
        "kind": "kind",
        "negotiation_round": "round number",
        "starts_at": "start time",
        "ends_at": "end time",
        "time_zone": "time zone",
        "host_party": "host party code",
        "location": "place",
        "video_link": "video link",
        "working_groups": "working group codes",
    }

    title = Column("title", gettext_lazy("title"), "meeting", "meeting title", required=True)
    kind = Column("kind", gettext_lazy("kind"), "type", "meeting kind")
    round_number = Column("round number", gettext_lazy("round number"), "round")
    start_date = Column(
        "start date", gettext_lazy("start date"), "starts on", "date", required=True
    )
    start_time = Column("start time", gettext_lazy("start time"), "starts at", "from")
    end_date = Column("end date", gettext_lazy("end date"), "ends on")
    end_time = Column("end time", gettext_lazy("end time"), "ends at", "to")
    time_zone = Column("time zone", gettext_lazy("time zone"), "timezone", "zone")
    host = Column("host party code", gettext_lazy("host party code"), "host", "host party")
    place = Column("place", gettext_lazy("place"), "location", "venue")
    video_link = Column("video link", gettext_lazy("video link"), "video", "link")
    groups = Column(
        "working group codes",
        gettext_lazy("working group codes"),
        "working groups",
        "working group code",
        "groups",
    )

    class Meta:
        model = Meeting

    def init_instance(self, row=None):
        return Meeting(agreement=self.agreement)

    def row_key(self, cells):
        title = cells.text("title").casefold()
        if not title:
            return ""
        day = _parse_date(cells.text("start date"))
        return f"{title}\n{day or cells.text('start date')}"

    def row_label(self, cells):
        return f"{cells.text('title')}, {cells.text('start date')}"

    def find(self, row):
        cells = _Cells(row)
        title, day = cells.text("title"), _parse_date(cells.text("start date"))
        if not title or day is None:
            return None
        meetings = Meeting.objects.filter(agreement=self.agreement, title__iexact=title)
        # The start date is the meeting's own clock's, as the file gives it.
        return next(
            (
                meeting
                for meeting in meetings.select_related("host_party", "negotiation_round")
                if timezone.localtime(meeting.starts_at, meeting.tzinfo).date() == day
            ),
            None,
        )

    def read(self, instance, cells):
        existing = instance.pk is not None
        title = cells.text("title")
        if not title:
            cells.error("title", _("A meeting needs its title."))
        kind = cells.choice(
            "kind",
            MeetingKind,
            _("'%(value)s' is not a kind of meeting: write one of %(choices)s."),
        )
        if kind is None and not cells.text("kind"):
            if existing:
                kind = instance.kind
            else:
                cells.error(
                    "kind",
                    _("A new meeting needs its kind: write one of %(kinds)s.")
                    % {"kinds": _quoted_list(str(k.label).lower() for k in MeetingKind)},
                )
        negotiation_round = self._round(cells, instance)
        if cells.has("host party code"):
            host = _party_at_table(self.agreement, cells, "host party code")
        else:
            host = instance.host_party if existing else None
        zone = self._zone(cells, instance, host, negotiation_round)
        starts_at, ends_at = self._moments(cells, instance, zone)
        if cells.has("working group codes"):
            groups = _groups_named(self.agreement, cells, "working group codes")
        else:
            groups = None if existing else []
        values = {
            "title": title,
            "kind": kind,
            "negotiation_round": negotiation_round,
            "host_party": host,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "time_zone": zone,
            "location": _kept(cells, "place", instance, "location"),
            "video_link": (
                cells.web_address("video link") if cells.has("video link") else instance.video_link
            ),
            "working_groups": groups,
        }
        if cells.errors:
            return values, []
        if not existing:
            return values, [
                _("Schedules the meeting: %(when)s.") % {"when": _when(starts_at, ends_at, zone)}
            ]
        effects = []
        if title != instance.title:
            effects.append(_change("title", instance.title, title))
        if kind != instance.kind:
            effects.append(
                _change("kind", MeetingKind(instance.kind).label, MeetingKind(kind).label)
            )
        if negotiation_round != instance.negotiation_round:
            effects.append(
                _change(
                    "round number",
                    getattr(instance.negotiation_round, "number", ""),
                    getattr(negotiation_round, "number", ""),
                )
            )
        old_when = _when(instance.starts_at, instance.ends_at, instance.time_zone)
        new_when = _when(starts_at, ends_at, zone)
        if old_when != new_when:
            effects.append(
                _("Reschedules it from %(old)s to %(new)s.") % {"old": old_when, "new": new_when}
            )
        for column, old, new in (
            ("host party code", _code(instance.host_party), _code(host)),
            ("place", instance.location, values["location"]),
            ("video link", instance.video_link, values["video_link"]),
        ):
            if old != new:
                effects.append(_change(column, old, new))
        if groups is not None:
            held = sorted(group.code for group in instance.working_groups.all())
            if held != sorted(group.code for group in groups):
                effects.append(
                    _change(
                        "working group codes",
                        ", ".join(held),
                        ", ".join(sorted(group.code for group in groups)),
                    )
                )
        return values, effects

    def _round(self, cells, instance):
        """The round the meeting is part of: one of the agreement's, perhaps added by the
        Rounds sheet of this same file."""
        if not cells.has("round number"):
            return instance.negotiation_round if instance.pk else None
        number = cells.whole_number("round number")
        if number is None:
            return None
        negotiation_round = (
            NegotiationRound.objects.filter(agreement=self.agreement, number=number)
            .select_related("host_party")
            .first()
        )
        if negotiation_round is None:
            cells.error(
                "round number",
                _("This agreement has no round %(number)s: add it on the Rounds sheet.")
                % {"number": number},
            )
        return negotiation_round

    def _zone(self, cells, instance, host, negotiation_round) -> str | None:
        """The zone the meeting's times are read in: as given; if the cell is empty, the host's
        capital's (or the round host's); None if the cell names no zone."""
        if cells.has("time zone"):
            if cells.text("time zone"):
                return cells.time_zone("time zone")
        elif instance.pk is not None:
            return instance.time_zone
        return zone_for(time_zone=None, host_party=host, negotiation_round=negotiation_round)

    def _moments(self, cells, instance, zone) -> tuple[dt.datetime | None, dt.datetime | None]:
        """When the meeting starts and ends, from the days and times of its own clock; an
        empty cell keeps what a meeting already has (a new one's end date is its start date)."""
        existing = instance.pk is not None
        if existing:
            # Read on the meeting's current clock, as its page shows them to be edited.
            starts = timezone.localtime(instance.starts_at, instance.tzinfo)
            ends = timezone.localtime(instance.ends_at, instance.tzinfo)
        needed = {
            "start date": _("A meeting needs its start date."),
            "start time": _("A new meeting needs its start time."),
            "end time": _("A new meeting needs its end time."),
        }
        parts = {}
        for key, read in (
            ("start date", cells.date),
            ("start time", cells.time),
            ("end date", cells.date),
            ("end time", cells.time),
        ):
            if cells.text(key):
                parts[key] = read(key)
            elif existing:
                current = starts if key.startswith("start") else ends
                parts[key] = current.date() if key.endswith("date") else current.time()
            elif key == "end date":
                parts[key] = parts["start date"]
            else:
                parts[key] = None
                cells.error(key, needed[key])
        if zone is None or None in parts.values():
            return None, None
        skipped = False
        for end in ("start", "end"):
            reason = not_on_the_clock(parts[f"{end} date"], parts[f"{end} time"], zone)
            if reason:
                cells.error(f"{end} time", reason)
                skipped = True
        if skipped:
            return None, None
        starts_at = in_zone(parts["start date"], parts["start time"], zone)
        ends_at = in_zone(parts["end date"], parts["end time"], zone)
        if ends_at <= starts_at:
            cells.error(
                "end date" if parts["end date"] < parts["start date"] else "end time",
                _("The meeting must end after it starts (%(start)s %(time)s, %(zone)s).")
                % {
                    "start": parts["start date"].isoformat(),
                    "time": parts["start time"].strftime("%H:%M"),
                    "zone": zone,
                },
            )
        return starts_at, ends_at

    def write(self, instance, values, is_create):
        values = dict(values)
        groups = values.pop("working_groups")
        if is_create:
            create_meeting(agreement=self.agreement, by=self.by, working_groups=groups, **values)
        else:
            update_meeting(meeting=instance, by=self.by, working_groups=groups, **values)


def _code(party) -> str:
    return party.code if party is not None else ""


def _when(starts_at, ends_at, zone) -> str:
    """ "2027-03-09 09:00 – 2027-03-10 17:00 Asia/Brunei": a meeting's times on its own clock."""
    clock = zoneinfo.ZoneInfo(zone)
    starts, ends = starts_at.astimezone(clock), ends_at.astimezone(clock)
    end = ends.strftime("%H:%M") if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    return f"{starts:%Y-%m-%d %H:%M} – {end} {zone}"
