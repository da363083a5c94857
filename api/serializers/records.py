"""What the API shows of each record."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import VERSION_HELP, FingerprintField
from audit.models import AuditEntry
from negotiations.choices import (
    AgreementStatus,
    CommitmentStatus,
)
from negotiations.models import (
    Agreement,
    Commitment,
    Deadline,
    Meeting,
    NegotiationRound,
    Party,
)
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Position,
    WorkingGroup,
)

# --- Output ------------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = ["id", "name", "code", "capital_time_zone"]


class AgreementSerializer(serializers.ModelSerializer):
    parties = PartySerializer(many=True, read_only=True)
    status_at = serializers.ChoiceField(
        choices=AgreementStatus.choices,
        read_only=True,
        help_text=_("The status at the as-of point (now, unless `as_of` was given)."),
    )
    agreed_count = serializers.IntegerField(read_only=True)
    contested_count = serializers.IntegerField(read_only=True)
    overdue_deadlines = serializers.IntegerField(read_only=True)
    overdue_commitments = serializers.IntegerField(read_only=True)
    next_meeting = serializers.IntegerField(
        source="next_meeting_id", read_only=True, allow_null=True
    )
    version = FingerprintField(help_text=VERSION_HELP)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "slug",
            "name",
            "short_name",
            "description",
            "kind",
            "status",
            "launched_on",
            "target_conclusion_on",
            "concluded_on",
            "signed_on",
            "in_force_on",
            "is_demo",
            "parties",
            "status_at",
            "agreed_count",
            "contested_count",
            "overdue_deadlines",
            "overdue_commitments",
            "next_meeting",
            "version",
        ]


class RoundSerializer(serializers.ModelSerializer):
    version = FingerprintField(help_text=VERSION_HELP)

    class Meta:
        model = NegotiationRound
        fields = [
            "id",
            "agreement",
            "number",
            "starts_on",
            "ends_on",
            "mode",
            "host_party",
            "location",
            "summary",
            "dates_assumed",
            "version",
        ]


class WorkingGroupSerializer(serializers.ModelSerializer):
    version = FingerprintField(help_text=VERSION_HELP)

    class Meta:
        model = WorkingGroup
        fields = ["id", "agreement", "name", "code", "order", "version"]


class ChapterSerializer(serializers.ModelSerializer):
    status_at = serializers.ChoiceField(
        choices=ChapterStatus.choices,
        read_only=True,
        help_text=_("The status at the as-of point (now, unless `as_of` was given)."),
    )
    contested_at = serializers.BooleanField(
        read_only=True, help_text=_("Whether a contested point was open at the as-of point.")
    )

    class Meta:
        model = Chapter
        fields = [
            "id",
            "working_group",
            "title",
            "order",
            "status",
            "status_at",
            "contested_at",
            "version",
        ]
        extra_kwargs = {"version": {"help_text": VERSION_HELP}}


class ChapterStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChapterStatusChange
        fields = [
            "id",
            "chapter",
            "from_status",
            "to_status",
            "negotiation_round",
            "meeting",
            "note",
            "changed_by",
            "effective_at",
            "recorded_at",
        ]


class PositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Position
        fields = ["party", "text"]


class ContestedPointSerializer(serializers.ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    state_at = serializers.ChoiceField(
        choices=ContestedPointState.choices,
        read_only=True,
        help_text=_("The state at the as-of point (now, unless `as_of` was given)."),
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ContestedPoint
        fields = [
            "id",
            "chapter",
            "title",
            "description",
            "owner",
            "target_date",
            "state",
            "state_at",
            "is_overdue",
            "raised_at",
            "opened_on",
            "resolved_on",
            "resolution",
            "escalated_at",
            "escalated_by",
            "escalation_note",
            "positions",
            "version",
        ]
        extra_kwargs = {"version": {"help_text": VERSION_HELP}}


class MeetingSerializer(serializers.ModelSerializer):
    version = FingerprintField(help_text=VERSION_HELP)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "agreement",
            "negotiation_round",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "time_zone",
            "host_party",
            "location",
            "video_link",
            "working_groups",
            "summary",
            "is_cancelled",
            "announced_on",
            "version",
        ]


class DeadlineSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(
        read_only=True,
        help_text=_("Not yet done at the as-of point (now, unless `as_of` was given)."),
    )
    is_overdue = serializers.BooleanField(
        read_only=True,
        help_text=_("Past its due day and not yet done at the as-of point."),
    )
    version = FingerprintField(help_text=VERSION_HELP)

    class Meta:
        model = Deadline
        fields = [
            "id",
            "agreement",
            "working_group",
            "title",
            "due_on",
            "set_at",
            "done",
            "done_on",
            "is_open",
            "is_overdue",
            "version",
        ]


class CommitmentSerializer(serializers.ModelSerializer):
    status_at = serializers.ChoiceField(
        choices=CommitmentStatus.choices,
        read_only=True,
        help_text=_("The status at the as-of point (now, unless `as_of` was given)."),
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "meeting",
            "party",
            "text",
            "owner",
            "source",
            "due_on",
            "chapter",
            "status",
            "status_at",
            "is_overdue",
            "version",
        ]
        extra_kwargs = {"version": {"help_text": VERSION_HELP}}


@extend_schema_field({"type": ["object", "null"], "additionalProperties": True})
class RecordSnapshotField(serializers.JSONField):
    """The record's fields before or after the change; null where there was none."""


class AuditEntrySerializer(serializers.ModelSerializer):
    before = RecordSnapshotField(read_only=True)
    after = RecordSnapshotField(read_only=True)
    actor_username = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    kind = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_username",
            "action",
            "kind",
            "object_id",
            "object_repr",
            "agreement",
            "before",
            "after",
        ]

    def get_kind(self, entry) -> str:
        return entry.content_type.model
