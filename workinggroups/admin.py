from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdminMixin
from negotiations.admin import (
    RemovedByServiceFormSet,
    RemovedByServiceInline,
    ScopedChoicesAdmin,
    ScopedChoicesInline,
    ScopedListFilter,
    adopt,
)
from negotiations.admin.versions import (
    ShownInitialForm,
    VersionCheckedAdmin,
    VersionCheckedForm,
)
from negotiations.forms.common import NOTE_MAX_LENGTH
from negotiations.models import Party
from workinggroups.choices import ContestedPointState
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Membership,
    Position,
    WorkingGroup,
)
from workinggroups.services import (
    change_chapter_status,
    create_chapter,
    create_working_group,
    delete_chapter,
    escalate_contested_point,
    open_contested_point,
    resolve_contested_point,
    update_chapter,
    update_contested_point,
    update_working_group,
)


class MembershipInline(ScopedChoicesInline, admin.TabularInline):
    model = Membership
    extra = 0


class ChapterRemovalFormSet(RemovedByServiceFormSet):
    """A chapter is removed by its service, which refuses one that has a history."""

    def remove(self, obj):
        delete_chapter(chapter=obj, by=self.editor)


class ChapterInline(RemovedByServiceInline, admin.TabularInline):
    """A group's chapters: renamed, reordered, added and removed by the chapter services,
    each row carrying the version it showed."""

    model = Chapter
    form = VersionCheckedForm
    formset = ChapterRemovalFormSet
    extra = 0
    fields = ["title", "order", "status", "version"]
    readonly_fields = ["status"]
    show_change_link = True


def _save_chapters(request, formset) -> None:
    """The chapter rows of a group's page, through the chapter services."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        data = form.cleaned_data
        if form in deleted:
            delete_chapter(chapter=Chapter.objects.get(pk=form.instance.pk), by=request.user)
            formset.deleted_objects.append(form.instance)
        elif set(form.changed_data) - {"version"}:
            saved = update_chapter(
                chapter=form.instance,
                by=request.user,
                title=data["title"],
                order=data["order"],
                expected_version=data["version"],
            )
            formset.changed_objects.append((saved, form.changed_data))
    for form in formset.extra_forms:
        if form in deleted or not form.has_changed():
            continue
        formset.new_objects.append(
            create_chapter(
                working_group=formset.instance,
                title=form.cleaned_data["title"],
                order=form.cleaned_data["order"],
                by=request.user,
            )
        )


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
    """Each party's position: saved with the point, by its service, as part of its version."""

    model = Position
    form = ShownInitialForm
    extra = 0


@admin.register(WorkingGroup)
class WorkingGroupAdmin(
    VersionCheckedAdmin, ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin
):
    agreement_path = "agreement"
    list_display = ["name", "code", "agreement", "order"]
    list_filter = [("agreement", ScopedListFilter)]
    search_fields = ["name", "code"]
    list_select_related = ["agreement"]
    inlines = [ChapterInline, MembershipInline]
    # The working-group services never move a group to another agreement.
    fixed_after_creation = ["agreement"]

    def save_model(self, request, obj, form, change):
        """Saved by the working-group services, as on the structure page."""
        fields = {"name": obj.name, "code": obj.code, "order": obj.order}
        if change:
            saved = update_working_group(working_group=obj, by=request.user, **fields)
        else:
            saved = create_working_group(agreement=obj.agreement, by=request.user, **fields)
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        """Chapters through their services; memberships as the mixin does."""
        if formset.model is Chapter:
            _save_chapters(request, formset)
        else:
            super().save_formset(request, form, formset, change)


# --- Chapters ----------------------------------------------------------------------------------


class ChapterAdminForm(VersionCheckedForm):
    """A chapter's fields, its version, and the note its history keeps with a status change."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "With a status change: what was agreed, or why the chapter moved, kept in its "
            "history. Needed when moving backwards."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("note", "").strip() and "status" not in self.changed_data:
            self.add_error("note", _("A note is kept with a status change: change the status."))
        return cleaned


@admin.register(Chapter)
class ChapterAdmin(VersionCheckedAdmin, ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "working_group__agreement"
    form = ChapterAdminForm
    list_display = ["title", "working_group", "status", "order"]
    list_filter = [
        "status",
        ("working_group__agreement", ScopedListFilter),
        ("working_group", ScopedListFilter),
    ]
    search_fields = ["title", "working_group__name"]
    list_select_related = ["working_group"]
    readonly_fields = ["saved_version"]
    inlines = [StatusChangeInline]

    def get_inlines(self, request, obj):
        """A new chapter has no history yet."""
        return self.inlines if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["working_group", "title", "order"]
        return ["working_group", "title", "order", "status", "note", "version", "saved_version"]

    def save_model(self, request, obj, form, change):
        """Through the chapter services, as on the chapter's page: a rename or move by
        `update_chapter`, a status change by `change_chapter_status` with its history row,
        each refused if the chapter is no longer the version the form showed."""
        data = form.cleaned_data
        if not change:
            adopt(
                obj,
                create_chapter(
                    working_group=data["working_group"],
                    title=data["title"],
                    order=data["order"],
                    by=request.user,
                ),
            )
            return
        seen = data["version"]
        moved = {
            name: data[name]
            for name in ("working_group", "title", "order")
            if name in form.changed_data
        }
        if moved:
            seen = update_chapter(
                chapter=obj, by=request.user, expected_version=seen, **moved
            ).version
        if "status" in form.changed_data:
            change_chapter_status(
                chapter=obj,
                to_status=data["status"],
                by=request.user,
                note=data["note"],
                expected_version=seen,
            )
        adopt(obj, Chapter.objects.get(pk=obj.pk))

    def has_delete_permission(self, request, obj=None):
        """A chapter that has been negotiated (a history, a contested point) is never lost."""
        if obj is not None and (obj.status_changes.exists() or obj.contested_points.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        delete_chapter(chapter=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for chapter in queryset:
            try:
                delete_chapter(chapter=chapter, by=request.user)
            except ValidationError as refusal:
                self.message_user(request, "; ".join(refusal.messages), messages.ERROR)


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


# --- Contested points --------------------------------------------------------------------------

# The fields `update_contested_point` writes; a state moves by escalation or resolution alone.
POINT_FIELDS = ("title", "description", "owner", "target_date")
NEXT_STATES = {
    ContestedPointState.OPEN: (ContestedPointState.ESCALATED, ContestedPointState.RESOLVED),
    ContestedPointState.ESCALATED: (ContestedPointState.RESOLVED,),
    ContestedPointState.RESOLVED: (),
}


class ContestedPointAdminForm(VersionCheckedForm):
    """A point's fields and version; its state offers only the moves its services make."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "state" in self.fields:
            state = self.instance.state
            self.fields["state"].choices = [
                (value, label)
                for value, label in ContestedPointState.choices
                if value == state or value in NEXT_STATES[ContestedPointState(state)]
            ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        changed, state = set(self.changed_data), cleaned.get("state")
        moved = "state" in changed
        for name in ("resolution", "resolved_on"):
            if name in changed and not (moved and state == ContestedPointState.RESOLVED):
                self.add_error(
                    name, _("This is recorded when the point is resolved: set it to Resolved.")
                )
        if "escalation_note" in changed and not (moved and state == ContestedPointState.ESCALATED):
            self.add_error(
                "escalation_note",
                _("This is recorded when the point is escalated: set it to Escalated."),
            )
        if moved and state == ContestedPointState.RESOLVED and not cleaned.get("resolved_on"):
            cleaned["resolved_on"] = timezone.localdate()
        return cleaned


def _positions(formset) -> dict:
    """Party -> position text of the rows changed on the page (empty text: removed)."""
    positions = {}
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        saved_party = Party.objects.get(pk=form.initial["party"])
        if form in deleted:
            positions[saved_party] = ""
            formset.deleted_objects.append(form.instance)
        elif form.has_changed():
            party = form.cleaned_data["party"]
            if party != saved_party:
                positions[saved_party] = ""
            positions[party] = form.cleaned_data["text"]
            formset.changed_objects.append((form.instance, form.changed_data))
    for form in formset.extra_forms:
        if form in deleted or not form.has_changed():
            continue
        positions[form.cleaned_data["party"]] = form.cleaned_data["text"]
        formset.new_objects.append(form.instance)
    return positions


@admin.register(ContestedPoint)
class ContestedPointAdmin(
    VersionCheckedAdmin, ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin
):
    agreement_path = "chapter__working_group__agreement"
    form = ContestedPointAdminForm
    list_display = ["title", "chapter", "state", "owner", "target_date", "resolved_on"]
    list_filter = [
        "state",
        ("chapter__working_group__agreement", ScopedListFilter),
        ("chapter__working_group", ScopedListFilter),
    ]
    search_fields = ["title", "description", "chapter__title"]
    list_select_related = ["chapter", "owner"]
    inlines = [PositionInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "chapter",
                "title",
                "description",
                "owner",
                "target_date",
                "raised_at",
                "opened_on",
            ]
        return [
            "chapter",
            "raised_at",
            "opened_on",
            *POINT_FIELDS,
            "state",
            "resolution",
            "resolved_on",
            "escalation_note",
            "escalated_at",
            "escalated_by",
            "version",
            "saved_version",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # What no service changes once the point exists, and a resolved point's outcome.
        fixed = ["chapter", "raised_at", "opened_on", "escalated_at", "escalated_by"]
        if obj.state == ContestedPointState.RESOLVED:
            fixed += ["state", "resolution", "resolved_on", "escalation_note"]
        return [*fixed, "saved_version"]

    def save_model(self, request, obj, form, change):
        """Saved with its positions, in `save_related`, by one call of its services."""

    def save_related(self, request, form, formsets, change):
        """The point and its positions through the services of the point's page: opened by
        `open_contested_point`; edited by `update_contested_point`, escalated or resolved
        by theirs, each refused if the point is no longer the version the form showed."""
        point, data = form.instance, form.cleaned_data
        positions = {}
        for formset in formsets:
            positions.update(_positions(formset))
        if not change:
            saved = open_contested_point(
                chapter=data["chapter"],
                title=data["title"],
                by=request.user,
                description=data["description"],
                owner=data["owner"],
                target_date=data["target_date"],
                raised_at=data["raised_at"],
                opened_on=data["opened_on"],
                positions=positions,
            )
            adopt(point, saved)
            return
        seen = data["version"]
        if positions or set(POINT_FIELDS) & set(form.changed_data):
            seen = update_contested_point(
                point=point,
                by=request.user,
                positions=positions,
                expected_version=seen,
                **{name: data[name] for name in POINT_FIELDS},
            ).version
        if "state" in form.changed_data:
            if data["state"] == ContestedPointState.ESCALATED:
                escalate_contested_point(
                    point=point,
                    by=request.user,
                    note=data["escalation_note"],
                    expected_version=seen,
                )
            else:
                resolve_contested_point(
                    point=point,
                    by=request.user,
                    resolution=data["resolution"],
                    resolved_on=data["resolved_on"],
                    expected_version=seen,
                )
        adopt(point, ContestedPoint.objects.get(pk=point.pk))
