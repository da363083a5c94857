"""The secretariat's workspace: open an agreement, then keep its details, parties, working
groups and chapters current, in the product's own pages: never the administration site, and
never the staff flag.

Every view asks `negotiations.permissions`; every write goes through the services. Each page
works without JavaScript: every action is a plain form, answered by a redirect (with a message)
when it succeeds, or by the page again (with what was typed, status 400 or 409) when refused.

Here: a new agreement, its workspace and its settings, and what the other pages of the
workspace share (`_managed_agreement`, `error_summary`); its parties are in `parties`, its
working groups and chapters in `structure`.
"""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.forms import BaseFormSet, RadioSelect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from negotiations import permissions
from negotiations.forms.common import show_refusal
from negotiations.forms.schedule import refuse_stale, watch
from negotiations.models import Agreement, Party
from negotiations.services import (
    AGREEMENT_FIELDS,
    create_agreement,
    create_party,
    standard_structure,
    update_agreement,
)
from reminders.forms import LeadTimesForm
from reminders.selectors import lead_times
from reminders.services import set_lead_times
from secretariat import selectors
from secretariat.forms import (
    MAX_PARTIES,
    AgreementDetailsForm,
    AgreementSettingsForm,
    PartyFormSet,
    StructureChoiceForm,
)
from workinggroups.services import EditConflict, fingerprint

PARTIES_PREFIX = "parties"


def _managed_agreement(request, slug) -> Agreement:
    """The agreement named in the URL, if this person may manage it (404 / 403 otherwise)."""
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_manage_agreement(request.user, agreement.pk):
        raise PermissionDenied
    return agreement


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
    watch(form, fingerprint(agreement))
    lead_form = LeadTimesForm(request.POST if posted_lead_times else None, initial=lead_initial)
    status = 400 if request.method == "POST" else 200
    if posted_lead_times and lead_form.is_valid():
        try:
            set_lead_times(agreement=agreement, by=request.user, **lead_form.cleaned_data)
        except ValidationError as error:
            show_refusal(lead_form, error)
        else:
            messages.success(request, _("Reminder lead times saved."))
            return redirect("secretariat:settings", slug=agreement.slug)
    if form.is_bound and form.is_valid():
        try:
            update_agreement(
                agreement=agreement,
                by=request.user,
                expected_fingerprint=form.cleaned_data["seen"] or None,
                **{name: form.cleaned_data[name] for name in AGREEMENT_FIELDS},
            )
        except EditConflict as error:
            current = error.current
            saved = {name: getattr(current, name) for name in AGREEMENT_FIELDS}
            refuse_stale(form, saved=saved, fingerprint=fingerprint(current))
            status = 409
        except ValidationError as error:
            show_refusal(form, error)
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
        status=status,
    )
