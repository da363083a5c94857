"""The cells of one row, read column by column (`_Cells`): days, times, numbers, choices,
time zones and web addresses as a spreadsheet holds them, each wrong cell noted; and the
records a cell names (a party at the table, working groups by their codes).
"""

import datetime as dt
import functools
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models.functions import Upper
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from negotiations.choices import Role
from negotiations.models import Delegation, Party
from workinggroups.models import WorkingGroup

# The largest value a PositiveSmallIntegerField (a group's or chapter's order) holds.
MAX_ORDER = 32767
DATE_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00)?)?")
# "09:00", "9.00", "17h30", "09:00:00", "5 pm", and a date-and-time whose time is meant.
TIME_TEXT = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}[T ])?(\d{1,2})(?:[:.h](\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?"
)


def _normalised(text) -> str:
    """A header or sheet name as compared: case, underscores, dashes and spacing ignored."""
    return re.sub(r"[\s_\-]+", " ", str(text)).strip().casefold()


def _choice_key(text) -> str:
    """A choice as compared: as `_normalised`, apostrophes ignored too ("leaders meeting")."""
    return re.sub(r"['\u2019]", "", _normalised(text))


def _parse_date(text: str) -> dt.date | None:
    """A day written year-month-day ("2027-03-09"), or None."""
    match = DATE_TEXT.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _parse_time(text: str) -> dt.time | None:
    """A time of day on a 24-hour clock ("09:00", "17.30") or with am/pm ("5 pm"), or None."""
    match = TIME_TEXT.fullmatch(text.strip().casefold())
    if match is None:
        return None
    hour, minute, second, half = match.groups()
    hour, minute, second = int(hour), int(minute or 0), int(second or 0)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


class _Cells:
    """The cells of one row, read one column at a time; the errors are kept per column."""

    def __init__(self, row):
        self.row, self.errors = row, {}

    def has(self, key) -> bool:
        return key in self.row

    def text(self, key) -> str:
        return (self.row.get(key) or "").strip()

    def error(self, key, message) -> None:
        self.errors.setdefault(key, []).append(message)

    def order(self, key) -> int | None:
        """A group's or chapter's place, or None for a blank cell."""
        value = self.text(key)
        if not value:
            return None
        if not re.fullmatch(r"\d+", value) or int(value) > MAX_ORDER:
            self.error(key, _("'%(value)s' is not a whole number.") % {"value": value})
            return None
        return int(value)

    def whole_number(self, key) -> int | None:
        """A number of 1 or more (a round's), or None for a blank or wrong cell."""
        value = self.text(key)
        if not value:
            return None
        if not re.fullmatch(r"\d+", value) or not 1 <= int(value) <= MAX_ORDER:
            self.error(key, _("'%(value)s' is not a whole number.") % {"value": value})
            return None
        return int(value)

    def date(self, key) -> dt.date | None:
        """A day, or None for a blank or wrong cell."""
        value = self.text(key)
        if not value:
            return None
        day = _parse_date(value)
        if day is None:
            self.error(
                key,
                _("'%(value)s' is not a date: write it year-month-day, as in 2027-03-09.")
                % {"value": value},
            )
        return day

    def time(self, key) -> dt.time | None:
        """A time of day, or None for a blank or wrong cell."""
        value = self.text(key)
        if not value:
            return None
        time = _parse_time(value)
        if time is None:
            self.error(
                key,
                _("'%(value)s' is not a time of day: write it as 09:00 or 17:30.")
                % {"value": value},
            )
        return time

    def choice(self, key, choices, message) -> str | None:
        """One of `choices` (a TextChoices), written as its value or its label in any
        language; None for a blank or wrong cell. `message` says a wrong one is wrong, given
        the cell's `value` and the `choices` to write instead."""
        value = self.text(key)
        if not value:
            return None
        choice = _choices(choices).get(_choice_key(value))
        if choice is None:
            self.error(
                key,
                message
                % {
                    "value": value,
                    "choices": _quoted_list(str(c.label).lower() for c in choices),
                },
            )
        return choice

    def web_address(self, key) -> str:
        """A web address (a video link), or "" for a blank or wrong cell."""
        value = self.text(key)
        if not value:
            return ""
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            self.error(
                key,
                _("'%(value)s' is not a web address (one that begins with https://).")
                % {"value": value},
            )
            return ""
        return value

    def time_zone(self, key) -> str | None:
        """A zone's exact name ("asia/phnom penh" is Asia/Phnom_Penh), or None for a blank cell."""
        value = self.text(key)
        if not value:
            return None
        zone = _time_zones().get(value.replace(" ", "_").casefold())
        if zone is None:
            self.error(key, _("'%(value)s' is not a known time zone.") % {"value": value})
        return zone

    def check(self) -> None:
        """Refuse the row if any of its cells was wrong."""
        if self.errors:
            raise ValidationError(self.errors)


@functools.cache
def _time_zones() -> dict[str, str]:
    """Every zone this machine knows, by its case-folded name."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _choices(choices) -> dict[str, str]:
    """Every way of writing one of `choices` (its value, its label in each language) -> the
    value."""
    names = {}
    for choice in choices:
        names[_choice_key(choice.value)] = choice.value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names[_choice_key(choice.label)] = choice.value
    return names


def _roles() -> dict[str, str]:
    """Every way of writing a role (its value, its label in each language) -> the value."""
    return _choices(Role)


@functools.cache
def _languages() -> dict[str, str]:
    """Every way of writing a language of the site (its code, its names) -> the code."""
    names = {}
    for code, label in settings.LANGUAGES:
        info = translation.get_language_info(code)
        for name in (code, info["name"], info["name_local"]):
            names[_normalised(name)] = code
        for other, _name in settings.LANGUAGES:
            with translation.override(other):
                names[_normalised(label)] = code
    return names


def _quoted_list(values) -> str:
    """ "'a', 'b'", as the messages quote the values of cells."""
    return ", ".join(f"'{value}'" for value in values)


def _codes(text: str) -> list[str]:
    """Working group codes as a cell holds them: "ROO, TIG" (semicolons and spaces do too)."""
    return [code for code in re.split(r"[,;\s]+", text.upper()) if code]


def _party_at_table(agreement, cells, key) -> Party | None:
    """The party a cell names by its code, if it sits at the agreement's table (perhaps seated
    by this same file); None for a blank cell or, with an error, for any other party."""
    code = cells.text(key)
    if not code:
        return None
    delegation = (
        Delegation.objects.filter(agreement=agreement, party__code__iexact=code)
        .select_related("party")
        .first()
    )
    if delegation is None:
        cells.error(
            key,
            _("'%(value)s' is not a party at this agreement's table.") % {"value": code.upper()},
        )
        return None
    return delegation.party


def _groups_named(agreement, cells, key) -> list[WorkingGroup]:
    """The agreement's working groups a cell names by their codes, in its order; a code of
    no group of this agreement (another agreement's included) is an error."""
    codes = _codes(cells.text(key))
    groups = {
        group.code.upper(): group
        for group in WorkingGroup.objects.filter(agreement=agreement)
        .annotate(upper_code=Upper("code"))
        .filter(upper_code__in=codes)
    }
    unknown = [code for code in codes if code not in groups]
    if unknown:
        cells.error(
            key,
            ngettext(
                "%(codes)s is not a working group of this agreement.",
                "%(codes)s are not working groups of this agreement.",
                len(unknown),
            )
            % {"codes": _quoted_list(unknown)},
        )
    return list({code: groups[code] for code in codes if code in groups}.values())


def _kept(cells, key, instance, field) -> str:
    """A text cell's value; the record's own where the file has no such column."""
    if cells.has(key):
        return cells.text(key)
    return getattr(instance, field) if instance.pk is not None else ""
