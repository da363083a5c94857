import django_filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from audit.choices import AuditAction
from audit.models import AuditEntry

AUDITED_APPS = ("accounts", "negotiations", "workinggroups", "dashboards", "reminders")


class AuditEntryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="object_repr", lookup_expr="icontains", label=_("Record")
    )
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(app_label__in=AUDITED_APPS).order_by("model"),
        label=_("Kind"),
    )
    actor = django_filters.CharFilter(
        field_name="actor__username", lookup_expr="iexact", label=_("By (username)")
    )
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("Since"))

    class Meta:
        model = AuditEntry
        fields = ["q", "action", "content_type", "actor", "since"]
