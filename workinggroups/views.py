"""Chapter and contested-point pages, and the actions negotiators take on them.

Every view asks `negotiations.permissions`; every write goes through `workinggroups.services`.
An htmx request gets only the fragment it swaps in; a plain request gets the whole page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.selectors import entries_for
from negotiations import permissions
from negotiations.forms.common import show_refusal
from negotiations.models import Deadline, Meeting
from workinggroups.choices import ContestedPointState
from workinggroups.forms import (
    ChapterStatusForm,
    ContestedPointForm,
    EscalateContestedPointForm,
    ResolveContestedPointForm,
)
from workinggroups.models import Chapter, ContestedPoint, Position
from workinggroups.selectors import chapter_commitments, chapter_history
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    escalate_contested_point,
    open_contested_point,
    resolve_contested_point,
    update_contested_point,
)


def _chapter_or_403(request, pk, *, change=False) -> Chapter:
    chapter = get_object_or_404(
        Chapter.objects.select_related("working_group__agreement").with_contested(), pk=pk
    )
    allowed = (
        permissions.can_change_chapter(request.user, chapter)
        if change
        else permissions.can_view_chapter(request.user, chapter)
    )
    if not allowed:
        raise PermissionDenied
    return chapter


def _point_or_403(request, pk) -> ContestedPoint:
    point = get_object_or_404(
        ContestedPoint.objects.select_related(
            "chapter__working_group__agreement", "owner", "raised_at"
        ),
        pk=pk,
    )
    if not permissions.can_view_contested_point(request.user, point):
        raise PermissionDenied
    return point


# --- Chapters ----------------------------------------------------------------------------------


def _status_context(request, chapter, form=None, conflict=None):
    can_change = permissions.can_change_chapter(request.user, chapter)
    return {
        "chapter": chapter,
        "history": chapter_history(chapter),
        "can_change": can_change,
        "form": form or (ChapterStatusForm(chapter=chapter) if can_change else None),
        "conflict": conflict,
    }


def _chapter_page_context(request, chapter, **status):
    group = chapter.working_group
    points = chapter.contested_points.select_related("owner", "raised_at").prefetch_related(
        Prefetch("positions", queryset=Position.objects.select_related("party"))
    )
    return {
        **_status_context(request, chapter, **status),
        "agreement": group.agreement,
        "open_points": [p for p in points if p.state != ContestedPointState.RESOLVED],
        "resolved_points": [p for p in points if p.state == ContestedPointState.RESOLVED],
        "meetings": Meeting.objects.filter(working_groups=group).order_by("-starts_at"),
        "deadlines": Deadline.objects.filter(agreement_id=group.agreement_id)
        .filter(Q(working_group=group) | Q(working_group__isnull=True))
        .select_related("working_group"),
        "commitments": chapter_commitments(chapter),
        "audit_entries": entries_for(chapter)[:50].readable(known=[chapter]),
    }


def chapter_detail(request, pk):
    chapter = _chapter_or_403(request, pk)
    return render(
        request, "workinggroups/chapter_detail.html", _chapter_page_context(request, chapter)
    )


@require_POST
def chapter_status(request, pk):
    """Change a chapter's status in place; refuse, showing both versions, if it moved since."""
    chapter = _chapter_or_403(request, pk, change=True)
    form = ChapterStatusForm(request.POST, chapter=chapter)
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            change_chapter_status(
                chapter=chapter,
                to_status=data["to_status"],
                by=request.user,
                negotiation_round=data["negotiation_round"],
                meeting=data["meeting"],
                note=data["note"],
                expected_version=data["version"],
            )
        except EditConflict as error:
            conflict = {
                "yours": {
                    "status": dict(form.fields["to_status"].choices).get(data["to_status"]),
                    "note": data["note"],
                    "version": data["version"],
                },
                "current": error.current,
                "last_change": error.current.status_changes.select_related("changed_by").last(),
            }
            # Keep what was typed; a deliberate second save then applies to the saved version.
            typed = request.POST.copy()
            typed["version"] = error.current.version
            chapter = _chapter_or_403(request, pk, change=True)
            form = ChapterStatusForm(typed, chapter=chapter)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Status saved."))
            if not request.htmx:
                return redirect(chapter)
            chapter = _chapter_or_403(request, pk, change=True)
            form = None
    if request.htmx:
        context = _status_context(request, chapter, form=form, conflict=conflict)
        return render(request, "workinggroups/chapter_detail.html#status-panel", context)
    if form is None:
        return redirect(chapter)
    context = _chapter_page_context(request, chapter, form=form, conflict=conflict)
    return render(
        request,
        "workinggroups/chapter_detail.html",
        context,
        status=409 if conflict else 400,
    )


# --- Contested points --------------------------------------------------------------------------


def _point_page_context(request, point, **forms):
    can_edit = permissions.can_edit_contested_point(request.user, point)
    unresolved = point.state != ContestedPointState.RESOLVED
    return {
        "point": point,
        "chapter": point.chapter,
        "positions": point.positions.select_related("party"),
        "can_edit": can_edit,
        "can_resolve": unresolved and permissions.can_resolve_contested_point(request.user, point),
        "can_escalate": can_edit and point.state == ContestedPointState.OPEN,
        "resolve_form": forms.get("resolve_form") or ResolveContestedPointForm(point=point),
        "escalate_form": forms.get("escalate_form") or EscalateContestedPointForm(point=point),
        "conflict": forms.get("conflict"),
        "audit_entries": entries_for(point)[:50].readable(known=[point]),
    }


def contestedpoint_detail(request, pk):
    point = _point_or_403(request, pk)
    return render(
        request,
        "workinggroups/contestedpoint_detail.html",
        _point_page_context(request, point),
    )


@require_http_methods(["GET", "POST"])
def contestedpoint_create(request, chapter_pk):
    chapter = _chapter_or_403(request, chapter_pk, change=True)
    agreement_id = chapter.working_group.agreement_id
    form = ContestedPointForm(
        request.POST or None, agreement_id=agreement_id, opened_on=timezone.localdate()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            point = open_contested_point(
                chapter=chapter,
                title=data["title"],
                by=request.user,
                description=data["description"],
                owner=data["owner"],
                target_date=data["target_date"],
                raised_at=data["meeting"],
                opened_on=timezone.localdate(),
                positions=form.positions(),
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Contested point opened."))
            return redirect(point)
    return render(
        request,
        "workinggroups/contestedpoint_form.html",
        {"form": form, "chapter": chapter, "point": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def contestedpoint_update(request, pk):
    point = _point_or_403(request, pk)
    if not permissions.can_edit_contested_point(request.user, point):
        raise PermissionDenied
    agreement_id = point.chapter.working_group.agreement_id
    form = ContestedPointForm(request.POST or None, agreement_id=agreement_id, point=point)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_contested_point(
                point=point,
                by=request.user,
                title=data["title"],
                description=data["description"],
                owner=data["owner"],
                target_date=data["target_date"],
                positions=form.positions(),
                expected_version=data["version"],
            )
        except EditConflict as error:
            current = error.current
            conflict = {
                "yours": data,
                "your_positions": [
                    (party, text) for party, text in form.positions().items() if text
                ],
                "current": current,
                "current_positions": current.positions.select_related("party"),
            }
            form = ContestedPointForm(
                form.merged_onto(current), agreement_id=agreement_id, point=current
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Contested point saved."))
            return redirect(point)
    status = 200
    if form.is_bound:
        status = 409 if conflict else 400
    return render(
        request,
        "workinggroups/contestedpoint_form.html",
        {"form": form, "chapter": point.chapter, "point": point, "conflict": conflict},
        status=status,
    )


@require_POST
def contestedpoint_resolve(request, pk):
    point = _point_or_403(request, pk)
    if point.state == ContestedPointState.RESOLVED or not (
        permissions.can_resolve_contested_point(request.user, point)
    ):
        raise PermissionDenied
    form = ResolveContestedPointForm(request.POST, point=point)
    return _point_action(
        request,
        point,
        form,
        lambda data: resolve_contested_point(
            point=point,
            by=request.user,
            resolution=data["resolution"],
            resolved_on=data["resolved_on"],
            expected_version=data["version"],
        ),
        _("Contested point resolved."),
        "resolve_form",
    )


@require_POST
def contestedpoint_escalate(request, pk):
    point = _point_or_403(request, pk)
    if not permissions.can_edit_contested_point(request.user, point):
        raise PermissionDenied
    form = EscalateContestedPointForm(request.POST, point=point)
    return _point_action(
        request,
        point,
        form,
        lambda data: escalate_contested_point(
            point=point, by=request.user, note=data["note"], expected_version=data["version"]
        ),
        _("Escalated to the chief negotiators."),
        "escalate_form",
    )


def _point_action(request, point, form, action, success, form_name):
    """Run a resolve or escalate; on refusal show the page again with what was typed."""
    conflict = None
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except EditConflict as error:
            conflict = {"current": error.current, "yours": form.cleaned_data}
            typed = request.POST.copy()
            typed["version"] = error.current.version
            point = error.current
            form = type(form)(typed, point=point)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, success)
            return redirect(point)
    point = _point_or_403(request, point.pk)
    return render(
        request,
        "workinggroups/contestedpoint_detail.html",
        _point_page_context(request, point, conflict=conflict, **{form_name: form}),
        status=409 if conflict else 400,
    )
