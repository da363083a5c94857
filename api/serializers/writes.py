"""The shape of each write; the services check everything else, as for the pages."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers.fields import VERSION_HELP, scoped
from negotiations import permissions
from negotiations.choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentStatus,
    MeetingKind,
    RoundMode,
)
from negotiations.models import (
    Agreement,
    Meeting,
    NegotiationRound,
    Party,
)
from negotiations.services import Structure
from secretariat.forms import MAX_PARTIES
from workinggroups.choices import ChapterStatus
from workinggroups.models import (
    Chapter,
    WorkingGroup,
)

User = get_user_model()

# --- Input -------------------------------------------------------------------------------------


class Versioned(serializers.Serializer):
    """A write that names the version it was based on (or sends it as If-Match)."""

    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class Fingerprinted(serializers.Serializer):
    version = serializers.CharField(required=False, max_length=64, help_text=VERSION_HELP)


class AgreementWriteSerializer(Fingerprinted):
    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=AgreementStatus.choices)
    launched_on = serializers.DateField(allow_null=True)
    target_conclusion_on = serializers.DateField(allow_null=True)
    concluded_on = serializers.DateField(allow_null=True)
    signed_on = serializers.DateField(allow_null=True)
    in_force_on = serializers.DateField(allow_null=True)


class DelegationWriteSerializer(serializers.Serializer):
    """A party at a new agreement's table, and who heads its delegation."""

    party = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.all(), help_text=_("The party's id (see parties/).")
    )
    head_name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    head_title = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class VisibleAgreementField(serializers.SlugRelatedField):
    """An agreement by its slug, among those the person may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Agreement.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return permissions.visible_agreements(user)


class AgreementCreateSerializer(serializers.Serializer):
    """A new agreement, as the new-agreement page opens one: its details, its parties at the
    table and where its working groups and chapters come from. The person who opens it becomes
    its secretariat."""

    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(
        max_length=40,
        help_text=_(
            "Used in lists and page titles; the agreement's address (slug) is made from it, "
            "numbered if another agreement has it."
        ),
    )
    kind = serializers.ChoiceField(
        choices=AgreementKind.choices, required=False, default=AgreementKind.BILATERAL
    )
    description = serializers.CharField(
        max_length=4000, allow_blank=True, required=False, default=""
    )
    launched_on = serializers.DateField(allow_null=True, required=False, default=None)
    target_conclusion_on = serializers.DateField(allow_null=True, required=False, default=None)
    parties = serializers.ListField(
        child=DelegationWriteSerializer(),
        required=False,
        default=list,
        max_length=MAX_PARTIES,
        help_text=_(
            "The parties at the table, each once: exactly two for a bilateral agreement, at "
            "least two for a plurilateral one; none to add them later."
        ),
    )
    structure = serializers.ChoiceField(
        choices=[
            (Structure.STANDARD, _("The standard set of FTA chapters")),
            (Structure.COPY, _("A copy of another agreement's working groups and chapters")),
            (Structure.EMPTY, _("None yet")),
        ],
        required=False,
        default=Structure.STANDARD,
    )
    copy_from = VisibleAgreementField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("With structure `copy`: the slug of the agreement whose structure to copy."),
    )

    def validate_name(self, value):
        if Agreement.objects.filter(name__iexact=value.strip()).exists():
            raise serializers.ValidationError(
                _("An agreement of this name already exists."), code="unique"
            )
        return value

    def validate_parties(self, value):
        seen, errors = set(), []
        for row in value:
            party = row["party"]
            errors.append(
                {"party": [_("This party is already in another row.")]} if party.pk in seen else {}
            )
            seen.add(party.pk)
        if any(errors):
            raise serializers.ValidationError(errors, code="duplicate")
        return value

    def validate(self, data):
        launched, target = data.get("launched_on"), data.get("target_conclusion_on")
        if launched and target and target < launched:
            raise serializers.ValidationError(
                {"target_conclusion_on": [_("The target date is before the launch date.")]}
            )
        if data.get("structure") == Structure.COPY and data.get("copy_from") is None:
            raise serializers.ValidationError(
                {"copy_from": [_("Choose the agreement whose structure to copy.")]}
            )
        return data


class PartyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    code = serializers.CharField(max_length=3)
    capital_time_zone = serializers.CharField(max_length=64)


class RoundWriteSerializer(Fingerprinted):
    number = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    mode = serializers.ChoiceField(choices=RoundMode.choices, required=False)
    host_party = scoped(Party, "delegations__agreement")
    location = serializers.CharField(max_length=200, allow_blank=True, required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    dates_assumed = serializers.BooleanField(required=False)


class WorkingGroupWriteSerializer(Fingerprinted):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=12)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class ChapterCreateSerializer(serializers.Serializer):
    working_group = scoped(WorkingGroup, "agreement", required=True, allow_null=False)
    title = serializers.CharField(max_length=200)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class ChapterUpdateSerializer(Versioned):
    working_group = scoped(WorkingGroup, "agreement", allow_null=False)
    title = serializers.CharField(max_length=200, required=False)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class ChapterStatusWriteSerializer(Versioned):
    to_status = serializers.ChoiceField(choices=ChapterStatus.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="")
    negotiation_round = scoped(NegotiationRound, "agreement")
    meeting = scoped(Meeting, "agreement")
    effective_at = serializers.DateTimeField(required=False, allow_null=True)


class PositionWriteSerializer(serializers.Serializer):
    party = scoped(Party, "delegations__agreement", required=True, allow_null=False)
    text = serializers.CharField(allow_blank=True, help_text=_("Empty removes the position."))


def _owner_field():
    return scoped(User, "roles__agreement")


class ContestedPointCreateSerializer(serializers.Serializer):
    chapter = scoped(Chapter, "working_group__agreement", required=True, allow_null=False)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    owner = _owner_field()
    target_date = serializers.DateField(required=False, allow_null=True)
    raised_at = scoped(Meeting, "agreement")
    opened_on = serializers.DateField(required=False, allow_null=True)
    positions = PositionWriteSerializer(many=True, required=False)


class ContestedPointUpdateSerializer(Versioned):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    owner = _owner_field()
    target_date = serializers.DateField(required=False, allow_null=True)
    positions = PositionWriteSerializer(many=True, required=False)


class ResolveSerializer(Versioned):
    resolution = serializers.CharField(allow_blank=True, required=False, default="")
    resolved_on = serializers.DateField(required=False, allow_null=True)
    meeting = scoped(Meeting, "agreement")


class EscalateSerializer(Versioned):
    note = serializers.CharField(allow_blank=True, required=False, default="")


class MeetingWriteSerializer(Fingerprinted):
    negotiation_round = scoped(NegotiationRound, "agreement")
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    host_party = scoped(Party, "delegations__agreement")
    location = serializers.CharField(max_length=200, allow_blank=True, required=False)
    video_link = serializers.URLField(allow_blank=True, required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    is_cancelled = serializers.BooleanField(required=False)
    working_groups = scoped(WorkingGroup, "agreement", many=True, allow_null=False)


class DeadlineWriteSerializer(Fingerprinted):
    working_group = scoped(WorkingGroup, "agreement")
    title = serializers.CharField(max_length=300)
    due_on = serializers.DateField()
    set_at = scoped(Meeting, "agreement")
    done = serializers.BooleanField(required=False)
    done_on = serializers.DateField(required=False, allow_null=True)


class CommitmentCreateSerializer(serializers.Serializer):
    meeting = scoped(Meeting, "agreement", required=True, allow_null=False)
    text = serializers.CharField()
    party = scoped(Party, "delegations__agreement")
    owner = _owner_field()
    chapter = scoped(Chapter, "working_group__agreement")
    due_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=CommitmentStatus.choices, required=False)


class CommitmentUpdateSerializer(Versioned):
    text = serializers.CharField(required=False)
    party = scoped(Party, "delegations__agreement")
    owner = _owner_field()
    chapter = scoped(Chapter, "working_group__agreement")
    due_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=CommitmentStatus.choices, required=False)


class DeliverSerializer(Versioned):
    pass
