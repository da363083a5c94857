"""Widgets, fields, labels, choices and messages the agreement's forms share, in every app.

Every choice of a round, meeting, party, working group or chapter is limited to ONE agreement
and labelled so that two agreements' look-alikes (three "Rules of Origin" groups) never get
confused.
"""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from negotiations.models import Meeting, NegotiationRound, Party
from workinggroups.models import Chapter, WorkingGroup

NOTE_MAX_LENGTH = 2000
TEXT_MAX_LENGTH = 4000

STALE_CHOICE = _lazy(
    "This choice is not (or no longer) available: the list may have changed since the page "
    "was loaded. Choose again."
)

# A version field that arrives missing, unreadable or altered: nothing can be checked against
# what is saved, so nothing is saved, and the person is told so rather than shown a bare error.
VERSION_UNREADABLE = _lazy(
    "Not saved: this form arrived without the version of the record it was based on (or with one "
    "that cannot be read). Reload the page to see what is saved now, then make your change again."
)


class VersionField(forms.IntegerField):
    """The version of the record the page showed, sent back to refuse a stale edit."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        messages = dict.fromkeys(("required", "invalid", "min_value"), VERSION_UNREADABLE)
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


# A browser's date and time pickers read and write ISO values only, whatever the language:
# the localised default formats ("2020/04/08" in Chinese) would leave them empty.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def date_span(start: dt.date, end: dt.date) -> str:
    """Two days as people write them: "8–9 Apr 2020", "30 Apr – 2 May 2020"."""
    if start == end:
        return date_format(start, "j M Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{date_format(start, 'j')}–{date_format(end, 'j M Y')}"
    if start.year == end.year:
        return f"{date_format(start, 'j M')} – {date_format(end, 'j M Y')}"
    return f"{date_format(start, 'j M Y')} – {date_format(end, 'j M Y')}"


def round_label(negotiation_round: NegotiationRound) -> str:
    """ "Round 2 (8–9 Apr 2020)", or "Round 2 (8–9 Apr 2020, days assumed)" where the record
    gives only the month."""
    if negotiation_round.dates_assumed:
        return _("Round %(number)s (%(dates)s, days assumed)") % {
            "number": negotiation_round.number,
            "dates": date_span(negotiation_round.starts_on, negotiation_round.ends_on),
        }
    return _("Round %(number)s (%(dates)s)") % {
        "number": negotiation_round.number,
        "dates": date_span(negotiation_round.starts_on, negotiation_round.ends_on),
    }


def group_label(group: WorkingGroup) -> str:
    """ "Rules of Origin (ROO)": the code tells apart groups of the same name."""
    return f"{group.name} ({group.code})"


def chapter_label(chapter: Chapter) -> str:
    """ "Rules of Origin (ROO)", with the code of the chapter's working group."""
    return f"{chapter.title} ({chapter.working_group.code})"


def meeting_label(meeting: Meeting) -> str:
    """ "Second round plenary (2020-04-08)", the day as the meeting's own clock showed it."""
    day = timezone.localtime(meeting.starts_at, meeting.tzinfo).date()
    return f"{meeting.title} ({day.isoformat()})"


def parties_of(agreement_id):
    return Party.objects.filter(delegations__agreement_id=agreement_id).order_by("name")


def rounds_of(agreement_id):
    return NegotiationRound.objects.filter(agreement_id=agreement_id).order_by("number")


def groups_of(agreement_id):
    return WorkingGroup.objects.filter(agreement_id=agreement_id).order_by("order", "name")


def meetings_of(agreement_id):
    return Meeting.objects.filter(agreement_id=agreement_id).order_by("-starts_at", "pk")


def chapters_of(agreement_id):
    return (
        Chapter.objects.filter(working_group__agreement_id=agreement_id)
        .select_related("working_group")
        .order_by("working_group__order", "working_group__name", "order", "title")
    )


# Shown when a posted choice is not one of this agreement's: another agreement's, or gone.
NOT_THIS_AGREEMENT = {
    "round": _lazy("Choose a round of this agreement; that one belongs to another or is gone."),
    "party": _lazy("Choose a party at this agreement's table; that one is not (or no longer)."),
    "group": _lazy(
        "Choose working groups of this agreement; one of those sent belongs to another or is gone."
    ),
    "meeting": _lazy("Choose a meeting of this agreement; that one belongs to another or is gone."),
    "chapter": _lazy("Choose a chapter of this agreement; that one belongs to another or is gone."),
}


def refused_choice(what: str) -> dict:
    """The error messages of a choice field limited to this agreement's `what`."""
    message = NOT_THIS_AGREEMENT[what]
    return {"invalid_choice": message, "invalid_pk_value": message}


def show_refusal(form, error: ValidationError, aliases: dict | None = None) -> None:
    """Show a service's refusal on the form: on the field it names (or the form field that
    stands for that model field), else above the form."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def people_of(agreement_id):
    """Who may own a point or commitment of an agreement: the active people with a role in it."""
    return (
        get_user_model()
        .objects.filter(is_active=True, roles__agreement_id=agreement_id)
        .order_by("last_name", "first_name", "username")
    )


def offer_loaded(field, objects):
    """Offer `objects`, already loaded, as a model choice field's choices, so that a form
    repeated down a page does not query them again for each row. What is posted is still
    checked against the field's queryset."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in objects)]
