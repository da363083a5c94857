"""The forms of a meeting's outcome screen: one row per chapter, point and commitment."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from negotiations.forms.common import DATE_INPUT
from negotiations.models import Party
from workinggroups.choices import ChapterStatus
from workinggroups.forms import (
    NOTE_MAX_LENGTH,
    STALE_CHOICE,
    TEXT_MAX_LENGTH,
    PartyPositionsMixin,
    offer_loaded,
    people_of,
)
from workinggroups.models import Chapter, ContestedPoint


class OutcomeNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note for every status change"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Used for each status change below whose own note is left empty."),
    )


class ChapterOutcomeForm(forms.Form):
    """One chapter's row: its new status (or unchanged) and a note."""

    chapter = forms.ModelChoiceField(
        queryset=Chapter.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to_status = forms.ChoiceField(
        label=_("New status"),
        required=False,
        choices=[("", _("— unchanged —")), *ChapterStatus.choices],
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 1}),
    )

    def __init__(self, *args, chapters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chapter"].queryset = chapters
        self.chapters_by_id = {str(chapter.pk): chapter for chapter in chapters}

    @property
    def chapter_object(self):
        return self.chapters_by_id.get(str(self["chapter"].value()))

    def is_change(self):
        return bool(self.cleaned_data.get("to_status"))


class NewPointForm(PartyPositionsMixin, forms.Form):
    """A contested point opened at the meeting, with each party's position."""

    chapter = forms.ModelChoiceField(
        label=_("Chapter"),
        queryset=Chapter.objects.none(),
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    title = forms.CharField(label=_("Point"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, chapters, parties, opened_on, chapter_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chapter"].queryset = chapters
        if chapter_rows is not None:
            offer_loaded(self.fields["chapter"], chapter_rows)
        self.opened_on = opened_on
        self.add_position_fields(parties, label_of=lambda party: party.code, rows=1)

    def clean(self):
        data = super().clean()
        target = data.get("target_date")
        if target and target < self.opened_on:
            self.add_error(
                "target_date",
                _("The target date is before the meeting (%(date)s).")
                % {"date": self.opened_on.isoformat()},
            )
        return data


class ResolutionForm(forms.Form):
    """An unresolved point's row: tick to resolve it at this meeting."""

    point = forms.ModelChoiceField(
        queryset=ContestedPoint.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    resolve = forms.BooleanField(label=_("Resolved"), required=False)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 1}),
    )

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.points_by_id = {str(point.pk): point for point in points}

    @property
    def point_object(self):
        return self.points_by_id.get(str(self["point"].value()))


class CommitmentForm(forms.Form):
    """A commitment made at the meeting; leave the party empty for a joint one."""

    party = forms.ModelChoiceField(
        label=_("Party"),
        queryset=Party.objects.none(),
        required=False,
        empty_label=_("Both (all) parties"),
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    text = forms.CharField(
        label=_("Commitment"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 1})
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, agreement_id, not_before=None, parties=None, people=None, **kwargs):
        """`parties` and `people`, when given, are the choices already loaded for the page."""
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(delegations__agreement_id=agreement_id)
        self.fields["owner"].queryset = people_of(agreement_id)
        if parties is not None:
            offer_loaded(self.fields["party"], parties)
        if people is not None:
            offer_loaded(self.fields["owner"], people)
        self.not_before = not_before

    def clean(self):
        data = super().clean()
        due = data.get("due_on")
        if due and self.not_before and due < self.not_before:
            self.add_error(
                "due_on",
                _("The due date is before the meeting (%(date)s).")
                % {"date": self.not_before.isoformat()},
            )
        return data


class BaseKwargsFormSet(forms.BaseFormSet):
    """A formset whose forms all get the same extra keyword arguments."""

    def __init__(self, *args, form_kwargs=None, **kwargs):
        super().__init__(*args, form_kwargs=form_kwargs or {}, **kwargs)


ChapterOutcomeFormSet = forms.formset_factory(
    ChapterOutcomeForm, formset=BaseKwargsFormSet, extra=0, max_num=500
)
ResolutionFormSet = forms.formset_factory(
    ResolutionForm, formset=BaseKwargsFormSet, extra=0, max_num=500
)
NewPointFormSet = forms.formset_factory(
    NewPointForm, formset=BaseKwargsFormSet, extra=2, max_num=100
)
CommitmentFormSet = forms.formset_factory(
    CommitmentForm, formset=BaseKwargsFormSet, extra=2, max_num=100
)
