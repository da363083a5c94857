from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdminMixin
from negotiations.admin import ScopedChoicesAdmin, ScopedChoicesInline, ScopedListFilter
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Membership,
    Position,
    WorkingGroup,
)
from workinggroups.services import EditConflict, change_chapter_status


class MembershipInline(ScopedChoicesInline, admin.TabularInline):
    model = Membership
    extra = 0


class ChapterInline(admin.TabularInline):
    model = Chapter
    extra = 0
    fields = ["title", "order", "status"]
    readonly_fields = ["status"]
    show_change_link = True


class StatusChangeInline(admin.TabularInline):
    """The history is append-only: it is written by the status-change service alone."""

    model = ChapterStatusChange
    extra = 0
    can_delete = False
    fields = ["effective_at", "from_status", "to_status", "negotiation_round", "meeting", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PositionInline(ScopedChoicesInline, admin.TabularInline):
    model = Position
    extra = 0


@admin.register(WorkingGroup)
class WorkingGroupAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    list_display = ["name", "code", "agreement", "order"]
    list_filter = [("agreement", ScopedListFilter)]
    search_fields = ["name", "code"]
    list_select_related = ["agreement"]
    inlines = [ChapterInline, MembershipInline]


@admin.register(Chapter)
class ChapterAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "working_group__agreement"
    list_display = ["title", "working_group", "status", "order"]
    list_filter = [
        "status",
        ("working_group__agreement", ScopedListFilter),
        ("working_group", ScopedListFilter),
    ]
    search_fields = ["title", "working_group__name"]
    list_select_related = ["working_group"]
    readonly_fields = ["version"]
    inlines = [StatusChangeInline]

    def save_model(self, request, obj, form, change):
        """A status edited here goes through the same service as everywhere else."""
        if not (change and "status" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        new_status = obj.status
        obj.status = form.initial["status"]
        other_fields = [f for f in form.changed_data if f != "status"]
        if other_fields:
            before = self._before(obj)
            obj.save(update_fields=other_fields)
            self._record(request, obj, before)
        try:
            change_chapter_status(
                chapter=obj,
                to_status=new_status,
                by=request.user,
                note=str(_("Changed in the administration site.")),
            )
        except (ValidationError, EditConflict) as error:
            self.message_user(request, "; ".join(_messages_of(error)), messages.ERROR)


def _messages_of(error):
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error)]


@admin.register(ChapterStatusChange)
class ChapterStatusChangeAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "chapter__working_group__agreement"
    list_display = ["chapter", "from_status", "to_status", "negotiation_round", "effective_at"]
    list_filter = ["to_status", ("chapter__working_group__agreement", ScopedListFilter)]
    search_fields = ["chapter__title", "note"]
    date_hierarchy = "effective_at"
    list_select_related = ["chapter", "negotiation_round__agreement"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContestedPoint)
class ContestedPointAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "chapter__working_group__agreement"
    list_display = ["title", "chapter", "state", "owner", "target_date", "resolved_on"]
    list_filter = [
        "state",
        ("chapter__working_group__agreement", ScopedListFilter),
        ("chapter__working_group", ScopedListFilter),
    ]
    search_fields = ["title", "description", "chapter__title"]
    list_select_related = ["chapter", "owner"]
    readonly_fields = ["version"]
    inlines = [PositionInline]

    def save_model(self, request, obj, form, change):
        if change:
            # An edit here is a new version too: an open web form based on the old one is refused.
            obj.version += 1
        super().save_model(request, obj, form, change)
