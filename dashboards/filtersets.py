import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from negotiations.choices import CommitmentStatus
from negotiations.models import Commitment, Meeting, Party
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ContestedPoint, WorkingGroup

YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _boolean(value):
    return value == "true"


class AgreementScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose choices are limited to one agreement (passed as `agreement`)."""

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        if "working_group" in self.filters:
            self.filters["working_group"].queryset = WorkingGroup.objects.filter(
                agreement=agreement
            )
        if "owner" in self.filters:
            self.filters["owner"].queryset = get_user_model().objects.filter(
                roles__agreement=agreement
            )
        if "party" in self.filters:
            self.filters["party"].queryset = Party.objects.filter(delegations__agreement=agreement)
        if "meeting" in self.filters:
            self.filters["meeting"].queryset = Meeting.objects.filter(agreement=agreement)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=_boolean(value))


class ChapterFilterSet(AgreementScopedFilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Search"))
    working_group = django_filters.ModelChoiceFilter(
        queryset=WorkingGroup.objects.none(), label=_("Working group")
    )
    status = django_filters.ChoiceFilter(
        field_name="status_at", choices=ChapterStatus.choices, label=_("Status")
    )
    contested = django_filters.ChoiceFilter(
        field_name="contested_at", choices=YES_NO, method="filter_contested", label=_("Contested")
    )

    class Meta:
        model = Chapter
        fields = ["q", "working_group", "status", "contested"]

    def filter_contested(self, queryset, name, value):
        return queryset.filter(contested_at=_boolean(value))


class ContestedPointFilterSet(AgreementScopedFilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Search"))
    working_group = django_filters.ModelChoiceFilter(
        field_name="chapter__working_group",
        queryset=WorkingGroup.objects.none(),
        label=_("Working group"),
    )
    # The state at the page's as-of point (annotated by the view), not today's.
    state = django_filters.ChoiceFilter(
        field_name="state_at", choices=ContestedPointState.choices, label=_("State")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), label=_("Owner")
    )
    party = django_filters.ModelChoiceFilter(
        field_name="positions__party",
        queryset=Party.objects.none(),
        label=_("Party with a position"),
        distinct=True,
    )
    overdue = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_overdue", label=_("Overdue")
    )
    target_date = django_filters.DateFromToRangeFilter(
        label=_("Target date between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = ContestedPoint
        fields = ["q", "working_group", "state", "owner", "party", "overdue", "target_date"]


class CommitmentFilterSet(AgreementScopedFilterSet):
    q = django_filters.CharFilter(field_name="text", lookup_expr="icontains", label=_("Search"))
    party = django_filters.ModelChoiceFilter(queryset=Party.objects.none(), label=_("Party"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), label=_("Owner")
    )
    # The status at the as-of point (annotated by the view), not necessarily today's.
    status = django_filters.ChoiceFilter(
        field_name="status_at", choices=CommitmentStatus.choices, label=_("Status")
    )
    meeting = django_filters.ModelChoiceFilter(queryset=Meeting.objects.none(), label=_("Made at"))
    overdue = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_overdue", label=_("Overdue")
    )
    due_on = django_filters.DateFromToRangeFilter(
        label=_("Due between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Commitment
        fields = ["q", "party", "owner", "status", "meeting", "overdue", "due_on"]
