"""The structure editor: an agreement's working groups and chapters, added, renamed,
reordered, moved and removed; a chapter that moves keeps its history.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from negotiations.forms.schedule import refuse_stale, watch
from secretariat import selectors
from secretariat.forms import (
    AddChapterForm,
    AddWorkingGroupForm,
    MoveChapterForm,
    MoveChapterToGroupForm,
    RemoveChapterForm,
    RemoveWorkingGroupForm,
    RenameChapterForm,
    RenameWorkingGroupForm,
)
from secretariat.views.agreements import _labelled, _managed_agreement, _refusal_text
from workinggroups.services import (
    EditConflict,
    create_chapter,
    create_working_group,
    delete_chapter,
    delete_working_group,
    fingerprint,
    update_chapter,
    update_working_group,
)


class _Refused(Exception):
    """An action of the structure editor was not carried out; `message` says why."""

    def __init__(self, message, *, status=400, typed=None):
        super().__init__(message)
        self.message, self.status = message, status
        # What the re-shown page's forms start from (None: the saved version).
        self.typed = typed


def _valid(form):
    """The form's data, or the refusal listing what is wrong with it."""
    if not form.is_valid():
        problems = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            problems += [_labelled(label, error) for error in errors]
        raise _Refused(" ".join(problems))
    return form.cleaned_data


def _conflict(error: EditConflict, *, version, yours) -> _Refused:
    """The refusal of a stale edit, naming the saved version and the one the person saw."""
    current = error.current
    return _Refused(
        _(
            "Not saved: someone changed “%(title)s” while you were editing it. "
            "Saved now: version %(saved)s, “%(title)s” in %(group)s. "
            "Yours: version %(yours)s, %(change)s. The page now shows the saved version."
        )
        % {
            "title": current.title,
            "saved": current.version,
            "group": current.working_group.name,
            "yours": version,
            "change": yours,
        },
        status=409,
    )


def _add_group(request, agreement):
    """Add a working group at the end of the agreement's."""
    data = _valid(AddWorkingGroupForm(request.POST, agreement=agreement))
    group = create_working_group(
        agreement=agreement, name=data["name"], code=data["code"], by=request.user
    )
    return _("Working group %(group)s added.") % {"group": group.name}, f"group-{group.pk}"


def _rename_group(request, agreement):
    """Rename a working group, or change its short code."""
    form = RenameWorkingGroupForm(request.POST, agreement=agreement)
    # The page posts the name and code it showed: a conflict keeps only what was changed.
    watch(form, "")
    data = _valid(form)
    try:
        group = update_working_group(
            working_group=data["group"],
            name=data["name"],
            code=data["code"],
            expected_fingerprint=data["seen"] or None,
            by=request.user,
        )
    except EditConflict as error:
        current = error.current
        saved = {"name": current.name, "code": current.code}
        refuse_stale(form, saved=saved, fingerprint=fingerprint(current))
        typed = {key: form.data.get(key, "") for key in ("group", "name", "code", "seen")}
        raise _Refused(
            " ".join(form.non_field_errors()),
            status=409,
            typed={**typed, "action": "rename_group"},
        ) from error
    return _("Working group %(group)s saved.") % {"group": group.name}, f"group-{group.pk}"


def _remove_group(request, agreement):
    """Remove an empty working group."""
    group = _valid(RemoveWorkingGroupForm(request.POST, agreement=agreement))["group"]
    delete_working_group(working_group=group, by=request.user)
    return _("Working group %(group)s removed.") % {"group": group.name}, "structure"


def _add_chapter(request, agreement):
    """Add a chapter at the end of a working group."""
    data = _valid(AddChapterForm(request.POST, agreement=agreement))
    chapter = create_chapter(working_group=data["group"], title=data["title"], by=request.user)
    return _("Chapter %(chapter)s added.") % {"chapter": chapter.title}, f"chapter-{chapter.pk}"


def _rename_chapter(request, agreement):
    """Rename a chapter, unless someone changed it since the page was loaded."""
    data = _valid(RenameChapterForm(request.POST, agreement=agreement))
    try:
        chapter = update_chapter(
            chapter=data["chapter"],
            title=data["title"],
            expected_version=data["version"],
            by=request.user,
        )
    except EditConflict as error:
        raise _conflict(
            error,
            version=data["version"],
            yours=_("renamed “%(title)s”") % {"title": data["title"]},
        ) from error
    return _("Chapter renamed %(chapter)s.") % {"chapter": chapter.title}, f"chapter-{chapter.pk}"


def _move_chapter(request, agreement, step):
    """Swap a chapter with its neighbour in its group, numbering the group's chapters anew so
    that equal or missing orders (from an import, say) cannot stop the move."""
    data = _valid(MoveChapterForm(request.POST, agreement=agreement))
    chapter = data["chapter"]
    siblings = list(chapter.working_group.chapters.order_by("order", "title"))
    at = next(i for i, c in enumerate(siblings) if c.pk == chapter.pk)
    to = at + step
    direction = _("up") if step < 0 else _("down")
    if not 0 <= to < len(siblings):
        raise _Refused(
            _("%(chapter)s is already at the %(end)s of its working group.")
            % {"chapter": chapter.title, "end": _("top") if step < 0 else _("bottom")}
        )
    siblings[at], siblings[to] = siblings[to], siblings[at]
    try:
        with transaction.atomic():
            for order, sibling in enumerate(siblings, start=1):
                if sibling.order != order:
                    update_chapter(
                        chapter=sibling,
                        order=order,
                        # Only the chapter being moved was seen by the person moving it.
                        expected_version=data["version"] if sibling.pk == chapter.pk else None,
                        by=request.user,
                    )
    except EditConflict as error:
        raise _conflict(
            error, version=data["version"], yours=_("moved %(way)s") % {"way": direction}
        ) from error
    return (
        _("%(chapter)s moved %(way)s.") % {"chapter": chapter.title, "way": direction},
        f"chapter-{chapter.pk}",
    )


def _move_chapter_to_group(request, agreement):
    """Move a chapter, history and all, to the end of another working group."""
    data = _valid(MoveChapterToGroupForm(request.POST, agreement=agreement))
    group = data["working_group"]
    try:
        chapter = update_chapter(
            chapter=data["chapter"],
            working_group=group,
            expected_version=data["version"],
            by=request.user,
        )
    except EditConflict as error:
        raise _conflict(
            error,
            version=data["version"],
            yours=_("moved to %(group)s") % {"group": group.name},
        ) from error
    return (
        _("%(chapter)s moved to %(group)s.") % {"chapter": chapter.title, "group": group.name},
        f"chapter-{chapter.pk}",
    )


def _remove_chapter(request, agreement):
    """Remove a chapter that has no history (added by mistake)."""
    chapter = _valid(RemoveChapterForm(request.POST, agreement=agreement))["chapter"]
    delete_chapter(chapter=chapter, by=request.user)
    return (
        _("Chapter %(chapter)s removed.") % {"chapter": chapter.title},
        f"group-{chapter.working_group_id}",
    )


STRUCTURE_ACTIONS = {
    "add_group": _add_group,
    "rename_group": _rename_group,
    "remove_group": _remove_group,
    "add_chapter": _add_chapter,
    "rename_chapter": _rename_chapter,
    "move_up": lambda request, agreement: _move_chapter(request, agreement, -1),
    "move_down": lambda request, agreement: _move_chapter(request, agreement, +1),
    "move_to_group": _move_chapter_to_group,
    "remove_chapter": _remove_chapter,
}


def _structure_rows(agreement, typed):
    """The working groups and chapters to show, each with the values its forms start from:
    the saved ones, or what was typed into the form just refused."""
    groups = selectors.structure_of(agreement)
    action = typed.get("action")
    for group in groups:
        mine = str(group.pk) == typed.get("group")
        renaming = mine and action == "rename_group"
        group.name_value = typed.get("name", "") if renaming else group.name
        group.code_value = typed.get("code", "") if renaming else group.code
        # What the rename form saw, so that a save based on an older state is refused.
        group.seen_value = (typed.get("seen") if renaming else None) or fingerprint(group)
        group.new_chapter_value = typed.get("title", "") if mine and action == "add_chapter" else ""
        for chapter in group.chapter_list:
            renamed = action == "rename_chapter" and str(chapter.pk) == typed.get("chapter")
            chapter.title_value = typed.get("title", "") if renamed else chapter.title
    return groups


@require_http_methods(["GET", "POST"])
def structure(request, slug):
    """The agreement's working groups and chapters: add, rename, reorder, move and remove
    them. A chapter that moves keeps its history: it stays the same record."""
    agreement = _managed_agreement(request, slug)
    typed, status = {}, 200
    if request.method == "POST":
        action = STRUCTURE_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponseBadRequest(_("Unknown action."))
        try:
            with transaction.atomic():
                done, anchor = action(request, agreement)
        except _Refused as refusal:
            messages.error(request, refusal.message)
            status = refusal.status
            typed = refusal.typed or {}
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
            status = 400
        else:
            messages.success(request, done)
            here = reverse("secretariat:structure", kwargs={"slug": agreement.slug})
            return redirect(f"{here}#{anchor}")
        # A stale edit shows the saved version; any other refusal keeps what was typed.
        if status == 400:
            typed = {
                key: request.POST.get(key, "")
                for key in ("action", "group", "chapter", "name", "code", "title", "seen")
            }
    groups = _structure_rows(agreement, typed)
    context = {
        "agreement": agreement,
        "groups": groups,
        "new_group": typed if typed.get("action") == "add_group" else {},
    }
    return render(request, "secretariat/structure.html", context, status=status)
