import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from negotiations.choices import AgreementStatus
from negotiations.models import Agreement, Party


class AgreementFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices, label=_("Status"))
    party = django_filters.ModelChoiceFilter(
        field_name="parties", queryset=Party.objects.all(), label=_("Party")
    )

    class Meta:
        model = Agreement
        fields = ["q", "status", "party"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
