import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from negotiations.choices import AgreementStatus
from negotiations.models import Agreement, Party
from negotiations.permissions import visible_agreements


class AgreementFilterSet(django_filters.FilterSet):
    """Agreements by name, status and party; the parties offered are only those at the tables
    of agreements the person may see."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices, label=_("Status"))
    party = django_filters.ModelChoiceFilter(
        field_name="parties", queryset=Party.objects.none(), label=_("Party")
    )

    class Meta:
        model = Agreement
        fields = ["q", "status", "party"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None:
            self.filters["party"].queryset = Party.objects.filter(
                delegations__agreement__in=visible_agreements(user)
            ).distinct()

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
