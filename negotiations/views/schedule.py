"""The negotiation's calendar, kept by those who manage the agreement: rounds, meetings (and
their cancellation) and deadlines. Every write goes through `negotiations.services`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from negotiations.forms import DeadlineForm, MeetingForm, RoundForm, show_refusal
from negotiations.services import (
    cancel_meeting,
    create_deadline,
    create_meeting,
    create_round,
    update_deadline,
    update_meeting,
    update_round,
)
from negotiations.views.access import (
    agreement_to_manage,
    deadline_to_manage,
    meeting_to_manage,
    posted,
    round_to_manage,
)


def _form_page(request, template, form, context):
    """The form again: 400 when it answers a POST that was refused, 200 when first shown."""
    return render(
        request, template, {"form": form, **context}, status=400 if form.is_bound else 200
    )


# --- Rounds ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def round_create(request, slug):
    """Add a round of talks to the agreement; its number defaults to the next one."""
    agreement = agreement_to_manage(request, slug)
    last = agreement.rounds.order_by("-number").values_list("number", flat=True).first()
    form = RoundForm(posted(request), agreement=agreement, initial={"number": (last or 0) + 1})
    if form.is_bound and form.is_valid():
        try:
            negotiation_round = create_round(
                agreement=agreement, by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request, _("Round %(number)s saved.") % {"number": negotiation_round.number}
            )
            return redirect(negotiation_round)
    return _form_page(
        request,
        "negotiations/round_form.html",
        form,
        {"agreement": agreement, "negotiation_round": None},
    )


@require_http_methods(["GET", "POST"])
def round_update(request, pk):
    """Change a round's number, days, mode, host, place or summary."""
    negotiation_round = round_to_manage(request, pk)
    agreement = negotiation_round.agreement
    form = RoundForm(posted(request), agreement=agreement, negotiation_round=negotiation_round)
    if form.is_bound and form.is_valid():
        try:
            negotiation_round = update_round(
                negotiation_round=negotiation_round, by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request, _("Round %(number)s saved.") % {"number": negotiation_round.number}
            )
            return redirect(negotiation_round)
    return _form_page(
        request,
        "negotiations/round_form.html",
        form,
        {"agreement": agreement, "negotiation_round": negotiation_round},
    )


# --- Meetings ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_create(request, slug):
    """Schedule a meeting of the agreement, its times typed on the meeting's own clock."""
    agreement = agreement_to_manage(request, slug)
    form = MeetingForm(posted(request), agreement=agreement)
    if form.is_bound and form.is_valid():
        try:
            meeting = create_meeting(
                agreement=agreement,
                by=request.user,
                working_groups=form.cleaned_data["working_groups"],
                **form.service_fields(),
            )
        except ValidationError as error:
            show_refusal(form, error, MeetingForm.ALIASES)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect(meeting)
    return _form_page(
        request, "negotiations/meeting_form.html", form, {"agreement": agreement, "meeting": None}
    )


@require_http_methods(["GET", "POST"])
def meeting_update(request, pk):
    """Change a meeting: its times are shown, and read back, on the meeting's own clock."""
    meeting = meeting_to_manage(request, pk)
    agreement = meeting.agreement
    form = MeetingForm(posted(request), agreement=agreement, meeting=meeting)
    if form.is_bound and form.is_valid():
        try:
            meeting = update_meeting(
                meeting=meeting,
                by=request.user,
                working_groups=form.cleaned_data["working_groups"],
                **form.service_fields(),
            )
        except ValidationError as error:
            show_refusal(form, error, MeetingForm.ALIASES)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect(meeting)
    return _form_page(
        request,
        "negotiations/meeting_form.html",
        form,
        {"agreement": agreement, "meeting": meeting},
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
    if form.is_bound and form.is_valid():
        try:
            create_deadline(agreement=agreement, by=request.user, **form.service_fields())
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Deadline saved."))
            return redirect(agreement)
    return _form_page(
        request,
        "negotiations/deadline_form.html",
        form,
        {"agreement": agreement, "deadline": None},
    )


@require_http_methods(["GET", "POST"])
def deadline_update(request, pk):
    """Change a deadline, or record that it was met."""
    deadline = deadline_to_manage(request, pk)
    agreement = deadline.agreement
    form = DeadlineForm(posted(request), agreement=agreement, deadline=deadline)
    if form.is_bound and form.is_valid():
        try:
            update_deadline(deadline=deadline, by=request.user, **form.service_fields())
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Deadline saved."))
            return redirect(agreement)
    return _form_page(
        request,
        "negotiations/deadline_form.html",
        form,
        {"agreement": agreement, "deadline": deadline},
    )
