from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from reminders.models import Preference


class PreferenceForm(forms.ModelForm):
    digest_hour = forms.TypedChoiceField(
        label=Preference._meta.get_field("digest_hour").verbose_name,
        help_text=Preference._meta.get_field("digest_hour").help_text,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
    )

    class Meta:
        model = Preference
        fields = ["meetings", "deadlines", "contested_points", "commitments", "digest_hour"]
        widgets = dict.fromkeys(
            ["meetings", "deadlines", "contested_points", "commitments"], forms.RadioSelect
        )


class DaysField(forms.CharField):
    """Whole numbers of days, typed as a list: "14, 3, 1"."""

    default_error_messages = {
        "invalid": _("Give whole numbers of days between 1 and 365, separated by commas."),
    }

    def to_python(self, value):
        value = super().to_python(value)
        if not value.strip():
            return []
        try:
            days = [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        except ValueError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        if not all(0 < day <= 365 for day in days):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted(set(days), reverse=True)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(day) for day in value)
        return value


class LeadTimesForm(forms.Form):
    """How many days ahead an agreement's people are reminded of its meetings and deadlines."""

    meeting_days = DaysField(
        label=_("Days before a meeting"),
        help_text=_("For example 7, 1: a week before and the day before."),
    )
    deadline_days = DaysField(
        label=_("Days before a deadline"), help_text=_("For example 14, 3, 1.")
    )
    deadline_overdue = forms.BooleanField(
        label=_("Remind once when a deadline passes undone"), required=False
    )
