"""The parties at an agreement's table: bring one more, change who heads a delegation, or
take one off the table.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from negotiations.forms.common import show_refusal
from negotiations.forms.schedule import refuse_stale, watch
from negotiations.services import add_delegation, create_party, remove_delegation, update_delegation
from secretariat import selectors
from secretariat.forms import AddDelegationForm, DelegationForm
from secretariat.tables import DelegationTable
from secretariat.views.agreements import (
    _managed_agreement,
    _map_party_errors,
    _NotSaved,
    _refusal_text,
    error_summary,
)
from workinggroups.services import EditConflict, fingerprint


def _posted_id(request, name) -> int | None:
    """An object's id posted by one of the page's forms, or None if it is not a number."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


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
        show_refusal(form, error)
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
            watch(edit_form, fingerprint(editing))
            status = 400
            if edit_form.is_valid():
                data = edit_form.cleaned_data
                try:
                    update_delegation(
                        delegation=editing,
                        by=request.user,
                        head_name=data["head_name"],
                        head_title=data["head_title"],
                        expected_fingerprint=data["seen"] or None,
                    )
                except EditConflict as error:
                    current = error.current
                    saved = {"head_name": current.head_name, "head_title": current.head_title}
                    refuse_stale(edit_form, saved=saved, fingerprint=fingerprint(current))
                    status = 409
                except ValidationError as error:
                    show_refusal(edit_form, error)
                else:
                    messages.success(
                        request,
                        _("The delegation of %(party)s is saved.") % {"party": editing.party.name},
                    )
                    return redirect(here)
        else:
            return HttpResponseBadRequest(_("Unknown action."))
    else:
        pk = request.GET.get("edit", "")
        editing = next((d for d in delegations if str(d.pk) == pk), None)
        if editing is not None:
            edit_form = DelegationForm(
                initial={"head_name": editing.head_name, "head_title": editing.head_title}
            )
            watch(edit_form, fingerprint(editing))
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
            if status in (400, 409)
            else []
        ),
    }
    return render(request, "secretariat/parties.html", context, status=status)
