"""The audit trail as people read it: each change as (field label, before, after) in the
reader's language and zone, related records by name and linked to their pages, choices by their
label, and the technical columns (versions, keys, secrets, bookkeeping times) left out.

Related records are read in bulk: one query per kind of record for a whole page of entries,
never one per row, so a page of 5 entries and one of 500 run the same queries.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from audit.choices import AuditAction
from negotiations import moments

# Columns that say nothing to a reader: keys, versions, bookkeeping times and secrets.
HIDDEN_NAMES = frozenset(
    {
        "id",
        "pk",
        "version",
        "password",
        "last_login",
        "date_joined",
        "created",
        "created_at",
        "updated",
        "updated_at",
        "modified",
        "modified_at",
        "recorded_at",
        "fingerprint",
        "token",
        "secret",
    }
)
HIDDEN_SUFFIXES = ("_token", "_secret", "_hash", "_fingerprint", "_password")

# Addresses that carry a secret are never shown as links.
NEVER_LINKED = frozenset({"accounts.calendarfeed"})

# Loaded with a record so that its name and address need no further query.
SELECT_RELATED = {
    "negotiations.negotiationround": ("agreement",),
    "negotiations.delegation": ("party", "agreement"),
    "negotiations.roleassignment": ("user", "agreement"),
    "workinggroups.membership": ("user", "working_group", "party"),
    "workinggroups.position": ("party",),
    "reminders.leadtimes": ("agreement",),
    "accounts.calendarfeed": ("user",),
}

# Records named from their own columns, in the reader's language (a position by its party's
# name, not its code), so that a removed record is named as well as a live one.
NAMES = {
    "workinggroups.position": (
        pgettext_lazy("a party's position on a contested point", "%(party)s on %(point)s"),
        {"party": "party_id", "point": "contested_point_id"},
    ),
    "workinggroups.membership": (
        pgettext_lazy("a seat in a working group", "%(person)s in %(group)s for %(party)s"),
        {"person": "user_id", "group": "working_group_id", "party": "party_id"},
    ),
    "workinggroups.chapterstatuschange": (
        pgettext_lazy(
            "a chapter's move from a status to another", "%(chapter)s: %(from)s → %(to)s"
        ),
        {"chapter": "chapter_id", "from": "from_status", "to": "to_status"},
    ),
    "negotiations.roleassignment": (
        pgettext_lazy("a person's role in an agreement", "%(person)s in %(agreement)s"),
        {"person": "user_id", "agreement": "agreement_id"},
    ),
    "negotiations.delegation": (
        pgettext_lazy("a party's delegation to an agreement", "%(party)s at %(agreement)s"),
        {"party": "party_id", "agreement": "agreement_id"},
    ),
    "accounts.calendarfeed": (
        gettext_lazy("Calendar feed of %(person)s"),
        {"person": "user_id"},
    ),
    "reminders.leadtimes": (
        pgettext_lazy("an agreement's reminder lead times", "%(agreement)s"),
        {"agreement": "agreement_id"},
    ),
}

# Records with no page of their own, linked to the page of the record they belong to.
LINK_THROUGH = {
    "workinggroups.position": "contested_point_id",
    "workinggroups.chapterstatuschange": "chapter_id",
    "workinggroups.membership": "working_group_id",
    "negotiations.delegation": "agreement_id",
    "negotiations.roleassignment": "agreement_id",
    "negotiations.commitmentstatuschange": "commitment_id",
    "reminders.leadtimes": "agreement_id",
}

# Records whose moments are read on their own clock (a meeting's), the reader's beside it.
OWN_CLOCK = {"negotiations.meeting": "time_zone"}

EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class Shown:
    """A value as a reader sees it, with the address of its page when it has one."""

    text: str
    url: str = ""

    def __str__(self):
        return self.text


NONE = Shown("—")


@dataclass(frozen=True)
class Change:
    """One field of one record: its label, and its value before and after (None: none)."""

    label: str
    before: Shown | None
    after: Shown | None

    def values(self, action) -> list[Shown]:
        """What a line shows: the value a record was created with or had when removed, else
        the value before and after ("—" for none)."""
        if action == AuditAction.CREATE:
            return [self.after or NONE]
        if action == AuditAction.DELETE:
            return [self.before or NONE]
        return [self.before or NONE, self.after or NONE]

    def as_text(self, action) -> str:
        """The line as plain text: "Status: Under negotiation → Agreed"; a creation or a
        removal says its one value."""
        value = " → ".join(str(shown) for shown in self.values(action))
        return _("%(field)s: %(value)s") % {"field": self.label, "value": value}

    def as_html(self, action):
        values = [
            format_html('<a href="{}">{}</a>', shown.url, shown.text) if shown.url else shown.text
            for shown in self.values(action)
        ]
        return format_html(
            '<li><span class="audit-field">{}</span>: {}</li>',
            self.label,
            format_html_join(" → ", "{}", ((value,) for value in values)),
        )


@dataclass
class ReadableEntry:
    """An audit entry as the trail shows it."""

    entry: object
    kind: str
    record: Shown
    actor: str
    changes: list[Change] = field(default_factory=list)

    @property
    def at(self):
        return self.entry.at

    @property
    def action(self):
        return self.entry.action

    @property
    def action_label(self):
        return self.entry.get_action_display()

    @property
    def is_creation(self):
        return self.entry.action == AuditAction.CREATE

    @property
    def is_removal(self):
        return self.entry.action == AuditAction.DELETE

    def changes_text(self) -> str:
        return "\n".join(change.as_text(self.entry.action) for change in self.changes)

    def changes_html(self):
        """The changes as a list; every value is escaped (recorded text is shown, never run)."""
        if not self.changes:
            if self.entry.action != AuditAction.UPDATE:
                return ""
            # Only keys, versions, bookkeeping times or secrets changed (a feed's new address).
            return format_html('<span class="muted">{}</span>', _("Only internal details changed."))
        return format_html(
            '<ul class="plain audit-changes">{}</ul>',
            format_html_join(
                "", "{}", ((change.as_html(self.entry.action),) for change in self.changes)
            ),
        )

    def record_html(self):
        """ "Chapter: Rules of Origin", the name linked to the record's page when it has one."""
        name = (
            format_html('<a href="{}">{}</a>', self.record.url, self.record.text)
            if self.record.url
            else self.record.text
        )
        return format_html("{}: {}", self.kind, name)


def is_hidden(model_field) -> bool:
    name = model_field.name
    return (
        model_field.primary_key
        or name in HIDDEN_NAMES
        or name.endswith(HIDDEN_SUFFIXES)
        or getattr(model_field, "auto_now", False)
        or getattr(model_field, "auto_now_add", False)
    )


def field_label(model_field) -> str:
    """The field's name in the reader's language, with a capital."""
    name = model_field.verbose_name
    return capfirst(str(name) if isinstance(name, Promise) else _(name))


def _is_relation(model_field) -> bool:
    return bool(model_field.is_relation and (model_field.many_to_one or model_field.one_to_one))


def _fields_of(model) -> dict:
    """Concrete fields by the name a snapshot keeps them under (`chapter_id` for `chapter`)."""
    return {f.attname: f for f in model._meta.concrete_fields}


def _key(model) -> str:
    return model._meta.label_lower


def _url_of(obj) -> str:
    if obj is None or _key(type(obj)) in NEVER_LINKED:
        return ""
    get_url = getattr(obj, "get_absolute_url", None)
    return get_url() if get_url is not None else ""


class _Lookups:
    """The related records a page of entries names, read in one query per kind."""

    def __init__(self, known=()):
        self.wanted = defaultdict(set)
        self.found = defaultdict(dict)
        for obj in known:
            self._know(obj)

    def _know(self, obj):
        if obj is None or obj.pk is None:
            return
        self.found[type(obj)._meta.concrete_model][obj.pk] = obj
        # What was loaded with it (select_related) is known too.
        for related in obj._state.fields_cache.values():
            if isinstance(related, models.Model):
                self._know(related)

    def want(self, model, value):
        if value in EMPTY:
            return
        try:
            pk = model._meta.pk.to_python(value)
        except ValidationError:  # a malformed key in an old entry names nothing
            return
        model = model._meta.concrete_model
        if pk not in self.found[model]:
            self.wanted[model].add(pk)

    def fetch(self):
        for model, pks in self.wanted.items():
            queryset = model._default_manager.all()
            if _key(model) in SELECT_RELATED:
                queryset = queryset.select_related(*SELECT_RELATED[_key(model)])
            self.found[model].update(queryset.in_bulk(pks))
        self.wanted.clear()

    def get(self, model, value):
        try:
            pk = model._meta.pk.to_python(value)
        except ValidationError:
            return None
        return self.found[model._meta.concrete_model].get(pk)


def _show(model_field, value, lookups: _Lookups, clock) -> Shown | None:
    """One stored value as a reader sees it; None when there is none."""
    if value in EMPTY:
        return None
    if _is_relation(model_field):
        related = lookups.get(model_field.related_model, value)
        if related is None:
            return Shown(
                _("a removed %(kind)s") % {"kind": model_field.related_model._meta.verbose_name}
            )
        return Shown(str(related), _url_of(related))
    if model_field.choices:
        return Shown(str(dict(model_field.flatchoices).get(value, value)))
    if isinstance(model_field, models.BooleanField):
        return Shown(_("Yes") if value else _("No"))
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else value
        if not isinstance(moment, dt.datetime):
            return Shown(str(value))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, dt.UTC)
        viewer = timezone.get_current_timezone()
        return Shown(moments.format_moment(moment, clock or viewer, viewer_zone=viewer))
    if isinstance(model_field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else value
        return Shown(moments.format_day(day) if isinstance(day, dt.date) else str(value))
    if model_field.name.endswith("time_zone"):
        return Shown(moments.zone_label(value))
    if isinstance(value, list):
        return Shown(", ".join(str(item) for item in value))
    if isinstance(value, dict):
        return Shown(", ".join(f"{name}: {item}" for name, item in value.items()))
    return Shown(str(value))


def _model_of(entry):
    return entry.content_type.model_class() if entry.content_type_id else None


def _values_of(entry) -> dict:
    """The record's columns as last known: after the change, or before a removal."""
    return {**(entry.before or {}), **(entry.after or {})}


def _wanted_by(entry, model, lookups: _Lookups):
    fields = _fields_of(model)
    key = _key(model)
    names = set()
    for name, _before, _after in entry.changes():
        model_field = fields.get(name)
        if model_field is not None and not is_hidden(model_field):
            names.add(name)
    names.update(NAMES.get(key, ("", {}))[1].values())
    if key in LINK_THROUGH:
        names.add(LINK_THROUGH[key])
    for name in names:
        model_field = fields.get(name)
        if model_field is None or not _is_relation(model_field):
            continue
        for value in {(entry.before or {}).get(name), (entry.after or {}).get(name)}:
            if value is not None:
                lookups.want(model_field.related_model, value)
    if key not in LINK_THROUGH and key not in NAMES:
        lookups.want(model, entry.object_id)


def _record_of(entry, model, lookups: _Lookups, clock) -> Shown:
    key = _key(model)
    values = _values_of(entry)
    fields = _fields_of(model)
    # The record's name now (as the pages call it), else as it was when last written.
    live = None if key in LINK_THROUGH else lookups.get(model, entry.object_id)
    name = str(live) if live is not None else entry.object_repr
    if key in NAMES:
        template, params = NAMES[key]
        shown = {}
        for param, column in params.items():
            model_field = fields.get(column)
            value = values.get(column)
            text = _show(model_field, value, lookups, clock) if model_field else None
            shown[param] = str(text) if text is not None else "—"
        name = str(template) % shown
    url = ""
    if key in LINK_THROUGH:
        model_field = fields.get(LINK_THROUGH[key])
        if model_field is not None:
            url = _url_of(lookups.get(model_field.related_model, values.get(model_field.attname)))
    else:
        url = _url_of(live)
    return Shown(name, url)


def _changes_of(entry, model, lookups: _Lookups, clock) -> list[Change]:
    fields = _fields_of(model)
    order = {name: index for index, name in enumerate(fields)}
    rows = []
    # In the model's own field order (a stored snapshot may keep its keys in any order).
    changes = sorted(entry.changes(), key=lambda change: order.get(change[0], len(order)))
    for name, before, after in changes:
        model_field = fields.get(name)
        if model_field is None or is_hidden(model_field):
            continue
        shown_before = _show(model_field, before, lookups, clock)
        shown_after = _show(model_field, after, lookups, clock)
        if shown_before == shown_after:  # both none, or the same to a reader
            continue
        rows.append(Change(field_label(model_field), shown_before, shown_after))
    return rows


def readable_entries(entries, *, known=()) -> list[ReadableEntry]:
    """Audit entries (actor and content type loaded with them) as the trail shows them.
    `known` records, and what was loaded with them, are not read again."""
    entries = list(entries)
    lookups = _Lookups(known)
    for entry in entries:
        model = _model_of(entry)
        if model is not None:
            _wanted_by(entry, model, lookups)
    lookups.fetch()
    readable = []
    for entry in entries:
        model = _model_of(entry)
        actor = str(entry.actor) if entry.actor_id and entry.actor else _("the system")
        if model is None:
            # A kind of record the tracker no longer has: its name, and no field to read.
            readable.append(
                ReadableEntry(
                    entry, capfirst(entry.content_type.name), Shown(entry.object_repr), actor
                )
            )
            continue
        clock_column = OWN_CLOCK.get(_key(model))
        clock = moments.zone_of(_values_of(entry).get(clock_column)) if clock_column else None
        readable.append(
            ReadableEntry(
                entry=entry,
                kind=capfirst(model._meta.verbose_name),
                record=_record_of(entry, model, lookups, clock),
                actor=actor,
                changes=_changes_of(entry, model, lookups, clock),
            )
        )
    return readable
