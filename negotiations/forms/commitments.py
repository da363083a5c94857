"""Forms of a commitment's page: record one outside a meeting's outcome, edit it (refused if
someone saved it meanwhile), mark it delivered."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from negotiations.choices import CommitmentStatus
from negotiations.forms.common import (
    STALE_CHOICE,
    VersionField,
    chapter_label,
    chapters_of,
    meeting_label,
    meetings_of,
    refused_choice,
)
from negotiations.forms.outcome import CommitmentForm


class CommitmentFieldsForm(CommitmentForm):
    """What one side (or all) undertook: text, party, owner, chapter and due date."""

    chapter = forms.ModelChoiceField(
        label=_("Chapter"),
        queryset=None,
        required=False,
        empty_label=_("— no chapter —"),
        error_messages=refused_choice("chapter"),
    )

    field_order = ["meeting", "text", "party", "owner", "chapter", "due_on", "status"]

    def __init__(self, *args, agreement_id, **kwargs):
        super().__init__(*args, agreement_id=agreement_id, **kwargs)
        self.agreement_id = agreement_id
        self.fields["text"].widget.attrs["rows"] = 3
        self.fields["party"].empty_label = _("All parties")
        self.fields["owner"].empty_label = _("— no owner yet —")
        self.fields["chapter"].queryset = chapters_of(agreement_id)
        self.fields["chapter"].label_from_instance = chapter_label


class CommitmentCreateForm(CommitmentFieldsForm):
    """A commitment recorded outside a meeting's outcome screen (a leaders' statement, say)."""

    meeting = forms.ModelChoiceField(
        label=_("Made at"),
        queryset=None,
        error_messages=refused_choice("meeting"),
    )

    def __init__(self, *args, agreement_id, **kwargs):
        super().__init__(*args, agreement_id=agreement_id, **kwargs)
        self.fields["meeting"].queryset = meetings_of(agreement_id)
        self.fields["meeting"].label_from_instance = meeting_label

    def clean(self):
        meeting = self.cleaned_data.get("meeting")
        if meeting is not None:
            self.not_before = timezone.localtime(meeting.starts_at, meeting.tzinfo).date()
        return super().clean()

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("meeting", "text", "party", "owner", "chapter", "due_on")
        }


class CommitmentEditForm(CommitmentFieldsForm):
    """Change a commitment as a whole, from the version the person saw (hidden)."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=CommitmentStatus.choices,
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    version = VersionField()

    EDITABLE = ("text", "party", "owner", "chapter", "due_on", "status")

    def __init__(self, *args, commitment, **kwargs):
        kwargs["initial"] = {
            "text": commitment.text,
            "party": commitment.party_id,
            "owner": commitment.owner_id,
            "chapter": commitment.chapter_id,
            "due_on": commitment.due_on,
            "status": commitment.status,
            "version": commitment.version,
        }
        super().__init__(*args, agreement_id=commitment.meeting.agreement_id, **kwargs)
        self.commitment = commitment
        # The values the person started from travel with the form, so that after a conflict
        # the fields they did not touch can take the saved version's values.
        for name in self.EDITABLE:
            self.fields[name].show_hidden_initial = True

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in self.EDITABLE},
            "expected_version": data["version"],
        }

    def merged_onto(self, current):
        """The data to show again after `current` was saved meanwhile: what this person
        changed, on top of the saved version, with the saved version as the new start."""
        saved = CommitmentEditForm(commitment=current)
        data = self.data.copy()
        changed = set(self.changed_data)
        for name in self.EDITABLE:
            saved_value = saved[name].value()
            saved_value = "" if saved_value is None else str(saved_value)
            if name not in changed:
                data[name] = saved_value
            data[saved[name].html_initial_name] = saved_value
        data["version"] = current.version
        return data


class DeliverForm(forms.Form):
    """Mark delivered: only the version the person saw travels with the click."""

    version = VersionField()
