"""Forms for chapters and contested points. They validate what was typed; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from negotiations.forms.common import (
    NOTE_MAX_LENGTH,
    STALE_CHOICE,
    TEXT_MAX_LENGTH,
    VersionField,
    meeting_label,
    people_of,
)
from negotiations.models import Meeting, NegotiationRound, Party
from workinggroups.choices import ChapterStatus


class AgreementContextMixin:
    """Rounds and meetings limited to one agreement; another agreement's are refused clearly."""

    def limit_to_agreement(self, agreement_id):
        if "negotiation_round" in self.fields:
            field = self.fields["negotiation_round"]
            field.queryset = NegotiationRound.objects.filter(agreement_id=agreement_id)
            field.label_from_instance = lambda r: _("Round %(number)s") % {"number": r.number}
        if "meeting" in self.fields:
            field = self.fields["meeting"]
            field.queryset = Meeting.objects.filter(agreement_id=agreement_id).order_by(
                "-starts_at"
            )
            field.label_from_instance = meeting_label


class ChapterStatusForm(AgreementContextMixin, forms.Form):
    """Move one chapter to a new status, at a round or meeting, with a note."""

    to_status = forms.ChoiceField(
        label=_("New status"),
        choices=ChapterStatus.choices,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    negotiation_round = forms.ModelChoiceField(
        label=_("Round"),
        queryset=NegotiationRound.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("Choose a round of this agreement; that one is not (or gone).")
        },
    )
    meeting = forms.ModelChoiceField(
        label=_("Meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _(
                "Choose a meeting of this agreement; that one belongs to another or is gone."
            )
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was agreed, or why the chapter moved. Needed when moving backwards."),
    )
    version = VersionField()

    def __init__(self, *args, chapter, **kwargs):
        kwargs.setdefault("initial", {}).update({"version": chapter.version})
        super().__init__(*args, **kwargs)
        self.chapter = chapter
        self.limit_to_agreement(chapter.working_group.agreement_id)
        self.fields["to_status"].choices = [
            (value, label) for value, label in ChapterStatus.choices if value != chapter.status
        ]
        self.fields["to_status"].widget.attrs["id"] = f"id_to_status_{chapter.pk}"


class PartyPositionsMixin:
    """One position field per party at the table (`position_<party pk>`)."""

    def add_position_fields(self, parties, *, label_of=lambda party: party.name, rows=2):
        self.parties = list(parties)
        for party in self.parties:
            self.fields[f"position_{party.pk}"] = forms.CharField(
                label=_("Position of %(party)s") % {"party": label_of(party)},
                required=False,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": rows}),
            )

    def positions(self):
        return {party: self.cleaned_data.get(f"position_{party.pk}", "") for party in self.parties}

    def position_fields(self):
        return [self[f"position_{party.pk}"] for party in self.parties]

    def position_rows(self):
        """Each party at the table with its position field, for a form laid out by party."""
        return [(party, self[f"position_{party.pk}"]) for party in self.parties]

    def fields_but_positions(self):
        """The form's visible fields other than the positions."""
        return [field for field in self.visible_fields() if not field.name.startswith("position_")]


class ContestedPointForm(AgreementContextMixin, PartyPositionsMixin, forms.Form):
    """Open or edit a contested point, with one position field per party at the table."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    target_date = forms.DateField(
        label=_("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    meeting = forms.ModelChoiceField(
        label=_("Raised at"),
        queryset=Meeting.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _(
                "Choose a meeting of this agreement; that one belongs to another or is gone."
            )
        },
    )
    version = VersionField(required=False)

    def __init__(self, *args, agreement_id, point=None, opened_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement_id = agreement_id
        self.point = point
        self.opened_on = point.opened_on if point is not None else opened_on
        self.limit_to_agreement(agreement_id)
        self.fields["owner"].queryset = people_of(agreement_id)
        self.add_position_fields(Party.objects.filter(delegations__agreement_id=agreement_id))
        if point is not None:
            del self.fields["meeting"]
            self.fields["version"].required = True
            # The values the person started from travel with the form, so that after a
            # conflict the fields they did not touch can take the saved version's values.
            for name in self.editable_fields():
                self.fields[name].show_hidden_initial = True
            positions = {p.party_id: p.text for p in point.positions.all()}
            self.initial.update(
                {
                    "title": point.title,
                    "description": point.description,
                    "owner": point.owner_id,
                    "target_date": point.target_date,
                    "version": point.version,
                    **{f"position_{pk}": text for pk, text in positions.items()},
                }
            )

    def clean(self):
        data = super().clean()
        target, opened = data.get("target_date"), self.opened_on
        if target and opened and target < opened:
            self.add_error(
                "target_date",
                _("The target date is before the point was opened (%(date)s).")
                % {"date": opened.isoformat()},
            )
        return data

    def editable_fields(self):
        return [name for name in self.fields if name not in ("version", "meeting")]

    def merged_onto(self, current):
        """The data to show again after `current` was saved meanwhile: what this person
        changed, on top of the saved version, with the saved version as the new start."""
        saved = ContestedPointForm(agreement_id=self.agreement_id, point=current)
        data = self.data.copy()
        changed = set(self.changed_data)
        for name in self.editable_fields():
            saved_value = saved[name].value()
            saved_value = "" if saved_value is None else str(saved_value)
            if name not in changed:
                data[name] = saved_value
            data[saved[name].html_initial_name] = saved_value
        data["version"] = current.version
        return data


class ResolveContestedPointForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    resolved_on = forms.DateField(
        label=_("Resolved on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    version = VersionField()

    def __init__(self, *args, point, **kwargs):
        kwargs.setdefault("initial", {}).update(
            {"version": point.version, "resolved_on": timezone.localdate()}
        )
        super().__init__(*args, **kwargs)
        self.point = point

    def clean_resolved_on(self):
        resolved_on = self.cleaned_data["resolved_on"]
        if resolved_on < self.point.opened_on:
            raise forms.ValidationError(
                _("A point cannot be resolved before it was opened (%(date)s).")
                % {"date": self.point.opened_on.isoformat()}
            )
        return resolved_on


class EscalateContestedPointForm(forms.Form):
    note = forms.CharField(
        label=_("Why the chief negotiators should settle it"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = VersionField()

    def __init__(self, *args, point, **kwargs):
        kwargs.setdefault("initial", {}).update({"version": point.version})
        super().__init__(*args, **kwargs)
