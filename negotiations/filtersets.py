import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from negotiations.choices import AgreementStatus
from negotiations.models import Agreement, Delegation, Party
from negotiations.permissions import visible_agreements


def parties_at_tables(agreements: QuerySet[Agreement]) -> QuerySet[Party]:
    """The parties with a delegation in at least one of these agreements.

    Each party is looked up in the delegations' party index, stopping at its first delegation
    that counts, so the cost follows the number of parties rather than of delegations. Every
    delegation belongs to an agreement: when `agreements` is every agreement, asking which one
    would only make the database pass over all delegations of all agreements.
    """
    delegations = Delegation.objects.filter(party=OuterRef("pk"))
    if agreements.query.has_filters():
        delegations = delegations.filter(agreement__in=agreements)
    return Party.objects.filter(Exists(delegations))


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
            self.filters["party"].queryset = parties_at_tables(visible_agreements(user))

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
