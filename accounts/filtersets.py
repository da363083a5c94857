import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from negotiations.choices import Role
from negotiations.models import Party, RoleAssignment
from workinggroups.models import WorkingGroup


class PersonFilterSet(django_filters.FilterSet):
    """The people of one agreement (passed as `agreement`), by role, party, working group, or
    a piece of their name or email."""

    q = django_filters.CharFilter(method="filter_q", label=_("Name or email"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    party = django_filters.ModelChoiceFilter(queryset=Party.objects.none(), label=_("Party"))
    working_group = django_filters.ModelChoiceFilter(
        field_name="user__memberships__working_group",
        queryset=WorkingGroup.objects.none(),
        label=_("Working group"),
    )

    class Meta:
        model = RoleAssignment
        fields = ["q", "role", "party", "working_group"]

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.filters["party"].queryset = Party.objects.filter(delegations__agreement=agreement)
        self.filters["working_group"].queryset = WorkingGroup.objects.filter(agreement=agreement)

    def filter_q(self, queryset, name, value):
        """Every word must appear in the first name, last name, user name or email."""
        for word in value.split():
            queryset = queryset.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__username__icontains=word)
                | Q(user__email__icontains=word)
            )
        return queryset
