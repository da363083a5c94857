import django_filters
from django.utils.translation import gettext_lazy as _

from negotiations.models import Agreement
from negotiations.permissions import steered_agreements
from reminders.choices import NEEDS_ATTENTION_STATUSES, ReminderKind
from reminders.models import Reminder


class NeedsAttentionFilterSet(django_filters.FilterSet):
    """Narrows the reminders that need attention by agreement (among those the person
    steers), kind and status."""

    agreement = django_filters.ModelChoiceFilter(
        queryset=Agreement.objects.none(), label=_("Agreement")
    )
    kind = django_filters.ChoiceFilter(choices=ReminderKind.choices, label=_("About"))
    status = django_filters.ChoiceFilter(
        choices=[(status.value, status.label) for status in NEEDS_ATTENTION_STATUSES],
        label=_("Status"),
    )

    class Meta:
        model = Reminder
        fields = ["agreement", "kind", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user if self.request is not None else None
        self.filters["agreement"].queryset = steered_agreements(user).order_by("short_name")
