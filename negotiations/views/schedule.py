"""The negotiation's calendar, kept by those who manage the agreement: rounds, meetings (and
their cancellation) and deadlines. Every write goes through `negotiations.services`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from negotiations import permissions
from negotiations.forms import DeadlineForm, MeetingForm, RoundForm, show_refusal
from negotiations.forms.schedule import refuse_stale, watch
from negotiations.services import (
    cancel_meeting,
    create_deadline,
    create_meeting,
    create_round,
    update_deadline,
    update_meeting,
    update_round,
)
from negotiations.services.schedule import meeting_fingerprint
from negotiations.views.access import (
    agreement_to_manage,
    deadline_to_manage,
    deadline_to_view,
    meeting_to_manage,
    posted,
    round_to_manage,
)
from workinggroups.services import EditConflict, fingerprint


def _form_page(request, form, *, save, template, context, aliases=None, saved_state=None):
    """A form page: a valid POST is saved by `save()` (a service call), which returns the
    success message and where to go next; a refusal is shown on the form, which comes back
    with 400 (200 when first shown), or 409 when someone changed the record meanwhile
    (`saved_state(current)` gives its saved values and fingerprint)."""
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        try:
            message, target = save()
        except EditConflict as error:
            saved, now = saved_state(error.current)
            refuse_stale(form, saved=saved, fingerprint=now)
            status = 409
        except ValidationError as error:
            show_refusal(form, error, aliases)
        else:
            messages.success(request, message)
            return redirect(target)
    return render(request, template, {"form": form, **context}, status=status)


def _seen(form) -> str | None:
    """The fingerprint the form was opened with; None from a page that did not send one."""
    return form.cleaned_data.get("seen") or None


# --- Rounds ------------------------------------------------------------------------------------


def _round_saved(negotiation_round):
    return _("Round %(number)s saved.") % {"number": negotiation_round.number}, negotiation_round


@require_http_methods(["GET", "POST"])
def round_create(request, slug):
    """Add a round of talks to the agreement; its number defaults to the next one."""
    agreement = agreement_to_manage(request, slug)
    last = agreement.rounds.order_by("-number").values_list("number", flat=True).first()
    form = RoundForm(posted(request), agreement=agreement, initial={"number": (last or 0) + 1})
    return _form_page(
        request,
        form,
        save=lambda: _round_saved(
            create_round(agreement=agreement, by=request.user, **form.service_fields())
        ),
        template="negotiations/round_form.html",
        context={"agreement": agreement, "negotiation_round": None},
    )


@require_http_methods(["GET", "POST"])
def round_update(request, pk):
    """Change a round's number, days, mode, host, place or summary."""
    negotiation_round = round_to_manage(request, pk)
    agreement = negotiation_round.agreement
    form = RoundForm(posted(request), agreement=agreement, negotiation_round=negotiation_round)
    watch(form, fingerprint(negotiation_round))
    return _form_page(
        request,
        form,
        save=lambda: _round_saved(
            update_round(
                negotiation_round=negotiation_round,
                by=request.user,
                expected_fingerprint=_seen(form),
                **form.service_fields(),
            )
        ),
        template="negotiations/round_form.html",
        context={"agreement": agreement, "negotiation_round": negotiation_round},
        saved_state=lambda current: (RoundForm.initial_of(current), fingerprint(current)),
    )


# --- Meetings ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_create(request, slug):
    """Schedule a meeting of the agreement, its times typed on the meeting's own clock."""
    agreement = agreement_to_manage(request, slug)
    form = MeetingForm(posted(request), agreement=agreement)

    def save():
        meeting = create_meeting(
            agreement=agreement,
            by=request.user,
            working_groups=form.cleaned_data["working_groups"],
            **form.service_fields(),
        )
        return _("Meeting saved."), meeting

    return _form_page(
        request,
        form,
        save=save,
        template="negotiations/meeting_form.html",
        context={"agreement": agreement, "meeting": None},
        aliases=MeetingForm.ALIASES,
    )


@require_http_methods(["GET", "POST"])
def meeting_update(request, pk):
    """Change a meeting: its times are shown, and read back, on the meeting's own clock."""
    meeting = meeting_to_manage(request, pk)
    agreement = meeting.agreement
    form = MeetingForm(posted(request), agreement=agreement, meeting=meeting)
    watch(form, meeting_fingerprint(meeting))

    def save():
        saved = update_meeting(
            meeting=meeting,
            by=request.user,
            working_groups=form.cleaned_data["working_groups"],
            expected_fingerprint=_seen(form),
            **form.service_fields(),
        )
        return _("Meeting saved."), saved

    return _form_page(
        request,
        form,
        save=save,
        template="negotiations/meeting_form.html",
        context={"agreement": agreement, "meeting": meeting},
        aliases=MeetingForm.ALIASES,
        saved_state=lambda current: (MeetingForm.initial_of(current), meeting_fingerprint(current)),
    )


@require_http_methods(["GET", "POST"])
def meeting_cancel(request, pk):
    """Ask, then cancel a meeting: it stays on record, marked cancelled."""
    meeting = meeting_to_manage(request, pk)
    if request.method == "POST":
        try:
            cancel_meeting(meeting=meeting, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Meeting cancelled."))
        return redirect(meeting)
    return render(
        request,
        "negotiations/meeting_cancel.html",
        {"meeting": meeting, "agreement": meeting.agreement},
    )


# --- Deadlines ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def deadline_create(request, slug):
    """Set a deadline for a working group, or for the chief negotiators."""
    agreement = agreement_to_manage(request, slug)
    form = DeadlineForm(posted(request), agreement=agreement)

    def save():
        create_deadline(agreement=agreement, by=request.user, **form.service_fields())
        return _("Deadline saved."), agreement

    return _form_page(
        request,
        form,
        save=save,
        template="negotiations/deadline_form.html",
        context={"agreement": agreement, "deadline": None},
    )


@require_http_methods(["GET"])
def deadline_detail(request, pk):
    """A deadline: what is due, from whom, by when, and where it was set; the page its
    reminders and notices link to."""
    deadline = deadline_to_view(request, pk)
    return render(
        request,
        "negotiations/deadline_detail.html",
        {
            "deadline": deadline,
            "agreement": deadline.agreement,
            "can_manage": permissions.can_manage_agreement(request.user, deadline.agreement_id),
            "overdue": not deadline.done and deadline.due_on < timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
def deadline_update(request, pk):
    """Change a deadline, or record that it was met."""
    deadline = deadline_to_manage(request, pk)
    agreement = deadline.agreement
    form = DeadlineForm(posted(request), agreement=agreement, deadline=deadline)
    watch(form, fingerprint(deadline))

    def save():
        update_deadline(
            deadline=deadline,
            by=request.user,
            expected_fingerprint=_seen(form),
            **form.service_fields(),
        )
        return _("Deadline saved."), agreement

    return _form_page(
        request,
        form,
        save=save,
        template="negotiations/deadline_form.html",
        context={"agreement": agreement, "deadline": deadline},
        saved_state=lambda current: (DeadlineForm.initial_of(current), fingerprint(current)),
    )
