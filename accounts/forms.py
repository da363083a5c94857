"""Form pieces about people: the time-zone picker every form that asks for a zone uses."""

import datetime as dt
import functools
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from negotiations.moments import offset_label


@functools.cache
def _zone_choices_for(year: int) -> tuple:
    # The offset shown is the one in force in January of this year: enough to tell Yangon
    # (UTC+6:30) from Bangkok (UTC+7) in a list; the meeting page says the exact one.
    moment = dt.datetime(year, 1, 15, 12, tzinfo=dt.UTC)
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )

    def label(name):
        return f"{name.replace('_', ' ')} ({offset_label(moment, name)})"

    return (("UTC", "UTC"), *((name, label(name)) for name in names))


def time_zone_choices() -> tuple:
    """(name, "Asia/Yangon (UTC+6:30)") for every real zone, UTC first."""
    return _zone_choices_for(dt.date.today().year)


class TimeZoneField(forms.ChoiceField):
    """A time zone chosen from the list of real zones, never typed."""

    def __init__(self, *, include_blank: str | None = None, **kwargs):
        kwargs.setdefault("label", _("Time zone"))
        super().__init__(choices=self._choices_with(include_blank), **kwargs)

    @staticmethod
    def _choices_with(blank):
        def choices():
            return ((("", blank),) if blank is not None else ()) + time_zone_choices()

        return choices


# --- People in an agreement ----------------------------------------------------------------


class WorkingGroupChoiceField(forms.ModelMultipleChoiceField):
    """Working groups as checkboxes labelled "Rules of Origin (ROO)"."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class PartyChoiceField(forms.ModelChoiceField):
    """A party at the table, labelled by its name."""

    def label_from_instance(self, obj):
        return obj.name


class PersonRoleForm(forms.Form):
    """A person's role, party and working groups in one agreement."""

    role = forms.ChoiceField(label=_("Role"))
    party = PartyChoiceField(
        queryset=None,
        required=False,
        label=_("Party"),
        empty_label=_("No party (e.g. the secretariat)"),
        help_text=_("The delegation they belong to; needed for a seat in a working group."),
    )
    working_groups = WorkingGroupChoiceField(
        queryset=None, required=False, label=_("Working groups")
    )
    # The fingerprint of the person's place as the page showed it (see the person page).
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, agreement, roles, **kwargs):
        from negotiations.choices import Role
        from negotiations.models import Party
        from workinggroups.models import WorkingGroup

        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices if value in roles
        ]
        self.fields["party"].queryset = Party.objects.filter(delegations__agreement=agreement)
        self.fields["working_groups"].queryset = WorkingGroup.objects.filter(agreement=agreement)

    def clean(self):
        data = super().clean()
        if data.get("working_groups") and not data.get("party"):
            self.add_error(
                "party", _("Choose the party this person sits for in their working groups.")
            )
        return data


class InviteForm(PersonRoleForm):
    """Who to invite to the agreement, and where they sit."""

    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    time_zone = TimeZoneField(
        include_blank=_("Same as the party's capital"),
        required=False,
        help_text=_("Their reminders and times are shown in this zone; they may change it later."),
    )
    language = forms.ChoiceField(label=_("Language of their emails and pages"))
    # A new person: there is nobody's earlier edit to guard against.
    seen = None

    field_order = [
        "email",
        "first_name",
        "last_name",
        "role",
        "party",
        "working_groups",
        "time_zone",
        "language",
    ]

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        # No role preselected: giving one, the secretariat's above all, is a decision.
        self.fields["role"].choices = [("", _("Choose a role")), *self.fields["role"].choices]
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["language"].initial = settings.LANGUAGE_CODE

    def clean_email(self):
        """The address without the spaces a paste brings along."""
        return self.cleaned_data["email"].strip()

    def zone(self) -> str:
        """The zone chosen, or else the party's capital's, or else UTC."""
        data = self.cleaned_data
        if data.get("time_zone"):
            return data["time_zone"]
        if data.get("party"):
            return data["party"].capital_time_zone
        return "UTC"


# --- A person's own profile ------------------------------------------------------------------


class ProfileForm(forms.Form):
    """The language and time zone of a person's own pages and reminders."""

    language = forms.ChoiceField(
        label=_("Language"), help_text=_("Of your pages and of the emails you receive.")
    )
    time_zone = TimeZoneField(
        help_text=_("Times are shown, and reminders sent, in this zone (e.g. Asia/Phnom_Penh).")
    )
    # The fingerprint of the settings as the page showed them (see the person page).
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
