"""The administration of parties, agreements, and who holds which role in them."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimeZoneField
from audit.admin import AuditedAdminMixin
from negotiations import permissions
from negotiations.admin.inlines import AgreementRoleInline, DelegationInline, NegotiationRoundInline
from negotiations.admin.scoping import ScopedChoicesAdmin, ScopedListFilter, adopt
from negotiations.choices import Role
from negotiations.models import Agreement, Party, RoleAssignment
from negotiations.services import Structure, create_agreement, remove_role, update_agreement


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

    # A party sits at the tables of many agreements, and any party may be brought to a table
    # (its search answers for all): all are read, but a change to one is a change in every
    # agreement it is at, which only a superuser makes here.
    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


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
