"""The inlines of the agreement and meeting pages; a row ticked for deletion in some of them
is removed by the same service as on the product's pages.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from negotiations.admin.scoping import ScopedChoicesInline
from negotiations.admin.versions import VersionCheckedForm
from negotiations.models import Commitment, Delegation, NegotiationRound, RoleAssignment
from negotiations.services import remove_delegation, remove_role


class _Rehearsal(Exception):
    """Raised to roll back a removal tried only to learn whether it would be refused."""


class RemovedByServiceFormSet(forms.BaseInlineFormSet):
    """An inline whose rows, when ticked for deletion, are removed by the same service as on
    the product's pages: it refuses what they refuse (the agreement's last secretariat, a
    party still referred to) on the form, before anything is saved, and writes the audit."""

    # Set by the admin that builds the formset: the person editing.
    editor = None
    # The audit entry is written by the service; the admin mixin must not write a second.
    audits_deletions = True

    def remove(self, obj):
        raise NotImplementedError

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk is None:
                continue
            try:
                with transaction.atomic():
                    self.remove(type(form.instance)._default_manager.get(pk=form.instance.pk))
                    raise _Rehearsal
            except _Rehearsal:
                pass
            except ValidationError as refusal:
                raise ValidationError(refusal.messages) from refusal

    def delete_existing(self, obj, commit=True):
        if commit:
            self.remove(obj)


class DelegationRemovalFormSet(RemovedByServiceFormSet):
    def remove(self, obj):
        remove_delegation(delegation=obj, by=self.editor)


class RoleRemovalFormSet(RemovedByServiceFormSet):
    def remove(self, obj):
        remove_role(assignment=obj, by=self.editor)


class RemovedByServiceInline(ScopedChoicesInline):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.editor = request.user
        return formset


class DelegationInline(RemovedByServiceInline, admin.TabularInline):
    model = Delegation
    formset = DelegationRemovalFormSet
    extra = 0
    autocomplete_fields = ["party"]


class RoleAssignmentInline(RemovedByServiceInline, admin.TabularInline):
    model = RoleAssignment
    formset = RoleRemovalFormSet
    extra = 0


class AgreementRoleInline(RoleAssignmentInline):
    autocomplete_fields = ["user"]


class NegotiationRoundInline(ScopedChoicesInline, admin.TabularInline):
    model = NegotiationRound
    extra = 0
    fields = ["number", "starts_on", "ends_on", "mode", "host_party", "location"]


class CommitmentInline(ScopedChoicesInline, admin.TabularInline):
    """The commitments made at a meeting: each row carries the version it showed, and is
    saved by the commitment services (see `MeetingAdmin.save_formset`)."""

    model = Commitment
    form = VersionCheckedForm
    extra = 0
    fields = ["party", "text", "owner", "chapter", "due_on", "status", "version"]
