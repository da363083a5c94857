"""The secretariat's workspace: open an agreement, then keep its details, parties, working
groups and chapters current, in the product's own pages: never the administration site, and
never the staff flag.

Every view asks `negotiations.permissions`; every write goes through the services. Each page
works without JavaScript: every action is a plain form, answered by a redirect (with a message)
when it succeeds, or by the page again (with what was typed, status 400 or 409) when refused.
"""

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.forms import BaseFormSet, RadioSelect
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from negotiations import permissions
from negotiations.models import Agreement, Party
from negotiations.services import (
    AGREEMENT_FIELDS,
    add_delegation,
    create_agreement,
    create_party,
    remove_delegation,
    standard_structure,
    update_agreement,
    update_delegation,
)
from reminders.forms import LeadTimesForm
from reminders.selectors import lead_times
from reminders.services import set_lead_times
from secretariat import selectors
from secretariat.forms import (
    MAX_PARTIES,
    AddChapterForm,
    AddDelegationForm,
    AddWorkingGroupForm,
    AgreementDetailsForm,
    AgreementSettingsForm,
    DelegationForm,
    MoveChapterForm,
    MoveChapterToGroupForm,
    PartyFormSet,
    RemoveChapterForm,
    RemoveWorkingGroupForm,
    RenameChapterForm,
    RenameWorkingGroupForm,
    StructureChoiceForm,
)
from workinggroups.forms import add_validation_errors
from workinggroups.services import (
    EditConflict,
    create_chapter,
    create_working_group,
    delete_chapter,
    delete_working_group,
    update_chapter,
    update_working_group,
)

PARTIES_PREFIX = "parties"


def _managed_agreement(request, slug) -> Agreement:
    """The agreement named in the URL, if this person may manage it (404 / 403 otherwise)."""
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_manage_agreement(request.user, agreement.pk):
        raise PermissionDenied
    return agreement


def _posted_id(request, name) -> int | None:
    """An object's id posted by one of the page's forms, or None if it is not a number."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


# --- Errors ------------------------------------------------------------------------------------


def _field_anchor(form, name) -> str:
    """The id the summary links to for a field (a radio list: its first button)."""
    bound = form[name]
    if isinstance(bound.field.widget, RadioSelect):
        return f"{bound.auto_id}_0"
    return bound.id_for_label or bound.auto_id


def _labelled(label, message) -> str:
    """A field's error, saying which field it is about."""
    if not label:
        return str(message)
    return _("%(field)s: %(message)s") % {"field": label, "message": message}


def _form_errors(form, *, anchor, label_prefix="") -> list[dict]:
    """One form's errors as summary items; errors of no field link to `anchor`."""
    items = []
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            href, label = anchor, ""
        else:
            href, label = _field_anchor(form, name), str(form.fields[name].label)
        for message in errors:
            text = _labelled(label, message)
            items.append({"href": f"#{href}", "message": f"{label_prefix}{text}"})
    return items


def error_summary(*forms, anchor="main") -> list[dict]:
    """Every error of the page's forms and formsets, each linked to its field, for the summary
    at the top of the page: [{href, message}]."""
    items = []
    for form in forms:
        if isinstance(form, BaseFormSet):
            items += [
                {"href": f"#{form.prefix}", "message": str(message)}
                for message in form.non_form_errors()
            ]
            for number, row in enumerate(form.forms, start=1):
                prefix = _("Party %(number)s — ") % {"number": number}
                items += _form_errors(row, anchor=f"{form.prefix}-{number}", label_prefix=prefix)
        else:
            items += _form_errors(form, anchor=anchor)
    return items


def _refusal_text(error: ValidationError) -> str:
    """A service's refusal as one message for the top of the page."""
    return " ".join(error.messages)


# --- A new agreement ---------------------------------------------------------------------------


class _NotSaved(Exception):
    """A service refused part of the new agreement: the transaction is rolled back."""


def _map_party_errors(form, error: ValidationError):
    """Show `create_party`'s refusal on the row's fields for a new party."""
    fields = {"name": "new_name", "code": "new_code", "capital_time_zone": "new_time_zone"}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(fields.get(field), errors)
    else:
        form.add_error(None, error)


def _map_agreement_errors(details, structure, formset, error: ValidationError):
    """Show `create_agreement`'s refusal on the part of the page it concerns."""
    if not hasattr(error, "error_dict"):
        details.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field == "parties":
            formset.non_form_errors().extend(errors)
        elif field == "copy_from":
            structure.add_error("copy_from", errors)
        else:
            details.add_error(field if field in details.fields else None, errors)


def _create_agreement(request, details, structure, formset) -> Agreement:
    """Create the new parties and the agreement together, or nothing at all."""
    try:
        with transaction.atomic():
            delegations, refused = [], False
            for row in formset.filled_forms():
                party = row.cleaned_data["party"]
                if party is None:
                    try:
                        party = create_party(**row.new_party(), by=request.user)
                    except ValidationError as error:
                        _map_party_errors(row, error)
                        refused = True
                        continue
                delegations.append(
                    {
                        "party": party,
                        "head_name": row.cleaned_data["head_name"],
                        "head_title": row.cleaned_data["head_title"],
                    }
                )
            if refused:
                raise _NotSaved
            return create_agreement(
                by=request.user,
                **details.cleaned_data,
                parties=delegations,
                structure=structure.cleaned_data["structure"],
                copy_from=structure.cleaned_data["copy_from"],
            )
    except ValidationError as error:
        _map_agreement_errors(details, structure, formset, error)
        raise _NotSaved from error


def _typed(form) -> dict:
    """What was typed in a bound form, as the initial values of an unbound one."""
    return {name: form[name].value() for name in form.fields}


def _with_another_party(request, details, structure, formset, parties):
    """The same forms, unbound so that no error shows yet, keeping what was typed, with one
    more blank party row."""
    rows = [_typed(row) for row in formset.forms]
    more = PartyFormSet(initial=rows, prefix=PARTIES_PREFIX, form_kwargs={"parties": parties})
    more.extra = 1 if len(rows) < MAX_PARTIES else 0
    return (
        AgreementDetailsForm(initial=_typed(details)),
        StructureChoiceForm(initial=_typed(structure), user=request.user),
        more,
    )


@require_http_methods(["GET", "POST"])
def agreement_create(request):
    """Open a new agreement: its details, parties at the table and where its chapters come
    from, on one page; the person who opens it becomes its secretariat."""
    if not permissions.can_create_agreement(request.user):
        raise PermissionDenied
    parties = list(Party.objects.order_by("name"))
    form_kwargs = {"parties": parties}
    status = 200
    if request.method == "POST":
        details = AgreementDetailsForm(request.POST)
        structure = StructureChoiceForm(request.POST, user=request.user)
        formset = PartyFormSet(request.POST, prefix=PARTIES_PREFIX, form_kwargs=form_kwargs)
        if "add_party" in request.POST:
            details, structure, formset = _with_another_party(
                request, details, structure, formset, parties
            )
        else:
            status = 400
            if all([details.is_valid(), structure.is_valid(), formset.is_valid()]):
                try:
                    agreement = _create_agreement(request, details, structure, formset)
                except _NotSaved:
                    pass
                else:
                    messages.success(
                        request,
                        _("%(agreement)s is open, and you are its secretariat.")
                        % {"agreement": agreement.name},
                    )
                    return redirect("secretariat:workspace", slug=agreement.slug)
    else:
        details = AgreementDetailsForm()
        structure = StructureChoiceForm(user=request.user)
        formset = PartyFormSet(prefix=PARTIES_PREFIX, form_kwargs=form_kwargs)
    context = {
        "details": details,
        "structure": structure,
        "formset": formset,
        "standard_groups": standard_structure(),
        "errors": error_summary(details, structure, formset) if status == 400 else [],
        "can_add_party": formset.total_form_count() < MAX_PARTIES,
    }
    return render(request, "secretariat/agreement_form.html", context, status=status)


# --- Workspace ---------------------------------------------------------------------------------


def workspace(request, slug):
    """The secretariat's home for one agreement: where it stands, and a way into each task."""
    agreement = _managed_agreement(request, slug)
    context = {
        "agreement": agreement,
        "figures": selectors.workspace_figures(agreement),
        "rounds": list(agreement.rounds.select_related("host_party").order_by("number")),
        "meetings": selectors.upcoming_meetings(agreement),
        "deadlines": selectors.open_deadlines(agreement),
        "today": timezone.localdate(),
        "list_length": selectors.WORKSPACE_LIST_LENGTH,
    }
    return render(request, "secretariat/workspace.html", context)


# --- Settings ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def agreement_settings(request, slug):
    """Change the agreement's name, kind, status and milestone dates, and how many days ahead
    its people are reminded of meetings and deadlines (two forms, each saved on its own)."""
    agreement = _managed_agreement(request, slug)
    initial = {name: getattr(agreement, name) for name in AGREEMENT_FIELDS}
    lead = lead_times([agreement.pk])[agreement.pk]
    lead_initial = {
        "meeting_days": lead.meeting_days,
        "deadline_days": lead.deadline_days,
        "deadline_overdue": lead.deadline_overdue,
    }
    posted_lead_times = request.method == "POST" and "lead_times" in request.POST
    form = AgreementSettingsForm(
        request.POST if request.method == "POST" and not posted_lead_times else None,
        initial=initial,
        agreement=agreement,
    )
    lead_form = LeadTimesForm(request.POST if posted_lead_times else None, initial=lead_initial)
    if posted_lead_times and lead_form.is_valid():
        try:
            set_lead_times(agreement=agreement, by=request.user, **lead_form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(lead_form, error)
        else:
            messages.success(request, _("Reminder lead times saved."))
            return redirect("secretariat:settings", slug=agreement.slug)
    if form.is_bound and form.is_valid():
        try:
            update_agreement(
                agreement=agreement,
                by=request.user,
                **{name: form.cleaned_data[name] for name in AGREEMENT_FIELDS},
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("secretariat:settings", slug=agreement.slug)
    bound = form if form.is_bound else lead_form
    anchor = "settings-form" if form.is_bound else "lead-times-form"
    return render(
        request,
        "secretariat/settings.html",
        {
            "agreement": agreement,
            "form": form,
            "lead_form": lead_form,
            "errors": error_summary(bound, anchor=anchor) if bound.is_bound else [],
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Parties -----------------------------------------------------------------------------------


class DelegationTable(tables.Table):
    """The parties at an agreement's table, with a way to edit or remove each."""

    party = tables.Column(verbose_name=gettext_lazy("Party"), accessor="party__name")
    code = tables.Column(verbose_name=gettext_lazy("Code"), accessor="party__code")
    zone = tables.Column(
        verbose_name=gettext_lazy("Capital's time zone"), accessor="party__capital_time_zone"
    )
    head = tables.TemplateColumn(
        template_name="secretariat/_setup_delegation_head.html",
        verbose_name=gettext_lazy("Head of delegation"),
        empty_values=(),
    )
    actions = tables.TemplateColumn(
        template_name="secretariat/_setup_delegation_actions.html",
        verbose_name=gettext_lazy("Actions"),
        empty_values=(),
    )

    class Meta:
        orderable = False
        empty_text = gettext_lazy("No party is at the table yet.")


def _add_delegation(request, agreement, form):
    """A party (new or existing) to the table, both or neither."""
    data = form.cleaned_data
    try:
        with transaction.atomic():
            party = data["party"]
            if party is None:
                try:
                    party = create_party(**form.new_party(), by=request.user)
                except ValidationError as error:
                    _map_party_errors(form, error)
                    raise _NotSaved from error
            add_delegation(
                agreement=agreement,
                party=party,
                by=request.user,
                head_name=data["head_name"],
                head_title=data["head_title"],
            )
    except ValidationError as error:
        add_validation_errors(form, error)
        raise _NotSaved from error
    return party


@require_http_methods(["GET", "POST"])
def parties(request, slug):
    """The parties at the agreement's table: bring one more, change who heads a delegation,
    or take a party off the table while nothing of the agreement refers to it."""
    agreement = _managed_agreement(request, slug)
    here = reverse("secretariat:parties", kwargs={"slug": agreement.slug})
    delegations = selectors.delegations_of(agreement)
    add_form = edit_form = editing = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            add_form = AddDelegationForm(request.POST, agreement=agreement)
            if add_form.is_valid():
                try:
                    party = _add_delegation(request, agreement, add_form)
                except _NotSaved:
                    pass
                else:
                    messages.success(
                        request, _("%(party)s is at the table.") % {"party": party.name}
                    )
                    return redirect(here)
            status = 400
        elif action in ("update", "remove"):
            pk = _posted_id(request, "delegation")
            editing = next((d for d in delegations if d.pk == pk), None)
            if editing is None:
                messages.error(request, _("This party is no longer at the table."))
                return redirect(here)
            if action == "remove":
                try:
                    remove_delegation(delegation=editing, by=request.user)
                except ValidationError as error:
                    messages.error(request, _refusal_text(error))
                else:
                    messages.success(
                        request,
                        _("%(party)s has left the table.") % {"party": editing.party.name},
                    )
                return redirect(here)
            edit_form = DelegationForm(request.POST)
            if edit_form.is_valid():
                try:
                    update_delegation(delegation=editing, by=request.user, **edit_form.cleaned_data)
                except ValidationError as error:
                    add_validation_errors(edit_form, error)
                else:
                    messages.success(
                        request,
                        _("The delegation of %(party)s is saved.") % {"party": editing.party.name},
                    )
                    return redirect(here)
            status = 400
        else:
            return HttpResponseBadRequest(_("Unknown action."))
    else:
        pk = request.GET.get("edit", "")
        editing = next((d for d in delegations if str(d.pk) == pk), None)
        if editing is not None:
            edit_form = DelegationForm(
                initial={"head_name": editing.head_name, "head_title": editing.head_title}
            )
    if add_form is None:
        add_form = AddDelegationForm(agreement=agreement)
    table = DelegationTable(delegations)
    context = {
        "agreement": agreement,
        "table": table,
        "add_form": add_form,
        "edit_form": edit_form,
        "editing": editing,
        "errors": (
            error_summary(*(f for f in (edit_form, add_form) if f is not None and f.is_bound))
            if status == 400
            else []
        ),
    }
    return render(request, "secretariat/parties.html", context, status=status)


# --- Structure ---------------------------------------------------------------------------------


class _Refused(Exception):
    """An action of the structure editor was not carried out; `message` says why."""

    def __init__(self, message, *, status=400):
        super().__init__(message)
        self.message, self.status = message, status


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
    data = _valid(RenameWorkingGroupForm(request.POST, agreement=agreement))
    group = update_working_group(
        working_group=data["group"], name=data["name"], code=data["code"], by=request.user
    )
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
                for key in ("action", "group", "chapter", "name", "code", "title")
            }
    groups = _structure_rows(agreement, typed)
    context = {
        "agreement": agreement,
        "groups": groups,
        "new_group": typed if typed.get("action") == "add_group" else {},
    }
    return render(request, "secretariat/structure.html", context, status=status)
