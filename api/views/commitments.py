"""Commitments: made, updated and delivered."""

from drf_spectacular.utils import extend_schema

from api import serializers as s
from api.base import AS_OF_PARAMETER, paginated
from api.permissions import require
from api.views.common import AgreementPartViewSet
from dashboards import asof, selectors
from dashboards.filtersets import CommitmentFilterSet
from negotiations import permissions, services
from negotiations.models import Commitment

# --- Commitments -------------------------------------------------------------------------------


class CommitmentViewSet(AgreementPartViewSet):
    queryset = Commitment.objects.none()
    serializer_class = s.CommitmentSerializer
    filterset_class = CommitmentFilterSet
    filterset_needs_agreement = True
    versioned = True
    ordering_fields = ("id", "due_on")

    def _annotated(self, commitments, as_of):
        return commitments.annotate(status_at=selectors.commitment_status_at(as_of)).annotate(
            is_overdue=selectors.commitment_overdue(as_of.day, "status_at")
        )

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        as_of = getattr(self, "as_of", None) or asof.now()
        commitments = selectors.commitments_known_at(
            Commitment.objects.filter(meeting__agreement=self.agreement), as_of
        )
        return self._annotated(commitments, as_of)

    def detail_queryset(self):
        return self._annotated(Commitment.objects.select_related("meeting__agreement"), asof.now())

    def agreement_of(self, obj):
        return obj.meeting.agreement

    def can_view(self, user, obj):
        return permissions.can_view_commitment(user, obj)

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, slug):
        self.load_agreement()
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    @extend_schema(request=s.CommitmentCreateSerializer, responses={201: s.CommitmentSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(permissions.can_create_commitment(request.user, agreement.pk))
        data = self.validated(s.CommitmentCreateSerializer)
        commitment = services.create_commitment(by=request.user, **data)
        return self.answer(commitment, status=201)

    @extend_schema(request=s.CommitmentUpdateSerializer)
    def partial_update(self, request, pk):
        commitment = self.get_object()
        require(permissions.can_change_commitment(request.user, commitment))
        data = self.validated(s.CommitmentUpdateSerializer, partial=True)
        version = self.expected_version(data)
        commitment = self.write(
            services.update_commitment,
            commitment=commitment,
            by=request.user,
            text=data.get("text", commitment.text),
            party=data.get("party", commitment.party),
            owner=data.get("owner", commitment.owner),
            chapter=data.get("chapter", commitment.chapter),
            due_on=data.get("due_on", commitment.due_on),
            status=data.get("status", commitment.status),
            expected_version=version,
        )
        return self.answer(commitment)

    @extend_schema(request=s.DeliverSerializer, summary="Mark a commitment delivered")
    def deliver(self, request, pk):
        commitment = self.get_object()
        require(permissions.can_change_commitment(request.user, commitment))
        data = self.validated(s.DeliverSerializer)
        version = self.expected_version(data)
        commitment = self.write(
            services.mark_commitment_delivered,
            commitment=commitment,
            by=request.user,
            expected_version=version,
        )
        return self.answer(commitment)
