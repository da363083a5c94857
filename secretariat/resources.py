"""Importing an agreement's parties, working groups, chapters, people, rounds and meetings from
one spreadsheet.

The file is an XLSX workbook with any of the sheets "Parties", "Working groups", "Chapters",
"People", "Rounds" and "Meetings", or a CSV file holding one of those tables (told apart by its
header row). Each table is read into a tablib dataset and run through a django-import-export
resource, in that order and in ONE transaction, so that chapters may name a working group the
same file creates, and meetings a round, a host or working groups it creates. A preview is that
same run, rolled back: what it reports is what a confirmed import does.

The resources never save a model themselves: `do_instance_save` hands every row to the
project's services (`create_working_group`, `update_chapter`, `invite_person`, `create_meeting`,
…), so an imported change is validated, permission-checked and audited like one made on a page.
"""

import csv
import dataclasses
import datetime as dt
import functools
import io
import re
import zoneinfo
from contextlib import contextmanager

import openpyxl
import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.services import invite_person, update_person
from negotiations import permissions
from negotiations.choices import MeetingKind, Role, RoundMode
from negotiations.models import Delegation, Meeting, NegotiationRound, Party, RoleAssignment
from negotiations.services import (
    add_delegation,
    create_meeting,
    create_party,
    create_round,
    in_zone,
    update_delegation,
    update_meeting,
    update_round,
    zone_for,
)
from workinggroups.models import Chapter, Membership, WorkingGroup
from workinggroups.services import (
    create_chapter,
    create_working_group,
    update_chapter,
    update_working_group,
)

MAX_FILE_SIZE = 2 * 1024 * 1024
# Bounds on what one file may hold, so that a small but hostile file cannot keep a worker busy.
MAX_ROWS = 2000
MAX_COLUMNS = 30
MAX_SCANNED_ROWS = 10 * MAX_ROWS
# The largest value a PositiveSmallIntegerField (a group's or chapter's order) holds.
MAX_ORDER = 32767
# The day Excel counts from: a cell holding a time of day alone is that day at that time.
EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00)?)?")
# "09:00", "9.00", "17h30", "09:00:00", "5 pm", and a date-and-time whose time is meant.
TIME_TEXT = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}[T ])?(\d{1,2})(?:[:.h](\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?"
)


# --- Columns and their cells -------------------------------------------------------------------


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


class Column(fields.Field):
    """One column of a sheet: its English header (`key`), the label shown for it, the other
    headers accepted for it, and whether a sheet without it cannot be read."""

    def __init__(self, key: str, label, *aliases: str, required: bool = False):
        super().__init__(attribute=None, column_name=key)
        self.key, self.label, self.aliases, self.required = key, label, aliases, required

    def headers(self) -> set[str]:
        """Every header that names this column, the label in each language included."""
        names = {_normalised(self.key), *(_normalised(alias) for alias in self.aliases)}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(_normalised(self.label))
        return names


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


# --- The resources -----------------------------------------------------------------------------


class _FoundByResource(BaseInstanceLoader):
    """Asks the resource which record a row is about (its own rules: a party by code, a
    chapter by title within the agreement, a person by email)."""

    def get_instance(self, row):
        return self.resource.find(row)


class SheetResource(resources.Resource):
    """One table of the import file. Subclasses say how a row finds its record (`find`), how
    its cells are read and what would change (`read`), and which services write it (`write`).

    `read` leaves on the instance `import_values` (the cells as the services take them) and
    `import_effects` (sentences saying what the row does); a row of an existing record with no
    effect is reported unchanged and not written at all.
    """

    key = ""
    # The column whose value identifies the row's record.
    key_column = ""
    sheet_title = ""
    help_text = ""
    aliases: tuple[str, ...] = ()
    # Where a service's error about a model field is shown: model field -> column key.
    field_columns: dict[str, str] = {}

    class Meta:
        instance_loader_class = _FoundByResource
        use_transactions = True
        skip_diff = True
        store_instance = True
        store_row_values = True
        report_skipped = True

    def __init__(self, *, agreement, by, row_numbers=()):
        super().__init__()
        self.agreement, self.by = agreement, by
        # The spreadsheet row of each dataset row: blank rows are left out of the dataset.
        self.row_numbers = list(row_numbers)
        self.seen = {}

    # -- What subclasses write --

    def row_key(self, cells: _Cells) -> str:
        """What identifies the row's record; two rows with the same key are refused."""
        raise NotImplementedError

    def row_label(self, cells: _Cells) -> str:
        """The row's key as the reader wrote it, to quote when it is repeated."""
        return cells.text(self.key_column)

    def find(self, row):
        """The agreement's record the row is about, or None for a new one."""
        raise NotImplementedError

    def read(self, instance, cells: _Cells) -> tuple[dict, list[str]]:
        """The row's values as the services take them, and what writing them would change;
        each wrong cell is noted on `cells`."""
        raise NotImplementedError

    def write(self, instance, values: dict, is_create: bool) -> None:
        """Write the row through the services."""
        raise NotImplementedError

    # -- django-import-export's hooks --

    @classmethod
    def columns(cls) -> list[Column]:
        """The sheet's columns, in the template's order."""
        return [field for field in cls.fields.values() if isinstance(field, Column)]

    def get_instance(self, instance_loader, row):
        """Ask the loader (so `find`) for every row: there is no id column to look for."""
        return instance_loader.get_instance(row)

    def init_instance(self, row=None):
        """A new record, never saved as such: `write` hands its values to a service."""
        return self._meta.model()

    def import_instance(self, instance, row, **kwargs):
        """Read and check the row's cells; keep what to write, and what it would change."""
        cells = _Cells(row)
        key_column = self.key_column
        key = self.row_key(cells)
        if key:
            number = kwargs.get("row_number")
            if key in self.seen:
                cells.error(
                    key_column,
                    _("'%(value)s' is already in row %(row)s of this sheet.")
                    % {"value": self.row_label(cells), "row": self.seen[key]},
                )
            else:
                self.seen[key] = self.spreadsheet_row(number)
        values, effects = self.read(instance, cells)
        cells.check()
        instance.import_values, instance.import_effects = values, effects

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """An existing record the row would not change: reported unchanged, not written."""
        if import_validation_errors:
            return False
        return instance.pk is not None and not instance.import_effects

    def do_instance_save(self, instance, is_create):
        """Write the row through the services, never by saving the instance itself."""
        with self.service_errors(), transaction.atomic():
            self.write(instance, instance.import_values, is_create)

    @contextmanager
    def service_errors(self):
        """A service's refusal, keyed by model field, re-keyed by the column to show it in."""
        try:
            yield
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            by_column = {}
            for name, messages in error.message_dict.items():
                column = self.field_columns.get(name, NON_FIELD_ERRORS)
                by_column.setdefault(column, []).extend(messages)
            raise ValidationError(by_column) from error

    def spreadsheet_row(self, number) -> int:
        """The row as the spreadsheet numbers it (the header is row 1), from the dataset's
        1-based index; blank rows left out of the dataset still count."""
        if number and number <= len(self.row_numbers):
            return self.row_numbers[number - 1]
        return (number or 0) + 1


class PartyResource(SheetResource):
    """Parties at the table: an unknown code creates the party, a known one is reused as it
    is (parties are shared between agreements); either is then seated at this table."""

    key = "parties"
    key_column = "code"
    sheet_title = gettext_lazy("Parties")
    help_text = gettext_lazy(
        "An unknown code adds the party (its name and capital's time zone are then needed); a "
        "known one is reused as it is. Each party is seated at this agreement's table."
    )
    aliases = ("party", "delegations")
    field_columns = {
        "code": "code",
        "name": "name",
        "capital_time_zone": "capital time zone",
        "party": "code",
        "head_name": "head of delegation",
        "head_title": "head title",
    }

    code = Column("code", gettext_lazy("code"), "party code", "party", required=True)
    name = Column("name", gettext_lazy("name"), "party name")
    capital_time_zone = Column(
        "capital time zone", gettext_lazy("capital time zone"), "time zone", "capital timezone"
    )
    head_name = Column(
        "head of delegation", gettext_lazy("head of delegation"), "head", "head name"
    )
    head_title = Column("head title", gettext_lazy("head title"), "title")

    class Meta:
        model = Delegation

    def row_key(self, cells):
        return cells.text("code").upper()

    def find(self, row):
        code = _Cells(row).text("code")
        if not code:
            return None
        return (
            Delegation.objects.filter(agreement=self.agreement, party__code__iexact=code)
            .select_related("party")
            .first()
        )

    def read(self, instance, cells):
        code = cells.text("code").upper()
        values, effects = {"code": code}, []
        if not code:
            cells.error("code", _("A party needs its code."))
        heads = {"head_name": "head of delegation", "head_title": "head title"}
        for name, key in heads.items():
            current = getattr(instance, name) if instance.pk else ""
            values[name] = cells.text(key) if cells.has(key) else current
        if instance.pk is not None:
            for name, key in heads.items():
                if values[name] != getattr(instance, name):
                    effects.append(_change(key, getattr(instance, name), values[name]))
            return values, effects
        party = Party.objects.filter(code__iexact=code).first() if code else None
        values["party"] = party
        if party is None and code:
            values["name"] = cells.text("name")
            values["capital_time_zone"] = cells.time_zone("capital time zone")
            if not values["name"]:
                cells.error("name", _("A new party needs its name."))
            if not values["capital_time_zone"] and "capital time zone" not in cells.errors:
                cells.error("capital time zone", _("A new party needs its capital's time zone."))
            effects.append(_("Creates the party."))
        effects.append(_("Seats it at this agreement's table."))
        return values, effects

    def write(self, instance, values, is_create):
        if not is_create:
            update_delegation(
                delegation=instance,
                by=self.by,
                head_name=values["head_name"],
                head_title=values["head_title"],
            )
            return
        party = values["party"] or create_party(
            name=values["name"],
            code=values["code"],
            capital_time_zone=values["capital_time_zone"],
            by=self.by,
        )
        add_delegation(
            agreement=self.agreement,
            party=party,
            by=self.by,
            head_name=values["head_name"],
            head_title=values["head_title"],
        )


class WorkingGroupResource(SheetResource):
    """Working groups, found by their code within the agreement."""

    key = "working_groups"
    key_column = "code"
    sheet_title = gettext_lazy("Working groups")
    help_text = gettext_lazy("A working group is found by its code; its name and order follow.")
    aliases = ("working group", "groups")
    field_columns = {"code": "code", "name": "name", "order": "order"}

    code = Column("code", gettext_lazy("code"), "working group code", "group code", required=True)
    name = Column("name", gettext_lazy("name"), "working group", "working group name")
    order = Column("order", gettext_lazy("order"), "position")

    class Meta:
        model = WorkingGroup

    def row_key(self, cells):
        return cells.text("code").upper()

    def find(self, row):
        code = _Cells(row).text("code")
        if not code:
            return None
        return WorkingGroup.objects.filter(agreement=self.agreement, code__iexact=code).first()

    def read(self, instance, cells):
        code, name, order = cells.text("code").upper(), cells.text("name"), cells.order("order")
        if not code:
            cells.error("code", _("A working group needs its code."))
        if instance.pk is None:
            if not name:
                cells.error("name", _("A new working group needs its name."))
            return {"code": code, "name": name, "order": order}, [_("Adds the working group.")]
        effects = []
        if name and name != instance.name:
            effects.append(_change("name", instance.name, name))
        if order is not None and order != instance.order:
            effects.append(_change("order", instance.order, order))
        return {"code": instance.code, "name": name or instance.name, "order": order}, effects

    def write(self, instance, values, is_create):
        if is_create:
            create_working_group(agreement=self.agreement, by=self.by, **values)
        else:
            update_working_group(working_group=instance, by=self.by, **values)


class ChapterResource(SheetResource):
    """Chapters, found by their title within the agreement; one named in another working
    group than its own is moved there, keeping its history."""

    key = "chapters"
    key_column = "title"
    sheet_title = gettext_lazy("Chapters")
    help_text = gettext_lazy(
        "A chapter is found by its title; one named with another working group's code is "
        "moved there, keeping its history."
    )
    aliases = ("chapter",)
    field_columns = {"title": "title", "order": "order", "working_group": "working group code"}

    group = Column(
        "working group code",
        gettext_lazy("working group code"),
        "working group",
        "group code",
        "group",
        "code",
    )
    title = Column("title", gettext_lazy("title"), "chapter", "chapter title", required=True)
    order = Column("order", gettext_lazy("order"), "position")

    class Meta:
        model = Chapter

    def row_key(self, cells):
        return cells.text("title").casefold()

    def find(self, row):
        cells = _Cells(row)
        title = cells.text("title")
        if not title:
            return None
        chapters = Chapter.objects.filter(
            working_group__agreement=self.agreement, title__iexact=title
        ).select_related("working_group")
        code = cells.text("working group code").upper()
        # The same title may stand in two groups: the one in the group named is meant.
        chapters = list(chapters)
        return next((c for c in chapters if c.working_group.code.upper() == code), None) or (
            chapters[0] if chapters else None
        )

    def read(self, instance, cells):
        title, order = cells.text("title"), cells.order("order")
        code = cells.text("working group code").upper()
        group = None
        if not title:
            cells.error("title", _("A chapter needs its title."))
        if code:
            group = WorkingGroup.objects.filter(agreement=self.agreement, code__iexact=code).first()
            if group is None:
                cells.error(
                    "working group code",
                    _("'%(value)s' is not a working group of this agreement.") % {"value": code},
                )
        elif instance.pk is None:
            cells.error("working group code", _("A new chapter needs its working group's code."))
        values = {"title": title, "order": order, "working_group": group}
        if instance.pk is None:
            return values, [_("Adds the chapter.")]
        effects = []
        if title and title != instance.title:
            effects.append(_change("title", instance.title, title))
        if group is not None and group.pk != instance.working_group_id:
            effects.append(
                _("Moves it from working group %(old)s to %(new)s.")
                % {"old": instance.working_group.code, "new": group.code}
            )
        if order is not None and order != instance.order:
            effects.append(_change("order", instance.order, order))
        return values, effects

    def write(self, instance, values, is_create):
        if is_create:
            create_chapter(
                working_group=values["working_group"],
                title=values["title"],
                order=values["order"],
                by=self.by,
            )
        else:
            update_chapter(chapter=instance, by=self.by, **values)


class PersonResource(SheetResource):
    """People, found by their email: someone new to the agreement is invited (their account
    made if the email is new); someone already in it gets the role, party and working groups
    the row gives. Names, time zone and language of an account that exists are its owner's."""

    key = "people"
    key_column = "email"
    sheet_title = gettext_lazy("People")
    help_text = gettext_lazy(
        "Someone new to the agreement is invited by email. Someone already in it gets the "
        "role, party and working groups of the row (working group codes separated by commas); "
        "their name, time zone and language stay theirs to change."
    )
    aliases = ("person", "members")
    field_columns = {
        "email": "email",
        "username": "email",
        "first_name": "first name",
        "last_name": "last name",
        "role": "role",
        "party": "party code",
        "working_groups": "working group codes",
        "time_zone": "time zone",
        "language": "language",
    }

    email = Column("email", gettext_lazy("email"), "email address", "e mail", required=True)
    first_name = Column("first name", gettext_lazy("first name"), "given name")
    last_name = Column("last name", gettext_lazy("last name"), "family name", "surname")
    role = Column("role", gettext_lazy("role"), required=True)
    party = Column("party code", gettext_lazy("party code"), "party", "delegation")
    groups = Column(
        "working group codes",
        gettext_lazy("working group codes"),
        "working groups",
        "working group code",
        "groups",
    )
    time_zone = Column("time zone", gettext_lazy("time zone"), "timezone")
    language = Column("language", gettext_lazy("language"))

    class Meta:
        model = RoleAssignment

    def row_key(self, cells):
        return cells.text("email").casefold()

    def find(self, row):
        email = _Cells(row).text("email")
        if not email:
            return None
        return (
            RoleAssignment.objects.filter(agreement=self.agreement, user__email__iexact=email)
            .select_related("user", "party")
            .first()
        )

    def read(self, instance, cells):
        if self.by is not None and not permissions.can_manage_people(self.by, self.agreement.pk):
            cells.error(NON_FIELD_ERRORS, _("You may not invite people to this agreement."))
        email = cells.text("email")
        if not email:
            cells.error("email", _("A person needs their email address."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                cells.error("email", _("'%(value)s' is not an email address.") % {"value": email})
        role = self._role(cells)
        party = self._party(cells, instance)
        groups = self._groups(cells, instance)
        if groups and party is None and "party code" not in cells.errors:
            cells.error(
                "party code",
                _("Someone in a working group sits there for a party: give its code."),
            )
        # Checked on every row, though only an invitation uses them: a typo is still a typo.
        time_zone, language = cells.time_zone("time zone"), self._language(cells)
        values = {"role": role, "party": party, "working_groups": groups}
        if instance.pk is None:
            values.update(
                email=email,
                first_name=cells.text("first name"),
                last_name=cells.text("last name"),
                # Someone whose zone the file leaves out most likely lives in their capital's.
                time_zone=time_zone or (party.capital_time_zone if party else "UTC"),
                language=language or settings.LANGUAGE_CODE,
            )
            exists = bool(email) and get_user_model().objects.filter(email__iexact=email).exists()
            return values, [
                _("Already has an account: gets the role and is told by email.")
                if exists
                else _("Creates the account and emails an invitation.")
            ]
        effects = []
        if role and role != instance.role:
            effects.append(_change("role", instance.get_role_display(), Role(role).label))
        if party != instance.party:
            effects.append(
                _change(
                    "party code",
                    instance.party.code if instance.party else "",
                    party.code if party else "",
                )
            )
        held = self._held(instance)
        if {g.pk for g in groups} != set(held) or any(
            held[g.pk].party_id != getattr(party, "pk", None) for g in groups if g.pk in held
        ):
            effects.append(
                _change(
                    "working group codes",
                    ", ".join(sorted(seat.working_group.code for seat in held.values())),
                    ", ".join(sorted(g.code for g in groups)),
                )
            )
        return values, effects

    def _role(self, cells) -> str:
        """The role of the row, written as its value or its label in any language."""
        value = cells.text("role")
        role = _roles().get(_choice_key(value)) if value else None
        if role is None:
            cells.error(
                "role",
                _("'%(value)s' is not a role: write one of %(roles)s.")
                % {"value": value, "roles": _quoted_list(str(r.label).lower() for r in Role)}
                if value
                else _("A person needs their role."),
            )
        return role

    def _party(self, cells, instance):
        """The party the person sits for: one at this agreement's table."""
        if not cells.has("party code"):
            return instance.party if instance.pk else None
        return _party_at_table(self.agreement, cells, "party code")

    def _held(self, instance) -> dict:
        """The person's seats in this agreement's working groups, by group."""
        seats = Membership.objects.filter(
            user_id=instance.user_id, working_group__agreement=self.agreement
        ).select_related("working_group")
        return {seat.working_group_id: seat for seat in seats}

    def _groups(self, cells, instance) -> list:
        """The working groups the person sits in (all theirs if the column is left out)."""
        if not cells.has("working group codes"):
            if instance.pk is None:
                return []
            return [seat.working_group for seat in self._held(instance).values()]
        return _groups_named(self.agreement, cells, "working group codes")

    def _language(self, cells) -> str | None:
        """The language code of the row, written as a code or a name."""
        value = cells.text("language")
        code = _languages().get(_normalised(value)) if value else None
        if value and code is None:
            cells.error(
                "language",
                _("'%(value)s' is not a language of the tracker: write one of %(codes)s.")
                % {"value": value, "codes": _quoted_list(c for c, _n in settings.LANGUAGES)},
            )
        return code

    def write(self, instance, values, is_create):
        if is_create:
            invite_person(agreement=self.agreement, by=self.by, **values)
        else:
            update_person(agreement=self.agreement, user=instance.user, by=self.by, **values)


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


def _kept(cells, key, instance, field) -> str:
    """A text cell's value; the record's own where the file has no such column."""
    if cells.has(key):
        return cells.text(key)
    return getattr(instance, field) if instance.pk is not None else ""


def _code(party) -> str:
    return party.code if party is not None else ""


def _when(starts_at, ends_at, zone) -> str:
    """ "2027-03-09 09:00 – 2027-03-10 17:00 Asia/Brunei": a meeting's times on its own clock."""
    clock = zoneinfo.ZoneInfo(zone)
    starts, ends = starts_at.astimezone(clock), ends_at.astimezone(clock)
    end = ends.strftime("%H:%M") if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    return f"{starts:%Y-%m-%d %H:%M} – {end} {zone}"


# The tables of an import file, in the order they are imported: each may refer to the ones
# before it (a chapter to its working group, a person to their party and groups, a round to
# its host, a meeting to its round, host and groups).
RESOURCES = (
    PartyResource,
    WorkingGroupResource,
    ChapterResource,
    PersonResource,
    RoundResource,
    MeetingResource,
)


def _change(column, old, new) -> str:
    """ "name: 'old' → 'new'", for the preview."""
    return _("%(column)s: '%(old)s' → '%(new)s'") % {
        "column": _column_label(column),
        "old": old,
        "new": new,
    }


def _column_label(key) -> str:
    """The label of a column, in the reader's language."""
    for resource in RESOURCES:
        for column in resource.columns():
            if column.key == key:
                return str(column.label)
    return key


# --- Reading the file --------------------------------------------------------------------------


@dataclasses.dataclass
class Table:
    """One table of the file as read: its dataset, the spreadsheet row of each dataset row,
    and what was wrong with it as a whole (a missing column, say)."""

    resource: type[SheetResource]
    dataset: tablib.Dataset
    row_numbers: list[int]
    errors: list[str]
    # What was left out without being wrong: columns the import does not read.
    notes: list[str] = dataclasses.field(default_factory=list)


def _sheet_names(resource) -> set[str]:
    """Every name a sheet of this table may have, in every language."""
    names = {_normalised(resource.key), *(_normalised(a) for a in resource.aliases)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(_normalised(resource.sheet_title))
    return names


def _cell_text(value) -> str:
    """A cell as text: 3.0 is "3", a date is ISO ("2027-03-09"), a time "09:00", an empty
    cell ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
        # A cell formatted as a duration ("[h]:mm") is how some sheets hold a time of day.
        value = (dt.datetime.min + value).time()
    if isinstance(value, dt.datetime):
        if value.date() == EXCEL_EPOCH:
            value = value.time()
        elif value.time() == dt.time(0):
            return value.date().isoformat()
        else:
            return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return str(value).strip()


def _table(resource, rows) -> Table:
    """A table from its rows of cells (the first holds the headers)."""
    title = str(resource.sheet_title)
    header, *body = rows or [[]]
    by_header = {}
    for column in resource.columns():
        for name in column.headers():
            by_header[name] = column.key
    positions, errors, notes = {}, [], []
    for index, cell in enumerate(header):
        key = by_header.get(_normalised(_cell_text(cell)))
        if key is None:
            if _cell_text(cell):
                notes.append(
                    _(
                        "%(sheet)s: the column '%(column)s' is not one the import reads; it is "
                        "left out."
                    )
                    % {"sheet": title, "column": _cell_text(cell)}
                )
            continue
        if key in positions:
            errors.append(
                _("%(sheet)s: the column '%(column)s' appears twice.")
                % {"sheet": title, "column": _column_label(key)}
            )
        positions.setdefault(key, index)
    for column in resource.columns():
        if column.required and column.key not in positions:
            errors.append(
                _("%(sheet)s: the column '%(column)s' is missing (row 1 holds the headers).")
                % {"sheet": title, "column": column.label}
            )
    keys = [c.key for c in resource.columns() if c.key in positions]
    dataset, numbers = tablib.Dataset(headers=keys), []
    for number, cells in enumerate(body, start=2):
        values = [
            _cell_text(cells[positions[key]]) if positions[key] < len(cells) else "" for key in keys
        ]
        if any(values):
            dataset.append(values)
            numbers.append(number)
    if len(numbers) > MAX_ROWS:
        raise ValidationError(
            _("The sheet '%(sheet)s' has more than %(limit)s rows: split the file.")
            % {"sheet": title, "limit": MAX_ROWS}
        )
    return Table(resource, dataset, numbers, errors, notes)


def _rows_of(sheet) -> list[list]:
    """The cells of a worksheet, row by row, as far as a file may go."""
    rows = []
    for cells in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        rows.append(list(cells))
        # Formatted but empty rows count too: a sheet may not make the reader walk forever.
        if len(rows) > MAX_SCANNED_ROWS:
            raise ValidationError(
                _("The sheet '%(sheet)s' has more than %(limit)s rows: split the file.")
                % {"sheet": sheet.title, "limit": MAX_ROWS}
            )
    return rows


def _read_workbook(data: bytes) -> tuple[list[Table], list[str]]:
    """The tables of an .xlsx workbook, one per sheet named after one, and the other sheets."""
    unreadable = ValidationError(_("This file could not be read as an Excel workbook (.xlsx)."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # Whatever a damaged or foreign zip makes openpyxl raise, it is not a workbook.
        raise unreadable from error
    tables, notes = {}, []
    try:
        for sheet in workbook.worksheets:
            resource = next(
                (r for r in RESOURCES if _normalised(sheet.title) in _sheet_names(r)), None
            )
            if resource is not None and resource not in tables:
                tables[resource] = _table(resource, _rows_of(sheet))
            else:
                notes.append(
                    _("The sheet '%(sheet)s' is not one the import reads; it is left out.")
                    % {"sheet": sheet.title}
                )
    except ValidationError:
        raise
    except Exception as error:
        raise unreadable from error
    finally:
        workbook.close()
    if not tables:
        raise ValidationError(
            _("None of the sheets of this workbook is called %(names)s.")
            % {"names": _quoted_list(_english(r.sheet_title) for r in RESOURCES)}
        )
    return [tables[r] for r in RESOURCES if r in tables], notes


def _english(text) -> str:
    with translation.override("en"):
        return str(text)


def _read_csv(data: bytes) -> tuple[list[Table], list[str]]:
    """The one table of a CSV file, told by its headers."""
    if b"\x00" in data[:4096]:
        raise ValidationError(_("This file is not a spreadsheet: upload an .xlsx or .csv file."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("This file is not a spreadsheet: upload an .xlsx or .csv file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValidationError(_("The file is empty."))
    header = {_normalised(cell) for cell in rows[0]}
    candidates = []
    for resource in RESOURCES:
        matched = [c for c in resource.columns() if c.headers() & header]
        if all(c in matched for c in resource.columns() if c.required):
            candidates.append((len(matched), resource))
    candidates.sort(key=lambda pair: -pair[0])
    if not candidates or (len(candidates) > 1 and candidates[0][0] == candidates[1][0]):
        raise ValidationError(
            _(
                "The first row of this CSV file does not say which table it holds: name its "
                "columns as the template does (for chapters: working group code, title, order)."
            )
        )
    return [_table(candidates[0][1], rows)], []


def read_tables(data: bytes) -> tuple[list[Table], list[str]]:
    """The tables of an uploaded file, and notes on what of it is left out (a sheet of other
    things, say); `ValidationError` saying why a file cannot be read at all."""
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_FILE_SIZE:
        raise ValidationError(_("The file is larger than 2 MB: split it."))
    if data.startswith(b"PK\x03\x04"):
        tables, notes = _read_workbook(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            _("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) first.")
        )
    else:
        tables, notes = _read_csv(data)
    if not any(table.errors or table.row_numbers for table in tables):
        raise ValidationError(_("The file has no rows to import under its headers."))
    return tables, notes


# --- The report --------------------------------------------------------------------------------


@dataclasses.dataclass
class RowReport:
    """One row as imported (or as it would be): status is new, update, skip or error."""

    number: int
    status: str
    values: dict
    effects: list[str]
    errors: list[str]


@dataclasses.dataclass
class SheetReport:
    """One sheet as imported: its rows, and what was wrong with it, or left out of it, as a
    whole."""

    key: str
    columns: list[str]
    rows: list[RowReport]
    errors: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def resource(self):
        return next(r for r in RESOURCES if r.key == self.key)

    @property
    def title(self) -> str:
        return str(self.resource.sheet_title)

    @property
    def column_labels(self) -> list[tuple[str, str]]:
        labels = {c.key: str(c.label) for c in self.resource.columns()}
        return [(key, labels.get(key, key)) for key in self.columns]

    def count(self, status) -> int:
        return sum(1 for row in self.rows if row.status == status)


@dataclasses.dataclass
class ImportReport:
    """What an import did (or, for a preview, would do), sheet by sheet and row by row."""

    sheets: list[SheetReport]
    dry_run: bool = True
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        messages = []
        for sheet in self.sheets:
            messages += sheet.errors
            for row in sheet.rows:
                messages += row.errors
        return messages

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def count(self, status) -> int:
        return sum(sheet.count(status) for sheet in self.sheets)

    def as_data(self) -> dict:
        """The report as JSON-safe data, to keep between preview and confirmation."""
        return dataclasses.asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "ImportReport":
        """The report kept by `as_data`."""
        return cls(
            sheets=[
                SheetReport(
                    key=sheet["key"],
                    columns=sheet["columns"],
                    rows=[RowReport(**row) for row in sheet["rows"]],
                    errors=sheet["errors"],
                    notes=sheet.get("notes", []),
                )
                for sheet in data["sheets"]
            ],
            dry_run=data.get("dry_run", True),
            notes=data.get("notes", []),
        )


def _row_errors(title, number, row_result) -> list[str]:
    """A failed row's errors, each saying the sheet, the row and (where there is one) the
    column: "People, row 7, column 'time zone': …"."""
    if row_result.import_type == RowResult.IMPORT_TYPE_INVALID:
        error = row_result.validation_error
        by_column = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        messages = []
        for key, texts in by_column.items():
            for text in texts:
                if key == NON_FIELD_ERRORS:
                    messages.append(
                        _("%(sheet)s, row %(row)s: %(message)s")
                        % {"sheet": title, "row": number, "message": text}
                    )
                else:
                    messages.append(
                        _("%(sheet)s, row %(row)s, column '%(column)s': %(message)s")
                        % {
                            "sheet": title,
                            "row": number,
                            "column": _column_label(key),
                            "message": text,
                        }
                    )
        return messages
    return [
        _("%(sheet)s, row %(row)s: this row could not be imported (%(error)s).")
        % {"sheet": title, "row": number, "error": error.error}
        for error in row_result.errors
    ]


def _sheet_report(table: Table, result) -> SheetReport:
    """django-import-export's `Result` of one table, row by row, as the preview shows it."""
    title = str(table.resource.sheet_title)
    rows = []
    for index, row_result in enumerate(result.rows):
        number = table.row_numbers[index] if index < len(table.row_numbers) else index + 2
        valid = row_result.is_valid()
        instance = row_result.instance
        rows.append(
            RowReport(
                number=number,
                status=row_result.import_type if valid else "error",
                values={key: str(value or "") for key, value in row_result.row_values.items()},
                effects=[str(e) for e in getattr(instance, "import_effects", [])] if valid else [],
                errors=[] if valid else _row_errors(title, number, row_result),
            )
        )
    errors = list(table.errors) + [
        _("%(sheet)s: %(error)s") % {"sheet": title, "error": error.error}
        for error in result.base_errors
    ]
    return SheetReport(
        key=table.resource.key,
        columns=list(table.dataset.headers),
        rows=rows,
        errors=errors,
        notes=table.notes,
    )


# --- The entry point ---------------------------------------------------------------------------


def import_workbook(*, agreement, by, uploaded_file, dry_run: bool = True) -> ImportReport:
    """Import an uploaded XLSX or CSV file into the agreement, all of it or nothing.

    Every table is imported, in order, inside one transaction; it is rolled back for a dry run
    (the preview) and whenever any row fails, so nothing is written unless everything is.
    `ValidationError` if the file cannot be read at all (not a spreadsheet, empty, too big).
    """
    # `by` None is a command or the shell: there the caller has decided, as for the services.
    if by is not None and not permissions.can_manage_agreement(by, agreement.pk):
        raise PermissionDenied
    data = uploaded_file if isinstance(uploaded_file, bytes) else _read_all(uploaded_file)
    tables, notes = read_tables(data)
    sheets = []
    with transaction.atomic():
        for table in tables:
            if table.errors:
                # A table missing a needed column is not read row by row: every row would fail.
                sheets.append(
                    SheetReport(
                        key=table.resource.key,
                        columns=list(table.dataset.headers),
                        rows=[],
                        errors=table.errors,
                        notes=table.notes,
                    )
                )
                continue
            resource = table.resource(agreement=agreement, by=by, row_numbers=table.row_numbers)
            # Not a dry run for django-import-export: its own rollback would undo each table
            # before the next is read. The whole file is rolled back here instead.
            result = resource.import_data(
                table.dataset, dry_run=False, use_transactions=True, raise_errors=False
            )
            sheets.append(_sheet_report(table, result))
        report = ImportReport(sheets=sheets, dry_run=dry_run, notes=notes)
        if dry_run or report.has_errors:
            transaction.set_rollback(True)
    return report


def _read_all(uploaded_file) -> bytes:
    """An uploaded file's bytes, refusing to read far past the size limit."""
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    if hasattr(uploaded_file, "size") and uploaded_file.size and uploaded_file.size > MAX_FILE_SIZE:
        raise ValidationError(_("The file is larger than 2 MB: split it."))
    return uploaded_file.read(MAX_FILE_SIZE + 1)


# --- The template ------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty workbook with the six sheets and their headers, ready to be filled in."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for resource in RESOURCES:
        with translation.override("en"):
            # In English: the template's sheet names and headers are read in every language.
            sheet = workbook.create_sheet(str(resource.sheet_title))
            roles = [str(role.label).lower() for role in Role]
            modes = [str(mode.label).lower() for mode in RoundMode]
            kinds = [str(kind.label).lower() for kind in MeetingKind]
        keys = [column.key for column in resource.columns()]
        sheet.append(keys)
        for index, key in enumerate(keys, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(index)].width = max(14, len(key) + 4)
        sheet.freeze_panes = "A2"
        if resource is PersonResource:
            _list_validation(sheet, keys.index("role") + 1, roles)
            _list_validation(sheet, keys.index("language") + 1, [c for c, _n in settings.LANGUAGES])
        elif resource is RoundResource:
            _list_validation(sheet, keys.index("mode") + 1, modes)
        elif resource is MeetingResource:
            _list_validation(sheet, keys.index("kind") + 1, kinds)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _list_validation(sheet, column: int, choices: list[str]) -> None:
    """Offer `choices` in a drop-down on the column's cells."""
    letter = get_column_letter(column)
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
    )
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
