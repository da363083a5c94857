"""Forms of the secretariat's workspace. They validate what was typed; the services decide."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimeZoneField
from negotiations.choices import AgreementKind, AgreementStatus
from negotiations.forms.common import STALE_CHOICE, VersionField, offer_loaded
from negotiations.forms.schedule import seen_field
from negotiations.models import Agreement, Party
from negotiations.permissions import visible_agreements
from negotiations.services import Structure
from workinggroups.models import Chapter, WorkingGroup

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
# Enough rows for a plurilateral negotiation of any size the tracker has seen, and a bound on
# what one request may ask the server to build.
MAX_PARTIES = 60

iso_code = RegexValidator(
    r"^[A-Za-z]{3}$", _("Three letters, the ISO 3166 alpha-3 code (e.g. KHM).")
)


def party_label(party) -> str:
    """How a party is named in a list to choose from: "Cambodia (KHM)"."""
    return f"{party.name} ({party.code})"


class AgreementDetailsForm(forms.Form):
    """What an agreement is called and when it started (the new-agreement page)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("In full, e.g. Cambodia–China Free Trade Agreement."),
    )
    short_name = forms.CharField(
        label=_("Short name"),
        max_length=40,
        help_text=_("Used in lists and page titles, e.g. CCFTA."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=AgreementKind.choices,
        initial=AgreementKind.BILATERAL,
        help_text=_("A bilateral agreement has exactly two parties."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    launched_on = forms.DateField(label=_("Launched on"), required=False, widget=DATE_INPUT)
    target_conclusion_on = forms.DateField(
        label=_("Target conclusion date"), required=False, widget=DATE_INPUT
    )

    def __init__(self, *args, agreement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Agreement.objects.filter(name__iexact=name)
        if self.agreement is not None:
            others = others.exclude(pk=self.agreement.pk)
        if others.exists():
            raise ValidationError(_("An agreement of this name already exists."))
        return name

    def clean(self):
        data = super().clean()
        launched, target = data.get("launched_on"), data.get("target_conclusion_on")
        if launched and target and target < launched:
            self.add_error("target_conclusion_on", _("The target date is before the launch date."))
        return data


class AgreementSettingsForm(AgreementDetailsForm):
    """Everything the settings page changes about an agreement, its milestones included."""

    status = forms.ChoiceField(label=_("Status"), choices=AgreementStatus.choices)
    concluded_on = forms.DateField(label=_("Concluded on"), required=False, widget=DATE_INPUT)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE_INPUT)
    in_force_on = forms.DateField(label=_("In force on"), required=False, widget=DATE_INPUT)
    seen = seen_field()

    field_order = [
        "name",
        "short_name",
        "kind",
        "description",
        "status",
        "launched_on",
        "target_conclusion_on",
        "concluded_on",
        "signed_on",
        "in_force_on",
    ]

    # Each milestone is on or after the one before it; the model refuses the same, but with a
    # message naming its constraint, not the dates.
    MILESTONES = [
        ("concluded_on", "launched_on", _("The agreement cannot be concluded before its launch.")),
        ("signed_on", "concluded_on", _("The agreement cannot be signed before it is concluded.")),
        (
            "in_force_on",
            "signed_on",
            _("The agreement cannot enter into force before it is signed."),
        ),
    ]

    def clean(self):
        data = super().clean()
        for later, earlier, message in self.MILESTONES:
            if data.get(later) and data.get(earlier) and data[later] < data[earlier]:
                self.add_error(later, message)
        return data


class StructureChoiceForm(forms.Form):
    """Where the new agreement's working groups and chapters come from."""

    structure = forms.ChoiceField(
        label=_("Start from"),
        choices=[
            (Structure.STANDARD, _("The standard set of FTA chapters")),
            (Structure.COPY, _("A copy of another agreement's working groups and chapters")),
            (Structure.EMPTY, _("None yet: I will add them in the structure editor")),
        ],
        initial=Structure.STANDARD,
        widget=forms.RadioSelect,
    )
    copy_from = forms.ModelChoiceField(
        label=_("Agreement to copy"),
        queryset=Agreement.objects.none(),
        required=False,
        error_messages={"invalid_choice": STALE_CHOICE},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = visible_agreements(user).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("structure") == Structure.COPY and not data.get("copy_from"):
            self.add_error("copy_from", _("Choose the agreement whose structure to copy."))
        return data


class PartyForm(forms.Form):
    """One party at the table: an existing party, or a new one typed in, and its head of
    delegation."""

    party = forms.ModelChoiceField(
        label=_("Existing party"),
        queryset=Party.objects.all(),
        required=False,
        empty_label=_("— a new party, typed below —"),
        error_messages={"invalid_choice": STALE_CHOICE},
    )
    new_name = forms.CharField(label=_("New party's name"), required=False, max_length=120)
    new_code = forms.CharField(
        label=_("ISO code"),
        required=False,
        max_length=3,
        validators=[iso_code],
        help_text=_("ISO 3166 alpha-3, e.g. KHM."),
    )
    new_time_zone = TimeZoneField(
        label=_("Capital's time zone"), include_blank=_("— choose —"), required=False
    )
    head_name = forms.CharField(label=_("Head of delegation"), required=False, max_length=200)
    head_title = forms.CharField(label=_("Their title"), required=False, max_length=300)
    seen = seen_field()

    NEW_FIELDS = ("new_name", "new_code", "new_time_zone")

    def __init__(self, *args, parties=None, **kwargs):
        """`parties`, when given, are the choices already loaded for the page."""
        super().__init__(*args, **kwargs)
        self.fields["party"].label_from_instance = party_label
        if parties is not None:
            offer_loaded(self.fields["party"], parties)

    def clean_new_code(self):
        return self.cleaned_data["new_code"].strip().upper()

    def clean(self):
        data = super().clean()
        typed_new = [name for name in self.NEW_FIELDS if data.get(name)]
        if data.get("party") and typed_new:
            raise ValidationError(
                _("Choose an existing party or type a new one, not both."), code="both"
            )
        started = typed_new or any(name in self._errors for name in self.NEW_FIELDS)
        if data.get("party") is None and (
            started or data.get("head_name") or data.get("head_title")
        ):
            for name in self.NEW_FIELDS:
                if not data.get(name) and name not in self._errors:
                    self.add_error(
                        name, _("Needed for a new party (or choose an existing party above).")
                    )
        return data

    @property
    def is_blank(self) -> bool:
        """Nothing was entered in this row: it is left out."""
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.fields)

    @property
    def is_new(self) -> bool:
        return not self.is_blank and self.cleaned_data.get("party") is None

    def new_party(self) -> dict:
        """The arguments of `create_party` for the new party typed in this row."""
        data = self.cleaned_data
        return {
            "name": data["new_name"],
            "code": data["new_code"],
            "capital_time_zone": data["new_time_zone"],
        }


class AddDelegationForm(PartyForm):
    """Bring one more party to the table (the parties page): a row that must not be blank."""

    def __init__(self, *args, agreement, **kwargs):
        # Ids of their own: the page shows another form with the same field names.
        kwargs.setdefault("auto_id", "id_add_%s")
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.exclude(
            delegations__agreement=agreement
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if self.is_blank:
            raise ValidationError(_("Choose an existing party or type a new one."))
        return data


class BasePartyFormSet(forms.BaseFormSet):
    """The parties of a new agreement: no party twice, no new party that already exists."""

    def __init__(self, *args, form_kwargs=None, **kwargs):
        super().__init__(*args, form_kwargs=form_kwargs or {}, **kwargs)

    def filled_forms(self) -> list[PartyForm]:
        return [form for form in self.forms if form.is_valid() and not form.is_blank]

    def clean(self):
        # Rows with errors of their own are left out, so that every problem shows at once.
        chosen, codes, names = {}, {}, {}
        for form in self.filled_forms():
            party = form.cleaned_data.get("party")
            if party is not None:
                if party.pk in chosen:
                    form.add_error("party", _("This party is already in another row."))
                chosen[party.pk] = form
                continue
            code, name = form.cleaned_data["new_code"], form.cleaned_data["new_name"].strip()
            if code in codes:
                form.add_error("new_code", _("Another new party has this code."))
            if name.lower() in names:
                form.add_error("new_name", _("Another new party has this name."))
            codes.setdefault(code, form)
            names.setdefault(name.lower(), form)
        if not codes:
            return
        clashes = Party.objects.annotate(lower_name=Lower("name")).filter(
            Q(code__in=codes) | Q(lower_name__in=names)
        )
        for party in clashes:
            if party.code in codes:
                codes[party.code].add_error(
                    "new_code",
                    _("%(party)s already has this code: choose it as an existing party.")
                    % {"party": party_label(party)},
                )
            if party.name.lower() in names:
                names[party.name.lower()].add_error(
                    "new_name",
                    _("%(party)s already exists: choose it as an existing party.")
                    % {"party": party_label(party)},
                )


PartyFormSet = forms.formset_factory(
    PartyForm,
    formset=BasePartyFormSet,
    extra=2,
    max_num=MAX_PARTIES,
    absolute_max=MAX_PARTIES,
    validate_max=True,
)


class DelegationForm(forms.Form):
    """Who heads a party's delegation."""

    head_name = forms.CharField(label=_("Head of delegation"), required=False, max_length=200)
    head_title = forms.CharField(label=_("Their title"), required=False, max_length=300)
    seen = seen_field()


# --- The structure editor: one small form per action ---------------------------------------


class AgreementObjectsForm(forms.Form):
    """A form whose working group and chapter choices are those of one agreement, so that an
    object of another agreement (or one gone meanwhile) is refused with a message."""

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        groups = WorkingGroup.objects.filter(agreement=agreement)
        for name in ("group", "working_group"):
            if name in self.fields:
                self.fields[name].queryset = groups
        if "chapter" in self.fields:
            self.fields["chapter"].queryset = Chapter.objects.filter(
                working_group__agreement=agreement
            ).select_related("working_group")


def _group_field(label=None):
    """A working group of the form's agreement."""
    return forms.ModelChoiceField(
        label=label or _("Working group"),
        queryset=WorkingGroup.objects.none(),
        error_messages={
            "invalid_choice": _("This working group is no longer there: reload the page.")
        },
    )


def _chapter_field():
    """A chapter of the form's agreement."""
    return forms.ModelChoiceField(
        label=_("Chapter"),
        queryset=Chapter.objects.none(),
        error_messages={"invalid_choice": _("This chapter is no longer there: reload the page.")},
    )


def _version_field():
    """The version of the chapter the person saw, to refuse a stale edit."""
    return VersionField(label=_("Version"))


class AddWorkingGroupForm(AgreementObjectsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Short code"), max_length=12)


class RenameWorkingGroupForm(AddWorkingGroupForm):
    group = _group_field()
    seen = seen_field()


class RemoveWorkingGroupForm(AgreementObjectsForm):
    group = _group_field()


class AddChapterForm(AgreementObjectsForm):
    group = _group_field()
    title = forms.CharField(label=_("Title"), max_length=200)


class RenameChapterForm(AgreementObjectsForm):
    chapter = _chapter_field()
    version = _version_field()
    title = forms.CharField(label=_("Title"), max_length=200)


class MoveChapterForm(AgreementObjectsForm):
    """Up or down within its working group."""

    chapter = _chapter_field()
    version = _version_field()


class MoveChapterToGroupForm(AgreementObjectsForm):
    chapter = _chapter_field()
    version = _version_field()
    working_group = _group_field(_("Move to"))


class RemoveChapterForm(AgreementObjectsForm):
    chapter = _chapter_field()
