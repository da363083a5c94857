"""The administration site for agreements, their parties, people, rounds, meetings, deadlines
and commitments; and the rules every admin form of the tracker follows (the other apps'
admin modules use the mixins below).

A choice list in an admin form offers only what belongs to the record's own agreement or, for
a new record, to the agreements the person steers, and names each choice's agreement: fifteen
parties' agreements all have a "Rules of Origin" group, and the admin must not let one be
picked for another's meeting.
"""

import datetime as dt
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimeZoneField
from accounts.models import zone_named
from audit.admin import AuditedAdminMixin
from audit.services import record_delete
from negotiations import permissions
from negotiations.choices import Role
from negotiations.models import (
    Agreement,
    Commitment,
    Deadline,
    Delegation,
    Meeting,
    NegotiationRound,
    Party,
    RoleAssignment,
)
from negotiations.services import (
    Structure,
    create_agreement,
    create_commitment,
    create_deadline,
    create_meeting,
    create_round,
    in_zone,
    remove_delegation,
    remove_role,
    update_agreement,
    update_commitment,
    update_deadline,
    update_meeting,
    update_round,
    zone_for,
)
from negotiations.services.schedule import DEADLINE_FIELDS, MEETING_FIELDS, ROUND_FIELDS

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

COMMITMENT_FIELDS = ("text", "party", "owner", "chapter", "due_on", "status")


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
    naming its agreement."""

    def field_choices(self, field, request, model_admin):
        """(pk, label) of each record that occurs in the rows this person sees."""
        model = field.related_model
        used = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        queryset = model._default_manager.filter(pk__in=used)
        path = AGREEMENT_PATHS.get(model._meta.label)
        if path is None:
            return [(record.pk, str(record)) for record in queryset]
        return [
            (record.pk, label_naming_agreement(record)) for record in queryset.select_related(path)
        ]


def adopt(obj, saved) -> None:
    """Make the admin's unsaved copy the record a service saved, so that its inlines, log
    entry and redirect refer to it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


# --- Inlines -----------------------------------------------------------------------------------


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
    model = Commitment
    extra = 0
    fields = ["party", "text", "owner", "chapter", "due_on", "status"]


# --- Parties and agreements --------------------------------------------------------------------


class PartyAdminForm(forms.ModelForm):
    capital_time_zone = TimeZoneField(
        label=_("Capital time zone"),
        help_text=_("Used to show each delegation its own local time."),
    )


@admin.register(Party)
class PartyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PartyAdminForm
    list_display = ["name", "code", "capital_time_zone"]
    search_fields = ["name", "code"]


@admin.register(Agreement)
class AgreementAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "pk"
    list_display = [
        "name",
        "short_name",
        "status",
        "launched_on",
        "target_conclusion_on",
        "is_demo",
    ]
    list_filter = ["status", "is_demo", ("parties", ScopedListFilter)]
    search_fields = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [DelegationInline, NegotiationRoundInline, AgreementRoleInline]
    # What the service that opens an agreement does not set; changed once it exists.
    fields_set_later = ("slug", "is_demo")

    def has_add_permission(self, request):
        """Only who may open agreements (negotiations.permissions) gets the add page."""
        return super().has_add_permission(request) and permissions.can_create_agreement(
            request.user
        )

    def get_fields(self, request, obj=None):
        """A new agreement's form leaves out what the opening service sets itself."""
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in self.fields_set_later]
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        """The slug is made by the service for a new agreement: nothing to prefill."""
        return super().get_prepopulated_fields(request, obj) if obj is not None else {}

    def get_inlines(self, request, obj):
        """A new agreement: its parties only."""
        # Its creator becomes its secretariat, and rounds need its parties: both once it exists.
        return self.inlines if obj is not None else [DelegationInline]

    def save_model(self, request, obj, form, change):
        """A new agreement is opened by the service, which makes its creator its secretariat:
        it must not vanish from the sight of the one who opened it."""
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        agreement = create_agreement(
            by=request.user,
            structure=Structure.EMPTY,
            **{
                name: data[name]
                for name in (
                    "name",
                    "short_name",
                    "kind",
                    "description",
                    "launched_on",
                    "target_conclusion_on",
                )
                if name in data
            },
        )
        later = {
            name: data[name]
            for name in ("status", "concluded_on", "signed_on", "in_force_on")
            if name in data and data[name] != getattr(agreement, name)
        }
        if later:
            agreement = update_agreement(agreement=agreement, by=request.user, **later)
        adopt(obj, agreement)


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    list_display = ["__str__", "agreement", "starts_on", "ends_on", "mode", "host_party"]
    list_filter = [("agreement", ScopedListFilter), "mode"]
    search_fields = ["agreement__name", "summary", "location"]
    list_select_related = ["agreement", "host_party"]

    def save_model(self, request, obj, form, change):
        """Saved by the round services."""
        fields = {name: getattr(obj, name) for name in ROUND_FIELDS}
        if change:
            saved = update_round(negotiation_round=obj, by=request.user, **fields)
        else:
            saved = create_round(agreement=obj.agreement, by=request.user, **fields)
        adopt(obj, saved)


# --- Meetings ----------------------------------------------------------------------------------


class MeetingClockWidget(AdminSplitDateTime):
    """The admin's date and time inputs, without the note its script adds when the browser's
    clock differs from the editor's zone ("Enter times in the Asia/Phnom_Penh timezone"):
    these times are on the meeting's clock, and that note would say otherwise."""

    def render(self, name, value, attrs=None, renderer=None):
        """The inputs, and a marker that keeps the admin script's zone note away."""
        html = super().render(name, value, attrs, renderer)
        # The script adds its note only where no element of this class is present yet.
        return html + mark_safe('<span class="timezonewarning" hidden></span>')


class MeetingTimeField(forms.SplitDateTimeField):
    """A day and a time on the meeting's own clock. Left without a zone here: the form
    places it in the meeting's zone, which is only known once the whole form is read."""

    widget = MeetingClockWidget

    def compress(self, data_list):
        """The day and time typed, as a clock reading without a zone."""
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return dt.datetime.combine(day, time)


MEETING_TIME_HELP = _(
    "On the meeting's own clock, in its time zone below (or its host's capital's), "
    "whoever types it: not in your time zone."
)


class MeetingAdminForm(AgreementScopedForm):
    """Start and end are typed and shown in the meeting's time zone, never the editor's."""

    starts_at = MeetingTimeField(label=_("Starts at"), help_text=MEETING_TIME_HELP)
    ends_at = MeetingTimeField(label=_("Ends at"), help_text=MEETING_TIME_HELP)
    time_zone = TimeZoneField(
        required=False,
        include_blank=_("The host's capital"),
        help_text=_(
            "The zone the meeting is held in, and its times are typed in; "
            "empty: the host's capital's."
        ),
    )

    def __init__(self, *args, **kwargs):
        """Show a saved meeting's times on its own clock."""
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            zone = zone_named(self.instance.time_zone)
            for name in ("starts_at", "ends_at"):
                moment = getattr(self.instance, name)
                if moment is not None:
                    self.initial[name] = moment.astimezone(zone).replace(tzinfo=None)

    def clean(self):
        """Place the times typed in the meeting's zone (its host's capital's if none)."""
        cleaned = super().clean()
        zone = zone_for(
            time_zone=cleaned.get("time_zone"),
            host_party=cleaned.get("host_party"),
            negotiation_round=cleaned.get("negotiation_round"),
        )
        cleaned["time_zone"] = zone
        for name in ("starts_at", "ends_at"):
            local = cleaned.get(name)
            if local is not None:
                cleaned[name] = in_zone(local.date(), local.time(), zone)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error("ends_at", _("A meeting ends after it starts."))
        return cleaned


def _save_commitments(request, formset) -> None:
    """The commitments typed on a meeting's page go through the commitment services, which
    keep every status move for the "as of" views."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        commitment = form.instance
        if form in deleted:
            record_delete(instance=commitment, actor=request.user)
            commitment.delete()
            formset.deleted_objects.append(commitment)
        elif form.has_changed():
            fields = {name: getattr(commitment, name) for name in COMMITMENT_FIELDS}
            saved = update_commitment(commitment=commitment, by=request.user, **fields)
            formset.changed_objects.append((saved, form.changed_data))
    for form in formset.extra_forms:
        if form in deleted or not form.has_changed():
            continue
        fields = {name: getattr(form.instance, name) for name in COMMITMENT_FIELDS}
        formset.new_objects.append(
            create_commitment(meeting=formset.instance, by=request.user, **fields)
        )


@admin.register(Meeting)
class MeetingAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    form = MeetingAdminForm
    list_display = ["title", "agreement", "kind", "local_start", "is_cancelled"]
    list_filter = [("agreement", ScopedListFilter), "kind", "is_cancelled"]
    search_fields = ["title", "location", "summary"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["working_groups"]
    list_select_related = ["agreement"]
    inlines = [CommitmentInline]

    @admin.display(description=_("starts (local time)"), ordering="starts_at")
    def local_start(self, obj):
        """The start on the meeting's own clock, with its zone."""
        moment = obj.starts_at.astimezone(zone_named(obj.time_zone))
        return f"{moment:%Y-%m-%d %H:%M} ({obj.time_zone})"

    def get_inlines(self, request, obj):
        """A new meeting: no commitments yet; they are made at it, added once it exists."""
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Saved by the meeting services, which refuse another agreement's groups too."""
        fields = {name: getattr(obj, name) for name in MEETING_FIELDS}
        groups = form.cleaned_data.get("working_groups")
        if change:
            saved = update_meeting(
                meeting=obj,
                by=request.user,
                working_groups=None if "working_groups" not in form.fields else groups,
                **fields,
            )
        else:
            saved = create_meeting(
                agreement=obj.agreement,
                by=request.user,
                working_groups=groups or [],
                **fields,
            )
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        """Save the inlines; the groups were saved by the meeting service."""
        # The working groups were saved by the meeting service along with the meeting.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Commitments through their services; anything else as the mixin does."""
        if formset.model is Commitment:
            _save_commitments(request, formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(Deadline)
class DeadlineAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    list_display = ["title", "agreement", "working_group", "due_on", "done", "done_on"]
    list_filter = [("agreement", ScopedListFilter), "done"]
    search_fields = ["title"]
    date_hierarchy = "due_on"
    list_select_related = ["agreement", "working_group"]

    def save_model(self, request, obj, form, change):
        """Saved by the deadline services, which refuse another agreement's meeting."""
        fields = {name: getattr(obj, name) for name in DEADLINE_FIELDS}
        if change:
            saved = update_deadline(deadline=obj, by=request.user, **fields)
        else:
            saved = create_deadline(agreement=obj.agreement, by=request.user, **fields)
        adopt(obj, saved)


@admin.register(Commitment)
class CommitmentAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "meeting__agreement"
    fixed_after_creation = ["meeting"]
    list_display = ["__str__", "meeting", "party_or_joint", "owner", "due_on", "status"]
    list_filter = ["status", ("meeting__agreement", ScopedListFilter), ("party", ScopedListFilter)]
    search_fields = ["text"]
    list_select_related = ["meeting", "party", "owner"]
    readonly_fields = ["version"]

    @admin.display(description=_("party"))
    def party_or_joint(self, obj):
        """The party that made it, or both (all) parties."""
        return obj.party or _("Both parties")

    def save_model(self, request, obj, form, change):
        """Saved by the commitment services, which keep every status move."""
        fields = {name: getattr(obj, name) for name in COMMITMENT_FIELDS}
        if change:
            saved = update_commitment(commitment=obj, by=request.user, **fields)
        else:
            saved = create_commitment(meeting=obj.meeting, by=request.user, **fields)
        adopt(obj, saved)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["user", "agreement", "role", "party"]
    list_filter = ["role", ("agreement", ScopedListFilter)]
    search_fields = ["user__username", "user__email", "user__last_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "agreement", "party"]

    def has_delete_permission(self, request, obj=None):
        """The agreement's last secretariat is not offered for deletion: nobody would be left
        to run it."""
        if obj is not None and obj.role == Role.SECRETARIAT:
            others = obj.agreement.roles.filter(role=Role.SECRETARIAT).exclude(pk=obj.pk)
            if not others.exists():
                return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        """Through the service, which also drops the person's seats in the agreement's groups
        and writes the audit."""
        remove_role(assignment=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("agreement"):
            try:
                remove_role(assignment=assignment, by=request.user)
            except ValidationError as refusal:
                self.message_user(request, " ".join(refusal.messages), messages.ERROR)
