from django import forms

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
