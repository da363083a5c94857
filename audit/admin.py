from django.contrib import admin

from audit.models import AuditEntry
from audit.services import record_create, record_delete, record_save, record_update, snapshot
from negotiations import permissions


class AuditedAdminMixin:
    """Keeps an audit entry for every save and delete made in the administration site,
    including those of its inlines, in the same transaction as the change.

    `agreement_path` (a lookup to the record's agreement) limits anyone but a superuser to
    the agreements `negotiations.permissions` lets them steer.
    """

    agreement_path = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.agreement_path is None or request.user.is_superuser:
            return queryset
        steered = permissions.steered_agreements(request.user)
        return queryset.filter(**{f"{self.agreement_path}__in": steered})

    def save_model(self, request, obj, form, change):
        before = self._before(obj) if change else None
        super().save_model(request, obj, form, change)
        self._record(request, obj, before)

    def delete_model(self, request, obj):
        record_delete(instance=obj, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_delete(instance=obj, actor=request.user)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        existing = [f.instance.pk for f in formset.initial_forms if f.instance.pk]
        before = {obj.pk: snapshot(obj) for obj in model._default_manager.filter(pk__in=existing)}
        super().save_formset(request, form, formset, change)
        # Some inlines remove their rows through a service, which writes the entry itself.
        audited = getattr(formset, "audits_deletions", False)
        for obj in [] if audited else getattr(formset, "deleted_objects", []):
            record_delete(instance=obj, before=before.get(obj.pk), actor=request.user)
        for obj in getattr(formset, "new_objects", []):
            record_create(instance=obj, actor=request.user)
        for obj, _fields in getattr(formset, "changed_objects", []):
            record_update(instance=obj, before=before.get(obj.pk), actor=request.user)

    def _before(self, obj):
        current = type(obj)._default_manager.filter(pk=obj.pk).first()
        return snapshot(current) if current is not None else None

    def _record(self, request, obj, before):
        record_save(instance=obj, before=before, actor=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the trail is written by the services and the admin mixin alone."""

    list_display = ["at", "actor", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor", "content_type"]

    def get_queryset(self, request):
        """Everything for a superuser; anyone else, should they ever get in, the trail of the
        agreements whose trail they may read, and nothing that belongs to no agreement."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agreement__in=permissions.audit_agreements(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
