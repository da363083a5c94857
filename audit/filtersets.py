import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.choices import AuditAction
from audit.models import AuditEntry
from negotiations.models import Agreement
from negotiations.permissions import audit_agreements


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # The full name readers know; the username tells two people of one name apart.
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class PersonFilter(django_filters.ModelChoiceFilter):
    field_class = PersonChoiceField


class AuditEntryFilterSet(django_filters.FilterSet):
    """What the trail is narrowed by: only the agreements, people and kinds of record the
    reader's own entries hold are offered."""

    q = django_filters.CharFilter(
        field_name="object_repr", lookup_expr="icontains", label=_("Record")
    )
    agreement = django_filters.ModelChoiceFilter(
        queryset=Agreement.objects.none(), label=_("Agreement"), empty_label=_("All")
    )
    actor = PersonFilter(
        queryset=get_user_model().objects.none(),
        label=_("Person"),
        empty_label=_("Everyone"),
    )
    content_type = django_filters.ChoiceFilter(label=_("Kind of record"), empty_label=_("All"))
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), empty_label=_("All")
    )
    since = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields = ["q", "agreement", "actor", "content_type", "action", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user if request is not None else None
        visible = queryset if queryset is not None else AuditEntry.objects.none()
        self.filters["agreement"].queryset = audit_agreements(user).order_by("name")
        self.filters["actor"].queryset = get_user_model().objects.filter(
            pk__in=visible.order_by().values("actor_id")
        )
        kinds = ContentType.objects.filter(pk__in=visible.order_by().values("content_type_id"))
        self.filters["content_type"].extra["choices"] = sorted(
            ((kind.pk, capfirst(kind.name)) for kind in kinds), key=lambda choice: str(choice[1])
        )
