"""Forms for the negotiation's calendar: rounds, meetings and deadlines. They check what was
typed, and say so on the field concerned; the services decide and save."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimeZoneField
from negotiations.choices import MeetingKind, RoundMode
from negotiations.forms.common import (
    DATE_INPUT,
    STALE_CHOICE,
    TEXT_MAX_LENGTH,
    TIME_INPUT,
    group_label,
    groups_of,
    meeting_label,
    meetings_of,
    parties_of,
    refused_choice,
    round_label,
    rounds_of,
)
from negotiations.services import in_zone, not_on_the_clock, zone_for
from negotiations.services.schedule import ROUND_FIELDS

TITLE_MAX_LENGTH = 200


# --- Edits refused when the record changed meanwhile --------------------------------------------


def seen_field():
    """The fingerprint of the record as the form showed it, so that a save based on an older
    state is refused instead of overwriting someone else's change."""
    return forms.CharField(required=False, widget=forms.HiddenInput)


def watch(form, fingerprint: str) -> None:
    """Make an edit form carry what it showed: the record's fingerprint, and each field's
    starting value (so that after a conflict the fields left alone take the saved values)."""
    form.fields["seen"].initial = fingerprint
    for name, field in form.fields.items():
        if name != "seen":
            field.show_hidden_initial = True


def _raw(value):
    """A value as a form posts it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _choice_label(choices, value) -> str:
    for key, label in choices:
        if isinstance(label, list | tuple):
            found = _choice_label(label, value)
            if found is not None:
                return found
        elif str(key) == str(value):
            return str(label)
    return None


def _shown(field, value) -> str:
    """A saved value as the person reads it."""
    if value in (None, "", [], ()):
        return "—"
    if isinstance(field, forms.ModelMultipleChoiceField):
        pks = [getattr(item, "pk", item) for item in value]
        return ", ".join(field.label_from_instance(o) for o in field.queryset.filter(pk__in=pks))
    if isinstance(field, forms.ModelChoiceField):
        chosen = value if hasattr(value, "pk") else field.queryset.filter(pk=value).first()
        return field.label_from_instance(chosen) if chosen is not None else "—"
    if isinstance(field, forms.BooleanField):
        return gettext("yes") if value else gettext("no")
    if isinstance(field, forms.ChoiceField):
        return _choice_label(field.choices, value) or str(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def refuse_stale(form, *, saved: dict, fingerprint: str) -> None:
    """Refuse a save because the record changed meanwhile: say which saved values differ from
    what was typed, keep this person's changes laid over the saved values (the fields they
    left alone take the saved ones) and start from the saved state, so that saving again
    applies theirs on top. `saved` holds the record's values as the form's initial would."""
    changed = set(form.changed_data)
    data = form.data.copy()
    differ = []
    for name, field in form.fields.items():
        if name == "seen" or name not in saved:
            continue
        bound, value = form[name], saved[name]
        if field.has_changed(value, bound.data):
            differ.append(
                gettext("%(field)s: %(value)s")
                % {"field": field.label, "value": _shown(field, value)}
            )
        if isinstance(value, list | tuple):
            raw = [_raw(item) for item in value]
            if name not in changed:
                data.setlist(bound.html_name, raw)
            data.setlist(bound.html_initial_name, raw)
            continue
        if name not in changed:
            data[bound.html_name] = _raw(value)
        data[bound.html_initial_name] = _raw(value)
    data[form.add_prefix("seen")] = fingerprint
    form.data = data
    form.add_error(
        None,
        gettext(
            "Not saved: someone changed this meanwhile. Saved now: %(saved)s. Yours is kept "
            "below; save again to apply it on top."
        )
        % {"saved": "; ".join(differ) or gettext("the same as yours")},
    )


class RoundForm(forms.Form):
    """A round of talks: its number, days, mode, host and place."""

    number = forms.IntegerField(
        label=_("Number"),
        min_value=1,
        max_value=32767,
        required=False,
        help_text=_("Left empty: the number after the last round."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_INPUT)
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=RoundMode.choices,
        initial=RoundMode.IN_PERSON,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    host_party = forms.ModelChoiceField(
        label=_("Host"),
        queryset=None,
        required=False,
        empty_label=_("— no host —"),
        help_text=_("Needed when the round is held in person."),
        error_messages=refused_choice("party"),
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    dates_assumed = forms.BooleanField(
        label=_("Days assumed"),
        required=False,
        help_text=_("Tick when the record gives only the month: the days are shown as assumed."),
    )
    seen = seen_field()

    def __init__(self, *args, agreement, negotiation_round=None, **kwargs):
        self.agreement = agreement
        self.negotiation_round = negotiation_round
        if negotiation_round is not None:
            kwargs.setdefault("initial", {}).update(self.initial_of(negotiation_round))
        super().__init__(*args, **kwargs)
        self.fields["host_party"].queryset = parties_of(agreement.pk)
        if negotiation_round is not None:
            self.fields["number"].required = True
            self.fields["number"].help_text = ""

    @staticmethod
    def initial_of(negotiation_round) -> dict:
        """The round's saved values, as the form starts from them."""
        return {
            "number": negotiation_round.number,
            "starts_on": negotiation_round.starts_on,
            "ends_on": negotiation_round.ends_on,
            "mode": negotiation_round.mode,
            "host_party": negotiation_round.host_party_id,
            "location": negotiation_round.location,
            "summary": negotiation_round.summary,
            "dates_assumed": negotiation_round.dates_assumed,
        }

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("A round ends on or after the day it starts."))
        # "host_party" is absent when its choice was refused: that error says enough.
        in_person = data.get("mode") == RoundMode.IN_PERSON
        if in_person and "host_party" in data and data["host_party"] is None:
            self.add_error("host_party", _("A round held in person needs a host."))
        number = data.get("number")
        if number:
            taken = self.agreement.rounds.filter(number=number)
            if self.negotiation_round is not None:
                taken = taken.exclude(pk=self.negotiation_round.pk)
            if taken.exists():
                self.add_error(
                    "number",
                    _("This agreement already has a round %(number)s.") % {"number": number},
                )
        return data

    def service_fields(self) -> dict:
        """The round as the services take it."""
        return {name: self.cleaned_data[name] for name in ROUND_FIELDS}


class MeetingForm(forms.Form):
    """A meeting of the agreement. Its times are typed as the meeting's own clock shows them
    (its zone, or its host's capital), whoever types them and wherever they are."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=MeetingKind.choices,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    negotiation_round = forms.ModelChoiceField(
        label=_("Round"),
        queryset=None,
        required=False,
        empty_label=_("— not part of a round —"),
        error_messages=refused_choice("round"),
    )
    host_party = forms.ModelChoiceField(
        label=_("Host"),
        queryset=None,
        required=False,
        empty_label=_("— no host —"),
        error_messages=refused_choice("party"),
    )
    time_zone = TimeZoneField(
        label=_("Time zone"),
        include_blank=_("The host's capital"),
        required=False,
        help_text=_(
            "The times below are read in this zone, whoever types them. Left empty: the host's "
            "capital (or the round host's), else UTC."
        ),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    start_time = forms.TimeField(label=_("Start time"), widget=TIME_INPUT)
    end_date = forms.DateField(
        label=_("End date"),
        widget=DATE_INPUT,
        help_text=_("A meeting may last several days."),
    )
    end_time = forms.TimeField(label=_("End time"), widget=TIME_INPUT)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    video_link = forms.URLField(label=_("Video link"), max_length=200, required=False)
    working_groups = forms.ModelMultipleChoiceField(
        label=_("Working groups"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=refused_choice("group"),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    seen = seen_field()

    # Refusals the services name by model field, shown on the form field that stands for it.
    ALIASES = {"starts_at": "start_time", "ends_at": "end_time"}

    def __init__(self, *args, agreement, meeting=None, **kwargs):
        self.agreement = agreement
        self.meeting = meeting
        if meeting is not None:
            kwargs.setdefault("initial", {}).update(self.initial_of(meeting))
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["negotiation_round"].queryset = rounds_of(agreement.pk)
        fields["negotiation_round"].label_from_instance = round_label
        fields["host_party"].queryset = parties_of(agreement.pk)
        fields["working_groups"].queryset = groups_of(agreement.pk)
        fields["working_groups"].label_from_instance = group_label
        if meeting is not None and meeting.is_cancelled:
            # A cancellation made by mistake is undone here, not in the administration site.
            fields["is_cancelled"] = forms.BooleanField(
                label=_("Cancelled"),
                required=False,
                initial=True,
                help_text=_("Untick to hold the meeting after all."),
            )

    @staticmethod
    def initial_of(meeting) -> dict:
        """The meeting's saved values, as the form starts from them."""
        # Shown back as the meeting's own clock reads them, not the editor's.
        starts = timezone.localtime(meeting.starts_at, meeting.tzinfo)
        ends = timezone.localtime(meeting.ends_at, meeting.tzinfo)
        return {
            "kind": meeting.kind,
            "title": meeting.title,
            "negotiation_round": meeting.negotiation_round_id,
            "host_party": meeting.host_party_id,
            "time_zone": meeting.time_zone,
            "start_date": starts.date(),
            "start_time": starts.time().replace(tzinfo=None),
            "end_date": ends.date(),
            "end_time": ends.time().replace(tzinfo=None),
            "location": meeting.location,
            "video_link": meeting.video_link,
            "working_groups": [group.pk for group in meeting.working_groups.all()],
            "summary": meeting.summary,
        }

    def clean(self):
        data = super().clean()
        zone = zone_for(
            time_zone=data.get("time_zone"),
            host_party=data.get("host_party"),
            negotiation_round=data.get("negotiation_round"),
        )
        data["zone"] = zone
        parts = [data.get(name) for name in ("start_date", "start_time", "end_date", "end_time")]
        if None in parts:
            return data
        start_date, start_time, end_date, end_time = parts
        skipped = {
            field: not_on_the_clock(day, time, zone)
            for field, day, time in [
                ("start_time", start_date, start_time),
                ("end_time", end_date, end_time),
            ]
        }
        for field, reason in skipped.items():
            if reason:
                self.add_error(field, reason)
        if any(skipped.values()):
            return data
        data["starts_at"] = in_zone(start_date, start_time, zone)
        data["ends_at"] = in_zone(end_date, end_time, zone)
        if data["ends_at"] <= data["starts_at"]:
            self.add_error(
                "end_date" if end_date < start_date else "end_time",
                _("The meeting must end after it starts (%(start)s %(time)s, %(zone)s).")
                % {
                    "start": start_date.isoformat(),
                    "time": start_time.strftime("%H:%M"),
                    "zone": zone,
                },
            )
        return data

    def service_fields(self) -> dict:
        """The meeting as the services take it: moments built in the meeting's zone."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "kind",
                "title",
                "negotiation_round",
                "host_party",
                "starts_at",
                "ends_at",
                "location",
                "video_link",
                "summary",
            )
        }
        fields["time_zone"] = data["zone"]
        if "is_cancelled" in data:
            fields["is_cancelled"] = data["is_cancelled"]
        return fields


class DeadlineForm(forms.Form):
    """A deadline of a working group, or of the chief negotiators."""

    working_group = forms.ModelChoiceField(
        label=_("Working group"),
        queryset=None,
        required=False,
        empty_label=_("None: a deadline of the chief negotiators"),
        error_messages=refused_choice("group"),
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)
    set_at = forms.ModelChoiceField(
        label=_("Set at meeting"),
        queryset=None,
        required=False,
        empty_label=_("— none —"),
        error_messages=refused_choice("meeting"),
    )
    done = forms.BooleanField(label=_("Done"), required=False)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE_INPUT)
    seen = seen_field()

    def __init__(self, *args, agreement, deadline=None, **kwargs):
        if deadline is not None:
            kwargs.setdefault("initial", {}).update(self.initial_of(deadline))
        super().__init__(*args, **kwargs)
        self.fields["working_group"].queryset = groups_of(agreement.pk)
        self.fields["working_group"].label_from_instance = group_label
        self.fields["set_at"].queryset = meetings_of(agreement.pk)
        self.fields["set_at"].label_from_instance = meeting_label

    @staticmethod
    def initial_of(deadline) -> dict:
        """The deadline's saved values, as the form starts from them."""
        return {
            "working_group": deadline.working_group_id,
            "title": deadline.title,
            "due_on": deadline.due_on,
            "set_at": deadline.set_at_id,
            "done": deadline.done,
            "done_on": deadline.done_on,
        }

    def clean(self):
        data = super().clean()
        if data.get("done_on") and not data.get("done"):
            self.add_error(
                "done_on", _("Tick “Done” as well, or leave this empty: the deadline is not done.")
            )
        return data

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("working_group", "title", "due_on", "set_at", "done", "done_on")
        }
