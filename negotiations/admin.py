from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdminMixin
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


class DelegationInline(admin.TabularInline):
    model = Delegation
    extra = 0
    autocomplete_fields = ["party"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["agreement", "party"]


class AgreementRoleInline(RoleAssignmentInline):
    autocomplete_fields = ["user", "party"]


class NegotiationRoundInline(admin.TabularInline):
    model = NegotiationRound
    extra = 0
    fields = ["number", "starts_on", "ends_on", "mode", "host_party", "location"]


class CommitmentInline(admin.TabularInline):
    model = Commitment
    extra = 0
    fields = ["party", "text", "owner", "due_on", "status"]
    autocomplete_fields = ["owner"]


@admin.register(Party)
class PartyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "capital_time_zone"]
    search_fields = ["name", "code"]


@admin.register(Agreement)
class AgreementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "pk"
    list_display = [
        "name",
        "short_name",
        "status",
        "launched_on",
        "target_conclusion_on",
        "is_demo",
    ]
    list_filter = ["status", "is_demo", "parties"]
    search_fields = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [DelegationInline, NegotiationRoundInline, AgreementRoleInline]


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["__str__", "agreement", "starts_on", "ends_on", "mode", "host_party"]
    list_filter = ["agreement", "mode"]
    search_fields = ["agreement__name", "summary", "location"]
    list_select_related = ["agreement", "host_party"]


@admin.register(Meeting)
class MeetingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["title", "agreement", "kind", "starts_at", "time_zone", "is_cancelled"]
    list_filter = ["agreement", "kind", "is_cancelled"]
    search_fields = ["title", "location", "summary"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["working_groups"]
    list_select_related = ["agreement"]
    inlines = [CommitmentInline]


@admin.register(Deadline)
class DeadlineAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["title", "agreement", "working_group", "due_on", "done", "done_on"]
    list_filter = ["agreement", "done"]
    search_fields = ["title"]
    date_hierarchy = "due_on"
    list_select_related = ["agreement", "working_group"]


@admin.register(Commitment)
class CommitmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "meeting__agreement"
    list_display = ["__str__", "meeting", "party_or_joint", "owner", "due_on", "status"]
    list_filter = ["status", "meeting__agreement", "party"]
    search_fields = ["text"]
    autocomplete_fields = ["owner"]
    list_select_related = ["meeting", "party", "owner"]

    @admin.display(description=_("party"))
    def party_or_joint(self, obj):
        return obj.party or _("Both parties")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["user", "agreement", "role", "party"]
    list_filter = ["role", "agreement"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    autocomplete_fields = ["user", "agreement", "party"]
    list_select_related = ["user", "agreement", "party"]
