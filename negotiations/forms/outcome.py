"""The forms of a meeting's outcome screen: one row per chapter, point and commitment."""

import re
from collections import Counter

from django import forms
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models.functions import Collate
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from negotiations.forms.common import (
    DATE_INPUT,
    NOTE_MAX_LENGTH,
    STALE_CHOICE,
    TEXT_MAX_LENGTH,
    VersionField,
    offer_loaded,
    people_of,
)
from negotiations.models import Party
from workinggroups.choices import ChapterStatus
from workinggroups.models import Chapter, ContestedPoint

# The names of parties sort as a reader of the page's language expects (Chinese by pinyin).
ICU_COLLATIONS = {"en": "en-x-icu", "km": "km-x-icu", "zh-hans": "zh-Hans-x-icu"}
# Posted by the "add another position" button (without JavaScript): the prefix of its point.
ADD_POSITION = "add_position"


def parties_by_name(agreement_id) -> list[Party]:
    """The parties at the agreement's table, by name in the order of the page's language."""
    parties = Party.objects.filter(delegations__agreement_id=agreement_id)
    if connections[parties.db].vendor == "postgresql":
        collation = ICU_COLLATIONS.get(get_language(), "und-x-icu")
        return list(parties.order_by(Collate("name", collation), "code"))
    return sorted(parties, key=lambda party: (party.name.casefold(), party.code))


def party_choices(parties) -> list[tuple[int, str]]:
    """Each party by its name; by name and code where two names read alike."""
    names = Counter(party.name.casefold() for party in parties)
    return [
        (
            party.pk,
            party.name if names[party.name.casefold()] == 1 else f"{party.name} ({party.code})",
        )
        for party in parties
    ]


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
    version = VersionField()
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


class NewPointForm(forms.Form):
    """A contested point opened at the meeting, with the positions parties stated on it.

    Positions come on demand, one row each (`party_<n>` and `position_<n>`): a point opens with
    one row, whatever the number of parties at the table, and one more is added when asked for
    (`add_position` posted with this form's prefix, or a row fetched in place), up to one per
    party.
    """

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

    def __init__(
        self, *args, chapters, parties, opened_on, chapter_rows=None, positions=1, **kwargs
    ):
        """`parties` in the order they are offered; `positions` is the number of position rows
        of an empty form (a filled-in one has as many as were sent)."""
        super().__init__(*args, **kwargs)
        self.fields["chapter"].queryset = chapters
        if chapter_rows is not None:
            offer_loaded(self.fields["chapter"], chapter_rows)
        self.opened_on = opened_on
        self.parties = list(parties)
        choices = [("", _("— choose a party —")), *party_choices(self.parties)]
        at_the_table = Party.objects.filter(pk__in=[party.pk for party in self.parties])
        self.position_added = False
        self.position_count = self._position_count(positions)
        for index in range(self.position_count):
            party = forms.ModelChoiceField(
                label=_("Party"),
                queryset=at_the_table,
                required=False,
                error_messages={"invalid_choice": STALE_CHOICE},
            )
            party.choices = choices  # already loaded: no query per row
            self.fields[f"party_{index}"] = party
            self.fields[f"position_{index}"] = forms.CharField(
                label=_("Position"),
                required=False,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if self.position_added:
            self.focus_last_position()

    @property
    def number(self):
        """This point's number on the screen, counting from 1."""
        return int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix else 1

    @property
    def index(self):
        return self.number - 1

    def focus_last_position(self):
        """Put the cursor in the position row just added."""
        if self.position_count:
            field = self.fields[f"party_{self.position_count - 1}"]
            field.widget.attrs["autofocus"] = True

    def _position_count(self, unbound):
        """How many position rows: those sent (plus one when asked for), at most one per party."""
        if not self.parties:
            return 0
        if not self.is_bound:
            count = unbound
        else:
            sent = [
                int(match[1])
                for key in self.data
                if (match := re.fullmatch(self._position_key, key))
            ]
            count = max(sent, default=0) + 1
            if self.prefix and self.data.get(ADD_POSITION) == self.prefix:
                count += 1
                self.position_added = True
        return max(1, min(count, len(self.parties)))

    @property
    def _position_key(self):
        return re.escape(self.add_prefix("")) + r"(?:party|position)_(\d{1,3})"

    def position_rows(self):
        """Each position row: its number, its party select and its text."""
        return [
            (index, self[f"party_{index}"], self[f"position_{index}"])
            for index in range(self.position_count)
        ]

    def can_add_position(self):
        return self.position_count < len(self.parties)

    def positions(self):
        """The positions given, party -> text."""
        given = {}
        for index in range(self.position_count):
            party = self.cleaned_data.get(f"party_{index}")
            text = self.cleaned_data.get(f"position_{index}", "").strip()
            if party is not None and text:
                given[party] = text
        return given

    def clean(self):
        data = super().clean()
        target = data.get("target_date")
        if target and target < self.opened_on:
            self.add_error(
                "target_date",
                _("The target date is before the meeting (%(date)s).")
                % {"date": self.opened_on.isoformat()},
            )
        seen = set()
        for index in range(self.position_count):
            party_field, text_field = f"party_{index}", f"position_{index}"
            if party_field in self.errors:
                continue
            party, text = data.get(party_field), data.get(text_field, "").strip()
            if party is None and text:
                self.add_error(party_field, _("Choose the party whose position this is."))
            elif party is not None and not text:
                self.add_error(
                    text_field,
                    _("Write the position of %(party)s, or choose no party.")
                    % {"party": party.name},
                )
            elif party is not None and party.pk in seen:
                self.add_error(
                    party_field,
                    _("%(party)s already has a position on this point: one per party.")
                    % {"party": party.name},
                )
            if party is not None:
                seen.add(party.pk)
        return data


class ResolutionForm(forms.Form):
    """An unresolved point's row: tick to resolve it at this meeting."""

    point = forms.ModelChoiceField(
        queryset=ContestedPoint.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    version = VersionField()
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
# One empty row each to start with: more are added on demand.
NewPointFormSet = forms.formset_factory(
    NewPointForm, formset=BaseKwargsFormSet, extra=1, max_num=100
)
CommitmentFormSet = forms.formset_factory(
    CommitmentForm, formset=BaseKwargsFormSet, extra=1, max_num=100
)
