"""A commitment's own page, for everyone who may see the agreement: edited in place (refused,
showing both versions, if someone saved it meanwhile) and marked delivered by those who may."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.selectors import entries_for
from negotiations import permissions
from negotiations.choices import CommitmentStatus
from negotiations.forms import CommitmentCreateForm, CommitmentEditForm, DeliverForm, show_refusal
from negotiations.models import Agreement
from negotiations.services import create_commitment, mark_commitment_delivered, update_commitment
from negotiations.views.access import commitment_to_view, posted
from workinggroups.services import EditConflict

AUDIT_ENTRIES_SHOWN = 50


def _page(request, commitment, *, can_change, form=None, status=200, **extra):
    """The commitment's page: its details, history, change log and (for those who may) the
    edit and deliver forms."""
    if can_change and form is None:
        form = CommitmentEditForm(commitment=commitment)
    context = {
        "commitment": commitment,
        "meeting": commitment.meeting,
        "agreement": commitment.meeting.agreement,
        "can_change": can_change,
        "form": form,
        "deliver_form": DeliverForm(initial={"version": commitment.version}),
        "status_changes": commitment.status_changes.select_related("changed_by"),
        "audit_entries": entries_for(commitment)[:AUDIT_ENTRIES_SHOWN].readable(known=[commitment]),
        "conflict": None,
        "deliver_refusal": None,
        **extra,
    }
    return render(request, "negotiations/commitment_detail.html", context, status=status)


def _yours(form) -> dict:
    """What the refused edit said, as the side-by-side table shows it."""
    data = form.cleaned_data
    return {
        "text": data["text"],
        "party": data["party"],
        "owner": data["owner"],
        "chapter": data["chapter"],
        "due_on": data["due_on"],
        "status": CommitmentStatus(data["status"]).label,
        "version": data["version"],
    }


@require_http_methods(["GET", "POST"])
def commitment_detail(request, pk):
    """A commitment: what, who, by when, where made, its status history and change log."""
    commitment = commitment_to_view(request, pk)
    can_change = permissions.can_change_commitment(request.user, commitment)
    if request.method != "POST":
        return _page(request, commitment, can_change=can_change)
    if not can_change:
        raise PermissionDenied
    form = CommitmentEditForm(posted(request), commitment=commitment)
    if form.is_valid():
        try:
            update_commitment(commitment=commitment, by=request.user, **form.service_fields())
        except EditConflict:
            current = commitment_to_view(request, pk)
            # Keep what was typed, laid over the saved version: saving again applies it on top.
            merged = CommitmentEditForm(form.merged_onto(current), commitment=current)
            conflict = {"yours": _yours(form), "current": current}
            return _page(
                request, current, can_change=True, form=merged, status=409, conflict=conflict
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Commitment saved."))
            return redirect(commitment)
    return _page(request, commitment, can_change=True, form=form, status=400)


@require_POST
def commitment_deliver(request, pk):
    """Mark a commitment delivered in one click, from the version the person saw."""
    commitment = commitment_to_view(request, pk)
    if not permissions.can_change_commitment(request.user, commitment):
        raise PermissionDenied
    form = DeliverForm(request.POST)
    if not form.is_valid():
        refusal = _("Not marked delivered: the page was incomplete. Reload it and try again.")
        return _page(request, commitment, can_change=True, status=400, deliver_refusal=refusal)
    try:
        mark_commitment_delivered(
            commitment=commitment, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except EditConflict:
        current = commitment_to_view(request, pk)
        refusal = _(
            "Not marked delivered: someone changed this commitment meanwhile (now “%(status)s”, "
            "version %(version)s; you saw version %(seen)s). Nothing was overwritten: check it "
            "and try again."
        ) % {
            "status": current.get_status_display(),
            "version": current.version,
            "seen": form.cleaned_data["version"],
        }
        return _page(request, current, can_change=True, status=409, deliver_refusal=refusal)
    except ValidationError as error:
        refusal = " ".join(error.messages)
        return _page(request, commitment, can_change=True, status=400, deliver_refusal=refusal)
    messages.success(request, _("Marked delivered."))
    return redirect(commitment)


@require_http_methods(["GET", "POST"])
def commitment_create(request, slug):
    """Record a commitment outside a meeting's outcome screen (a leaders' statement, say)."""
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_create_commitment(request.user, agreement.pk):
        raise PermissionDenied
    initial = {}
    if request.GET.get("meeting", "").isdigit():
        initial["meeting"] = int(request.GET["meeting"])
    form = CommitmentCreateForm(posted(request), agreement_id=agreement.pk, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            commitment = create_commitment(by=request.user, **form.service_fields())
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Commitment saved."))
            return redirect(commitment)
    return render(
        request,
        "negotiations/commitment_form.html",
        {"form": form, "agreement": agreement},
        status=400 if form.is_bound else 200,
    )
