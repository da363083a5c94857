"""The rules every admin form of the tracker follows (the other apps' admin modules use the
mixins below).

A choice list in an admin form offers only what belongs to the record's own agreement or, for
a new record, to the agreements the person steers, and names each choice's agreement: fifteen
parties' agreements all have a "Rules of Origin" group, and the admin must not let one be
picked for another's meeting.
"""

from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from negotiations import permissions
from negotiations.models import Agreement, Delegation, NegotiationRound, Party, RoleAssignment

# How to reach the agreement of each kind of record the admin edits or offers as a choice.
AGREEMENT_PATHS = {
    "negotiations.NegotiationRound": "agreement",
    "negotiations.Meeting": "agreement",
    "negotiations.Deadline": "agreement",
    "negotiations.Delegation": "agreement",
    "negotiations.RoleAssignment": "agreement",
    "negotiations.Commitment": "meeting__agreement",
    "workinggroups.WorkingGroup": "agreement",
    "workinggroups.Membership": "working_group__agreement",
    "workinggroups.Chapter": "working_group__agreement",
    "workinggroups.ChapterStatusChange": "chapter__working_group__agreement",
    "workinggroups.ContestedPoint": "chapter__working_group__agreement",
    "workinggroups.Position": "contested_point__chapter__working_group__agreement",
    "reminders.LeadTimes": "agreement",
}


def _walk(record, path: str):
    """Follow a `a__b__c` path of relations from a record; None where it breaks off."""
    value = record
    for step in path.split("__"):
        # A relation not set yet raises RelatedObjectDoesNotExist, an AttributeError.
        value = getattr(value, step, None)
        if value is None:
            return None
    return value


def agreement_id_of(record) -> int | None:
    """The id of the agreement a record belongs to; None for a record of no agreement."""
    if record is None:
        return None
    if isinstance(record, Agreement):
        return record.pk
    path = AGREEMENT_PATHS.get(record._meta.label)
    if path is None:
        return None
    *steps, last = path.split("__")
    holder = _walk(record, "__".join(steps)) if steps else record
    return getattr(holder, f"{last}_id", None) if holder is not None else None


def label_naming_agreement(record) -> str:
    """How a record is shown in a choice list: "Rules of Origin — CKFTA"."""
    if isinstance(record, NegotiationRound):
        return str(record)  # "Round 2 — CKFTA" already names it
    agreement = _walk(record, AGREEMENT_PATHS[record._meta.label])
    if agreement is None:
        return str(record)
    return gettext("%(choice)s — %(agreement)s") % {
        "choice": record,
        "agreement": agreement.short_name,
    }


class AgreementNamingChoiceField(forms.ModelChoiceField):
    """A drop-down whose choices name their agreement."""

    def label_from_instance(self, obj):
        """The record with its agreement's short name."""
        return label_naming_agreement(obj)


class AgreementNamingMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice whose choices name their agreement."""

    def label_from_instance(self, obj):
        """The record with its agreement's short name."""
        return label_naming_agreement(obj)


def people_of(agreements) -> models.QuerySet:
    """The people who hold a role in any of these agreements."""
    return get_user_model().objects.filter(
        Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), agreement__in=agreements))
    )


def people_managed_by(user) -> models.QuerySet:
    """The accounts a person may see and change in the administration site: everyone for a
    superuser, else the people of the agreements they steer."""
    if user.is_superuser:
        return get_user_model().objects.all()
    return people_of(permissions.steered_agreements(user))


def parties_at(agreements) -> models.QuerySet:
    """The parties at the table of any of these agreements."""
    return Party.objects.filter(
        Exists(Delegation.objects.filter(party=OuterRef("pk"), agreement__in=agreements))
    )


def scoped_choices(db_field, user, agreements):
    """(queryset, form field class or None) for a relation field: only what belongs to
    `agreements`. None for a relation whose choices belong to no agreement."""
    model = db_field.related_model
    if model is Agreement:
        return agreements, None
    if model is Party:
        if db_field.model is Delegation:
            return None  # bringing a party to the table: any party
        return parties_at(agreements), None
    if model is get_user_model():
        if db_field.model is RoleAssignment:
            return people_managed_by(user), None  # a role brings a person into an agreement
        return people_of(agreements), None
    path = AGREEMENT_PATHS.get(model._meta.label)
    if path is None:
        return None
    queryset = model._default_manager.filter(**{f"{path}__in": agreements}).select_related(path)
    if db_field.many_to_many:
        return queryset, AgreementNamingMultipleChoiceField
    return queryset, AgreementNamingChoiceField


class AgreementScopedForm(forms.ModelForm):
    """Refuses, with a message on the field, a choice that belongs to another agreement than
    the record's own: a group, chapter, round or meeting of another agreement, a party not
    at its table, a person without a role in it, a role the editor may not give."""

    # The person editing, set on the form class by the admin that builds it.
    editor = None

    def __init__(self, *args, **kwargs):
        """Build the form, keeping each saved choice on offer."""
        super().__init__(*args, **kwargs)
        self._keep_current_choices()

    def _keep_current_choices(self) -> None:
        """A saved record keeps offering its current choice even where it would no longer be
        offered (an owner who has since left the agreement), so that an unrelated edit is not
        blocked by it: it stays as it is until someone picks another."""
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            if type(field) not in (forms.ModelChoiceField, AgreementNamingChoiceField):
                continue
            current = getattr(self.instance, f"{name}_id", None)
            if current is not None:
                field.queryset = field.queryset | field.queryset.model._default_manager.filter(
                    pk=current
                )

    def clean(self):
        """Refuse the choices that belong to another agreement than the record's."""
        cleaned = super().clean()
        agreement_id, anchor = self._agreement_id(cleaned)
        if agreement_id is None:
            return cleaned
        model = self._meta.model
        # What was saved before was checked then; all is checked again if the record moves.
        check_all = self.instance.pk is None or anchor in self.changed_data
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField) or cleaned.get(name) is None:
                continue
            if not (check_all or name in self.changed_data):
                continue
            chosen = cleaned[name]
            chosen = list(chosen) if isinstance(field, forms.ModelMultipleChoiceField) else [chosen]
            message = self._refusal(model, field.queryset.model, chosen, agreement_id)
            if message:
                self.add_error(name, message)
        self._check_role(cleaned, agreement_id)
        return cleaned

    def _agreement_id(self, cleaned) -> tuple[int | None, str | None]:
        """The agreement of the record as the form would save it, and the field it is
        reached through."""
        path = AGREEMENT_PATHS.get(self._meta.model._meta.label)
        if path is None:
            return None, None
        anchor = path.split("__")[0]
        if anchor in self.fields:
            value = cleaned.get(anchor)
        else:
            value = getattr(self.instance, anchor, None)
        return agreement_id_of(value), anchor

    @staticmethod
    def _refusal(model, related, chosen, agreement_id) -> str | None:
        """Why these chosen records cannot go with a record of this agreement, or None."""
        if related is Agreement:
            return None
        if related is Party:
            if model is Delegation:
                return None
            seated = set(
                Delegation.objects.filter(agreement_id=agreement_id, party__in=chosen).values_list(
                    "party_id", flat=True
                )
            )
            outside = [party for party in chosen if party.pk not in seated]
            if outside:
                return ngettext(
                    "%(choices)s is not at this agreement's table.",
                    "%(choices)s are not at this agreement's table.",
                    len(outside),
                ) % {"choices": ", ".join(str(party) for party in outside)}
            return None
        if related is get_user_model():
            if model is RoleAssignment:
                return None
            holding = set(
                RoleAssignment.objects.filter(
                    agreement_id=agreement_id, user__in=chosen
                ).values_list("user_id", flat=True)
            )
            outside = [person for person in chosen if person.pk not in holding]
            if outside:
                return ngettext(
                    "%(choices)s holds no role in this agreement.",
                    "%(choices)s hold no role in this agreement.",
                    len(outside),
                ) % {"choices": ", ".join(str(person) for person in outside)}
            return None
        if related._meta.label not in AGREEMENT_PATHS:
            return None
        foreign = [record for record in chosen if agreement_id_of(record) != agreement_id]
        if foreign:
            return ngettext(
                "%(choices)s belongs to another agreement.",
                "%(choices)s belong to another agreement.",
                len(foreign),
            ) % {"choices": ", ".join(label_naming_agreement(record) for record in foreign)}
        return None

    def _check_role(self, cleaned, agreement_id) -> None:
        """Only the secretariat (and superusers) may make someone secretariat."""
        if self._meta.model is not RoleAssignment or "role" not in self.changed_data:
            return
        role = cleaned.get("role")
        if (
            role
            and self.editor is not None
            and role not in permissions.roles_grantable(self.editor, agreement_id)
        ):
            self.add_error("role", _("You may not give this role in this agreement."))


class _ScopedChoices:
    """Limits every foreign-key and many-to-many choice to the agreement of the record being
    edited (or of the record an inline belongs to) and to the agreements the person steers."""

    form = AgreementScopedForm

    def agreement_scope(self, request, obj) -> models.QuerySet:
        """The agreements whose records this form may offer."""
        steered = permissions.steered_agreements(request.user)
        agreement_id = agreement_id_of(obj)
        return steered if agreement_id is None else steered.filter(pk=agreement_id)

    def _formfield_callback(self, request, obj):
        """How the form builds its fields: with the choices of the record's agreement."""
        return partial(
            self.formfield_for_dbfield,
            request=request,
            agreement_scope=self.agreement_scope(request, obj),
        )

    def formfield_for_dbfield(self, db_field, request, agreement_scope=None, **kwargs):
        """Pass the agreements in question on to the relation fields alone."""
        if isinstance(db_field, (models.ForeignKey, models.ManyToManyField)):
            kwargs["agreement_scope"] = agreement_scope
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def _scope(self, db_field, request, agreement_scope, kwargs) -> None:
        """Put the scoped queryset and labelled field class into the field's arguments."""
        if agreement_scope is None:
            agreement_scope = permissions.steered_agreements(request.user)
        scoped = scoped_choices(db_field, request.user, agreement_scope)
        if scoped is not None:
            queryset, form_class = scoped
            kwargs.setdefault("queryset", queryset)
            if form_class is not None:
                kwargs.setdefault("form_class", form_class)

    def formfield_for_foreignkey(self, db_field, request, agreement_scope=None, **kwargs):
        """A drop-down of the agreement's records only, naming their agreement."""
        self._scope(db_field, request, agreement_scope, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, agreement_scope=None, **kwargs):
        """A multiple choice of the agreement's records only, naming their agreement."""
        self._scope(db_field, request, agreement_scope, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedChoicesAdmin(_ScopedChoices):
    """For a ModelAdmin: its form's choices are of the record's agreement (see above)."""

    # What the record's services never change once it exists (its agreement, its meeting).
    fixed_after_creation = ()

    def get_readonly_fields(self, request, obj=None):
        """Once saved, what the services never change is shown, not offered."""
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        return [*fields, *(name for name in self.fixed_after_creation if name not in fields)]

    def get_form(self, request, obj=None, **kwargs):
        """The form class, with scoped choices and knowing who edits."""
        kwargs.setdefault("formfield_callback", self._formfield_callback(request, obj))
        form = super().get_form(request, obj, **kwargs)
        form.editor = request.user
        return form


class ScopedChoicesInline(_ScopedChoices):
    """For an inline: its choices are of the agreement of the record it is shown in, and a
    staff member sees only the rows of the agreements they steer."""

    def get_queryset(self, request):
        """The inline's rows: for a staff member, those of the agreements they steer."""
        queryset = super().get_queryset(request)
        path = AGREEMENT_PATHS.get(self.model._meta.label)
        if path is None or request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{path}__in": permissions.steered_agreements(request.user)})

    def get_formset(self, request, obj=None, **kwargs):
        """The formset class, with scoped choices and knowing who edits."""
        kwargs.setdefault("formfield_callback", self._formfield_callback(request, obj))
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.editor = request.user
        return formset


class ScopedListFilter(admin.RelatedOnlyFieldListFilter):
    """A list filter offering only what occurs in the rows this person sees, each choice
    naming its agreement.

    Choices that belong to an agreement (working groups, say) are offered once an agreement
    is chosen in the list's agreement filter, and only that agreement's: across every
    agreement they run to thousands, which nobody scrolls through and whose reading would
    grow with the data."""

    def field_choices(self, field, request, model_admin):
        """(pk, label) of each record that occurs in the rows this person sees."""
        model = field.related_model
        used = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        queryset = model._default_manager.filter(pk__in=used)
        path = AGREEMENT_PATHS.get(model._meta.label)
        if path is None:
            return [(record.pk, str(record)) for record in queryset]
        agreement_path = getattr(model_admin, "agreement_path", None)
        if agreement_path and agreement_path != self.field_path:
            chosen = request.GET.get(f"{agreement_path}__id__exact", "")
            if not chosen.isdigit():
                return []
            queryset = queryset.filter(**{f"{path}_id": int(chosen)})
        return [
            (record.pk, label_naming_agreement(record)) for record in queryset.select_related(path)
        ]


def adopt(obj, saved) -> None:
    """Make the admin's unsaved copy the record a service saved, so that its inlines, log
    entry and redirect refer to it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db
