"""The negotiations app's forms. They check what was typed; the services decide and save."""

from negotiations.forms.commitments import (
    CommitmentCreateForm,
    CommitmentEditForm,
    CommitmentFieldsForm,
    DeliverForm,
)
from negotiations.forms.common import (
    DATE_INPUT,
    TIME_INPUT,
    chapter_label,
    date_span,
    group_label,
    meeting_label,
    round_label,
    show_refusal,
)
from negotiations.forms.outcome import (
    BaseKwargsFormSet,
    ChapterOutcomeForm,
    ChapterOutcomeFormSet,
    CommitmentForm,
    CommitmentFormSet,
    NewPointForm,
    NewPointFormSet,
    OutcomeNoteForm,
    ResolutionForm,
    ResolutionFormSet,
)
from negotiations.forms.schedule import DeadlineForm, MeetingForm, RoundForm

__all__ = [
    "DATE_INPUT",
    "TIME_INPUT",
    "BaseKwargsFormSet",
    "ChapterOutcomeForm",
    "ChapterOutcomeFormSet",
    "CommitmentCreateForm",
    "CommitmentEditForm",
    "CommitmentFieldsForm",
    "CommitmentForm",
    "CommitmentFormSet",
    "DeadlineForm",
    "DeliverForm",
    "MeetingForm",
    "NewPointForm",
    "NewPointFormSet",
    "OutcomeNoteForm",
    "ResolutionForm",
    "ResolutionFormSet",
    "RoundForm",
    "chapter_label",
    "date_span",
    "group_label",
    "meeting_label",
    "round_label",
    "show_refusal",
]
