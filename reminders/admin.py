from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from negotiations.admin import ScopedChoicesAdmin, ScopedListFilter
from negotiations.permissions import steered_agreements
from reminders import services
from reminders.choices import NEEDS_ATTENTION_STATUSES
from reminders.models import LeadTimes, Preference, Reminder


def _steered(user, queryset, agreement_field="agreement"):
    """Staff see the rows of the agreements they steer; superusers see everything."""
    return queryset.filter(**{f"{agreement_field}__in": steered_agreements(user)})


@admin.register(LeadTimes)
class LeadTimesAdmin(ScopedChoicesAdmin, admin.ModelAdmin):
    """Its agreement choice: the agreements the person steers; once saved, its own alone."""

    list_display = ["agreement", "meeting_days", "deadline_days", "deadline_overdue"]

    def get_queryset(self, request):
        return _steered(request.user, super().get_queryset(request).select_related("agreement"))


@admin.register(Preference)
class PreferenceAdmin(ScopedChoicesAdmin, admin.ModelAdmin):
    list_display = [
        "user",
        "meetings",
        "deadlines",
        "contested_points",
        "commitments",
        "digest_hour",
    ]
    search_fields = ["user__username", "user__email"]

    # Each person sets their own on the reminders page; only a superuser reaches anyone's.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The ledger: what was sent to whom and when, and what failed."""

    list_display = [
        "recipient",
        "kind",
        "target_id",
        "offset_days",
        "send_after",
        "status",
        "attempts",
        "sent_at",
        "note",
    ]
    list_filter = ["status", "kind", "digest", ("agreement", ScopedListFilter)]
    search_fields = ["recipient__username", "recipient__email", "note"]
    date_hierarchy = "send_after"
    list_select_related = ["recipient", "agreement"]
    actions = ["resend"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def get_queryset(self, request):
        return _steered(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed reminders again"))
    def resend(self, request, queryset):
        count = services.resend(
            reminder_ids=list(
                queryset.filter(status__in=NEEDS_ATTENTION_STATUSES).values_list("pk", flat=True)
            )
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d reminder will be sent again within a minute.",
                "%(count)d reminders will be sent again within a minute.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
