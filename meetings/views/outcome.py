"""A meeting's outcome, recorded on one screen: saved together, or not at all."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from negotiations import permissions
from negotiations.forms import (
    ChapterOutcomeFormSet,
    CommitmentFormSet,
    NewPointFormSet,
    OutcomeNoteForm,
    ResolutionFormSet,
)
from negotiations.forms.common import people_of, show_refusal
from negotiations.forms.outcome import ADD_POSITION, NewPointForm, parties_by_name
from negotiations.models import Meeting
from negotiations.services import OutcomeRefused, meeting_day, record_meeting_outcome
from negotiations.services.outcome import outcome_refusal
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ContestedPoint
from workinggroups.selectors import unresolved_points
from workinggroups.services import EditConflict


def _meeting_for_outcome(request, pk) -> Meeting:
    """The meeting of the URL, if this person may record what it decided."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("agreement", "negotiation_round"), pk=pk
    )
    if not permissions.can_record_outcome(request.user, meeting):
        raise PermissionDenied
    return meeting


class OutcomeForms:
    """Every form of the outcome screen, limited to what this person may change."""

    ROW_FORMSETS = {"points": NewPointFormSet, "commitments": CommitmentFormSet}
    # Posted by "Add a point" and "Add a commitment" without JavaScript: the section to grow.
    ADD_ROW = "add_row"

    def __init__(self, request, meeting, data=None):
        user, agreement_id = request.user, meeting.agreement_id
        self.meeting = meeting
        self.day = meeting_day(meeting)
        chapters = Chapter.objects.filter(permissions.changeable_chapters(user, agreement_id))
        groups = list(meeting.working_groups.all())
        if groups:
            chapters = chapters.filter(working_group__in=groups)
        self.chapters = list(
            chapters.select_related("working_group").order_by(
                "working_group__order", "order", "title"
            )
        )
        # The formsets validate against these and show each row from them: load what rows show.
        chapter_qs = Chapter.objects.filter(pk__in=[c.pk for c in self.chapters]).select_related(
            "working_group"
        )
        points = unresolved_points(self.chapters).prefetch_related("positions__party")
        if not permissions.can_steer_agreement(user, agreement_id):
            # Escalated points are the chief negotiators' to settle.
            points = points.filter(state=ContestedPointState.OPEN)
        self.points = list(points)
        point_qs = ContestedPoint.objects.filter(pk__in=[p.pk for p in self.points]).select_related(
            "chapter"
        )
        self.parties = parties_by_name(agreement_id)
        self.note = OutcomeNoteForm(data, prefix="outcome")
        self.statuses = ChapterOutcomeFormSet(
            data,
            prefix="statuses",
            initial=[{"chapter": c.pk, "version": c.version} for c in self.chapters],
            form_kwargs={"chapters": chapter_qs},
        )
        self.resolutions = ResolutionFormSet(
            data,
            prefix="resolutions",
            initial=[{"point": p.pk, "version": p.version} for p in self.points],
            form_kwargs={"points": point_qs},
        )
        # The rows repeat their selects: their choices are loaded once, here.
        self.row_kwargs = {
            "points": {
                "chapters": chapter_qs,
                "chapter_rows": self.chapters,
                "parties": self.parties,
                "opened_on": self.day,
            },
            "commitments": {
                "agreement_id": agreement_id,
                "not_before": self.day,
                "parties": self.parties,
                "people": list(people_of(agreement_id)),
            },
        }
        self.new_points = NewPointFormSet(
            data, prefix="points", form_kwargs=self.row_kwargs["points"]
        )
        self.commitments = CommitmentFormSet(
            data, prefix="commitments", form_kwargs=self.row_kwargs["commitments"]
        )

    def all(self):
        """Every form and formset of the screen, in the order they are shown."""
        return [self.note, self.statuses, self.resolutions, self.new_points, self.commitments]

    def is_valid(self):
        """True when every form is valid."""
        # Every form is validated, so that every error shows at once.
        results = [form.is_valid() for form in self.all()]
        return all(results)

    def hold_errors(self):
        """Show the screen again as typed, unjudged: a row was added, nothing was saved yet."""
        # Bound forms check themselves when first asked for their errors: answering "none"
        # beforehand keeps "this field is required" off a row the person is still filling in.
        for formset in self.all()[1:]:
            formset._errors, formset._non_form_errors = [], formset.error_class()
            for form in formset.forms:
                form._errors = ErrorDict()
        self.note._errors = ErrorDict()

    def extra_row(self, section, index):
        """One more empty row of new points or commitments, numbered `index`."""
        formset = self.ROW_FORMSETS[section]
        form = formset.form(
            prefix=f"{section}-{index}",
            empty_permitted=True,
            use_required_attribute=False,
            **self.row_kwargs[section],
        )
        focus_first_field(form)
        return form

    def focus_added_row(self, section):
        """Put the cursor in the row just added (without JavaScript) to `section`."""
        formset = {"points": self.new_points, "commitments": self.commitments}[section]
        if formset.forms:
            focus_first_field(formset.forms[-1])

    def extra_position(self, point_index, index):
        """One more empty position row, numbered `index`, for the new point numbered
        `point_index`."""
        return NewPointForm(
            prefix=f"points-{point_index}",
            positions=index + 1,
            use_required_attribute=False,
            **self.row_kwargs["points"],
        )

    def rows(self):
        """What the outcome says, as (row index, service arguments) per section."""
        common_note = self.note.cleaned_data["note"]
        statuses = [
            (
                i,
                {
                    "chapter": f.cleaned_data["chapter"],
                    "to_status": f.cleaned_data["to_status"],
                    "note": f.cleaned_data["note"] or common_note,
                    "expected_version": f.cleaned_data["version"],
                },
            )
            for i, f in enumerate(self.statuses.forms)
            if f.is_change()
        ]
        resolutions = [
            (
                i,
                {
                    "point": f.cleaned_data["point"],
                    "resolution": f.cleaned_data["resolution"],
                    "expected_version": f.cleaned_data["version"],
                },
            )
            for i, f in enumerate(self.resolutions.forms)
            if f.cleaned_data.get("resolve")
        ]
        points = [
            (
                i,
                {
                    "chapter": f.cleaned_data["chapter"],
                    "title": f.cleaned_data["title"],
                    "description": f.cleaned_data["description"],
                    "target_date": f.cleaned_data["target_date"],
                    "positions": f.positions(),
                },
            )
            for i, f in enumerate(self.new_points.forms)
            if f.has_changed() and f.cleaned_data
        ]
        commitments = [
            (i, {key: f.cleaned_data[key] for key in ("party", "text", "owner", "due_on")})
            for i, f in enumerate(self.commitments.forms)
            if f.has_changed() and f.cleaned_data
        ]
        return {
            "status_changes": statuses,
            "resolutions": resolutions,
            "new_points": points,
            "commitments": commitments,
        }

    def show_refusal(self, refused: OutcomeRefused):
        """Show each refused row's reason on that row."""
        formsets = {
            "statuses": self.statuses,
            "resolutions": self.resolutions,
            "points": self.new_points,
            "commitments": self.commitments,
        }
        for (section, index), error in refused.errors.items():
            form = formsets[section].forms[index]
            if isinstance(error, EditConflict):
                self._show_conflict(section, form, error.current)
            else:
                show_refusal(form, error)

    def _show_conflict(self, section, form, current):
        """Say on the row that someone saved it meanwhile; keep what was typed for a retry."""
        yours = form.cleaned_data
        if section == "statuses":
            message = _(
                "Not saved: someone changed this chapter meanwhile. Saved now: “%(current)s” "
                "(version %(version)s). Yours: “%(yours)s” (on version %(seen)s). Nothing was "
                "overwritten; save again to apply yours on top."
            ) % {
                "current": current.get_status_display(),
                "version": current.version,
                "yours": ChapterStatus(yours["to_status"]).label,
                "seen": yours["version"],
            }
        else:
            message = _(
                "Not saved: someone changed this point meanwhile. Saved now: “%(current)s” "
                "(version %(version)s). Yours: resolved (on version %(seen)s). Nothing was "
                "overwritten; save again to apply yours on top."
            ) % {
                "current": current.get_state_display(),
                "version": current.version,
                "seen": yours["version"],
            }
        form.add_error(None, message)
        form.data[form.add_prefix("version")] = current.version
        form.conflict = True


@require_http_methods(["GET", "POST"])
def meeting_outcome(request, pk):
    """Record a meeting's outcome on one screen, saved together or not at all; refused (409)
    for a meeting not yet started or cancelled."""
    meeting = _meeting_for_outcome(request, pk)
    refusal = outcome_refusal(meeting)
    if refusal:
        return _outcome_refused(request, meeting, refusal)
    if request.method == "GET" and request.htmx:
        if request.GET.get("add") in OutcomeForms.ROW_FORMSETS:
            return _outcome_extra_row(request, meeting)
        if request.GET.get("add") == "position":
            return _outcome_extra_position(request, meeting)
    data = request.POST.copy() if request.method == "POST" else None
    adding = data is not None and _add_requested(data)
    forms = OutcomeForms(request, meeting, data)
    status = 200
    if adding:
        forms.hold_errors()
        if data.get(OutcomeForms.ADD_ROW) in OutcomeForms.ROW_FORMSETS:
            forms.focus_added_row(data[OutcomeForms.ADD_ROW])
    elif request.method == "POST":
        status = 400
        if forms.is_valid():
            rows = forms.rows()
            if not any(rows.values()):
                forms.note.add_error(None, _("Nothing to save: no row was filled in."))
            else:
                try:
                    record_meeting_outcome(meeting=meeting, by=request.user, **rows)
                except ValidationError as error:
                    # Cancelled (or moved to a later start) while the screen was being filled in.
                    return _outcome_refused(request, meeting, " ".join(error.messages))
                except OutcomeRefused as refused:
                    forms.show_refusal(refused)
                    status = (
                        409
                        if any(isinstance(e, EditConflict) for e in refused.errors.values())
                        else 400
                    )
                else:
                    messages.success(request, saved_summary(rows))
                    return redirect(meeting)
    return render(
        request,
        "meetings/outcome.html",
        {"meeting": meeting, "forms": forms, "day": forms.day},
        status=status,
    )


def focus_first_field(form):
    """The cursor goes to a new row's first field (the page, or htmx, focuses it)."""
    first = next(iter(form.visible_fields()), None)
    if first is not None:
        first.field.widget.attrs["autofocus"] = True


def _outcome_refused(request, meeting, refusal):
    """Say, in place of the screen, why this meeting has no outcome to record (yet)."""
    if request.htmx:
        # A row asked for in place: the refusal alone, which htmx leaves unswapped (409).
        return HttpResponse(refusal, status=409, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "meetings/outcome.html",
        {"meeting": meeting, "refusal": refusal, "forms": None, "day": None},
        status=409,
    )


def _add_requested(data) -> bool:
    """Whether a row was asked for without JavaScript: the whole screen was posted, to be
    shown again as typed with one more row. A new point or commitment row is counted into the
    posted `data` here; a position row is counted by its point's form."""
    section = data.get(OutcomeForms.ADD_ROW)
    if section in OutcomeForms.ROW_FORMSETS:
        key = f"{section}-TOTAL_FORMS"
        try:
            total = int(data.get(key, ""))
        except ValueError:
            total = 0
        most = OutcomeForms.ROW_FORMSETS[section].max_num
        data[key] = str(max(0, min(total + 1, most)))
        return True
    return ADD_POSITION in data


def _index(request, name, most=99):
    try:
        return max(0, min(int(request.GET.get(name, "0")), most))
    except ValueError:
        return 0


def _outcome_extra_position(request, meeting):
    """One more position row for a new point, and its "add another" button renumbered."""
    point_index, index = _index(request, "point"), _index(request, "index")
    forms = OutcomeForms(request, meeting)
    if index >= len(forms.parties):
        # One position per party: every party already has its row.
        return HttpResponse(status=204)
    form = forms.extra_position(point_index, index)
    form.focus_last_position()
    return render(
        request,
        "meetings/outcome.html#position-row-added",
        {"meeting": meeting, "form": form, "row": form.position_rows()[-1], "added": True},
    )


def _outcome_extra_row(request, meeting):
    """One more empty row for new points or commitments, and the counters that go with it."""
    section = request.GET["add"]
    index = _index(request, "index")
    forms = OutcomeForms(request, meeting)
    return render(
        request,
        f"meetings/outcome.html#{section}-row-added",
        {
            "meeting": meeting,
            "forms": forms,
            "form": forms.extra_row(section, index),
            "next_index": index + 1,
            "section": section,
        },
    )


def saved_summary(rows: dict) -> str:
    """ "Outcome saved: 1 status change, 2 points resolved, …", each count in its plural."""
    n = {key: len(value) for key, value in rows.items()}
    parts = [
        ngettext("%(count)d status change", "%(count)d status changes", n["status_changes"]),
        ngettext("%(count)d point resolved", "%(count)d points resolved", n["resolutions"]),
        ngettext("%(count)d point opened", "%(count)d points opened", n["new_points"]),
        ngettext("%(count)d commitment", "%(count)d commitments", n["commitments"]),
    ]
    counts = [n["status_changes"], n["resolutions"], n["new_points"], n["commitments"]]
    return _("Outcome saved: %(summary)s.") % {
        "summary": ", ".join(part % {"count": c} for part, c in zip(parts, counts, strict=True))
    }
