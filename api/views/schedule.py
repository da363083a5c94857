"""Rounds, working groups, meetings and deadlines: set up and kept by those who steer."""

from django.db.models import BooleanField, Case, Prefetch, Q, Value, When
from drf_spectacular.utils import extend_schema

from api import serializers as s
from api.base import AS_OF_PARAMETER, paginated
from api.permissions import require
from api.views.common import AgreementPartViewSet, can_steer
from dashboards import asof, selectors
from negotiations import services
from negotiations.models import Deadline, Meeting, NegotiationRound
from workinggroups import services as wg_services
from workinggroups.models import WorkingGroup

FLAG = BooleanField()

# --- Rounds, working groups, meetings and deadlines --------------------------------------------


class RoundViewSet(AgreementPartViewSet):
    queryset = NegotiationRound.objects.none()
    serializer_class = s.RoundSerializer
    ordering = ("number",)
    ordering_fields = ("id", "number", "starts_on")

    @extend_schema(request=s.RoundWriteSerializer, responses={201: s.RoundSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(can_steer(self, agreement))
        data = self.validated(s.RoundWriteSerializer)
        data.pop("version", None)
        created = services.create_round(agreement=agreement, by=request.user, **data)
        return self.answer(created, status=201)

    @extend_schema(request=s.RoundWriteSerializer)
    def partial_update(self, request, pk):
        negotiation_round = self.get_object()
        require(can_steer(self, self.agreement))
        data = self.validated(s.RoundWriteSerializer, partial=True)
        version = self.expected_version(data)
        negotiation_round = self.write(
            services.update_round,
            negotiation_round=negotiation_round,
            by=request.user,
            expected_fingerprint=version,
            **data,
        )
        return self.answer(negotiation_round)


class WorkingGroupViewSet(AgreementPartViewSet):
    queryset = WorkingGroup.objects.none()
    serializer_class = s.WorkingGroupSerializer
    ordering = ("order", "pk")
    ordering_fields = ("id", "order", "name", "code")

    @extend_schema(request=s.WorkingGroupWriteSerializer, responses={201: s.WorkingGroupSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(can_steer(self, agreement))
        data = self.validated(s.WorkingGroupWriteSerializer)
        data.pop("version", None)
        group = wg_services.create_working_group(agreement=agreement, by=request.user, **data)
        return self.answer(group, status=201)

    @extend_schema(request=s.WorkingGroupWriteSerializer)
    def partial_update(self, request, pk):
        group = self.get_object()
        require(can_steer(self, self.agreement))
        data = self.validated(s.WorkingGroupWriteSerializer, partial=True)
        version = self.expected_version(data)
        group = self.write(
            wg_services.update_working_group,
            working_group=group,
            by=request.user,
            name=data.get("name", group.name),
            code=data.get("code", group.code),
            order=data.get("order"),
            expected_fingerprint=version,
        )
        return self.answer(group)


class MeetingViewSet(AgreementPartViewSet):
    queryset = Meeting.objects.none()
    serializer_class = s.MeetingSerializer
    ordering = ("starts_at", "pk")
    ordering_fields = ("id", "starts_at", "title")

    def base_queryset(self):
        return Meeting.objects.prefetch_related(
            Prefetch("working_groups", queryset=WorkingGroup.objects.only("pk"))
        )

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        meetings = super().get_queryset()
        # As the dashboards list them: a view of the past lists only the meetings known then.
        return selectors.meetings_known_at(meetings, getattr(self, "as_of", None) or asof.now())

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, slug):
        self.load_agreement()
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    @extend_schema(request=s.MeetingWriteSerializer, responses={201: s.MeetingSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(can_steer(self, agreement))
        data = self.validated(s.MeetingWriteSerializer)
        data.pop("version", None)
        working_groups = data.pop("working_groups", [])
        meeting = services.create_meeting(
            agreement=agreement, by=request.user, working_groups=working_groups, **data
        )
        return self.answer(meeting, status=201)

    @extend_schema(request=s.MeetingWriteSerializer)
    def partial_update(self, request, pk):
        meeting = self.get_object()
        require(can_steer(self, self.agreement))
        data = self.validated(s.MeetingWriteSerializer, partial=True)
        version = self.expected_version(data)
        working_groups = data.pop("working_groups", None)
        meeting = self.write(
            services.update_meeting,
            meeting=meeting,
            by=request.user,
            working_groups=working_groups,
            expected_fingerprint=version,
            **data,
        )
        return self.answer(meeting)


class DeadlineViewSet(AgreementPartViewSet):
    queryset = Deadline.objects.none()
    serializer_class = s.DeadlineSerializer
    ordering = ("due_on", "pk")
    ordering_fields = ("id", "due_on", "title")

    def _annotated(self, deadlines, as_of):
        # As the dashboards read them: open until done (on its day, or undated: done).
        is_open = selectors.deadline_open_at(as_of.day)
        return deadlines.annotate(
            is_open=Case(When(is_open, then=Value(True)), default=Value(False), output_field=FLAG),
            is_overdue=Case(
                When(is_open & Q(due_on__lt=as_of.day), then=Value(True)),
                default=Value(False),
                output_field=FLAG,
            ),
        )

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        return self._annotated(super().get_queryset(), getattr(self, "as_of", None) or asof.now())

    def detail_queryset(self):
        return self._annotated(super().detail_queryset(), asof.now())

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, slug):
        self.load_agreement()
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    @extend_schema(request=s.DeadlineWriteSerializer, responses={201: s.DeadlineSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(can_steer(self, agreement))
        data = self.validated(s.DeadlineWriteSerializer)
        data.pop("version", None)
        deadline = services.create_deadline(agreement=agreement, by=request.user, **data)
        return self.answer(deadline, status=201)

    @extend_schema(request=s.DeadlineWriteSerializer)
    def partial_update(self, request, pk):
        deadline = self.get_object()
        require(can_steer(self, self.agreement))
        data = self.validated(s.DeadlineWriteSerializer, partial=True)
        version = self.expected_version(data)
        deadline = self.write(
            services.update_deadline,
            deadline=deadline,
            by=request.user,
            expected_fingerprint=version,
            **data,
        )
        return self.answer(deadline)
