"""Chapters, their status changes and history, and their contested points."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api import serializers as s
from api.base import AS_OF_PARAMETER, ApiViewSet, paginated, present
from api.permissions import require
from api.views.common import AgreementPartViewSet, can_steer
from dashboards import asof, selectors
from dashboards.filtersets import ChapterFilterSet, ContestedPointFilterSet
from negotiations import permissions
from workinggroups import services as wg_services
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint

# --- Chapters and their history ----------------------------------------------------------------


class ChapterViewSet(AgreementPartViewSet):
    queryset = Chapter.objects.none()
    serializer_class = s.ChapterSerializer
    filterset_class = ChapterFilterSet
    filterset_needs_agreement = True
    versioned = True
    agreement_path = "working_group__agreement"
    ordering_fields = ("id", "title", "order", "status_at")

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        chapters = Chapter.objects.filter(working_group__agreement=self.agreement)
        return selectors.chapter_states(chapters, getattr(self, "as_of", None) or asof.now())

    def detail_queryset(self):
        return selectors.chapter_states(
            Chapter.objects.select_related("working_group__agreement"), asof.now()
        )

    def agreement_of(self, obj):
        return obj.working_group.agreement

    def can_view(self, user, obj):
        return permissions.can_view_chapter(user, obj)

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, slug):
        self.load_agreement()
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    @extend_schema(request=s.ChapterCreateSerializer, responses={201: s.ChapterSerializer})
    def create(self, request, slug):
        agreement = self.load_agreement()
        require(can_steer(self, agreement))
        data = self.validated(s.ChapterCreateSerializer)
        chapter = wg_services.create_chapter(by=request.user, **data)
        return self.answer(chapter, status=201)

    @extend_schema(request=s.ChapterUpdateSerializer)
    def partial_update(self, request, pk):
        chapter = self.get_object()
        require(can_steer(self, self.agreement))
        data = self.validated(s.ChapterUpdateSerializer, partial=True)
        version = self.expected_version(data)
        chapter = self.write(
            wg_services.update_chapter,
            chapter=chapter,
            by=request.user,
            expected_version=version,
            **present(data, "title", "order", "working_group"),
        )
        return self.answer(chapter)

    @extend_schema(
        request=s.ChapterStatusWriteSerializer,
        responses={201: s.ChapterStatusChangeSerializer},
        summary="Change a chapter's status",
        description=(
            "Moves the chapter and writes its history row together. Send the chapter's version "
            "you read; a stale one is refused with 409 and nothing is written."
        ),
    )
    def change_status(self, request, pk):
        chapter = self.get_object()
        require(permissions.can_change_chapter(request.user, chapter))
        data = self.validated(s.ChapterStatusWriteSerializer)
        version = self.expected_version(data)
        change = self.write(
            wg_services.change_chapter_status,
            chapter=chapter,
            by=request.user,
            expected_version=version,
            **data,
        )
        chapter = self.reload(chapter)
        response = Response(s.ChapterStatusChangeSerializer(change).data, status=201)
        response["ETag"] = f'"{chapter.version}"'
        return response


class ChapterHistoryViewSet(ApiViewSet):
    """A chapter's status history, oldest first."""

    queryset = ChapterStatusChange.objects.none()
    serializer_class = s.ChapterStatusChangeSerializer
    filter_backends = []
    ordering = ("effective_at", "pk")

    def list(self, request, pk):
        chapter = get_object_or_404(Chapter.objects.select_related("working_group"), pk=pk)
        require(permissions.can_view_chapter(request.user, chapter))
        changes = ChapterStatusChange.objects.filter(chapter=chapter)
        return paginated(self, changes)


# --- Contested points --------------------------------------------------------------------------


class ContestedPointViewSet(AgreementPartViewSet):
    queryset = ContestedPoint.objects.none()
    serializer_class = s.ContestedPointSerializer
    filterset_class = ContestedPointFilterSet
    filterset_needs_agreement = True
    versioned = True
    ordering_fields = ("id", "target_date", "title", "opened_on")

    def _annotated(self, points, as_of):
        return (
            points.annotate(state_at=selectors.point_state_at(as_of))
            .annotate(is_overdue=selectors.point_overdue(as_of.day))
            .prefetch_related("positions")
        )

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        as_of = getattr(self, "as_of", None) or asof.now()
        points = ContestedPoint.objects.filter(chapter__working_group__agreement=self.agreement)
        # The same points, in the same state, as the page's table.
        return self._annotated(selectors.points_at(points, as_of), as_of)

    def detail_queryset(self):
        return self._annotated(
            ContestedPoint.objects.select_related("chapter__working_group__agreement"),
            asof.now(),
        )

    def agreement_of(self, obj):
        return obj.chapter.working_group.agreement

    def can_view(self, user, obj):
        return permissions.can_view_contested_point(user, obj)

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, slug):
        self.load_agreement()
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    @staticmethod
    def _positions(data):
        return {row["party"]: row["text"] for row in data.pop("positions", [])}

    @extend_schema(
        request=s.ContestedPointCreateSerializer, responses={201: s.ContestedPointSerializer}
    )
    def create(self, request, slug):
        self.load_agreement()
        data = self.validated(s.ContestedPointCreateSerializer)
        require(permissions.can_change_chapter(request.user, data["chapter"]))
        positions = self._positions(data)
        point = wg_services.open_contested_point(by=request.user, positions=positions, **data)
        return self.answer(point, status=201)

    @extend_schema(request=s.ContestedPointUpdateSerializer)
    def partial_update(self, request, pk):
        point = self.get_object()
        require(permissions.can_edit_contested_point(request.user, point))
        data = self.validated(s.ContestedPointUpdateSerializer, partial=True)
        version = self.expected_version(data)
        positions = self._positions(data)
        point = self.write(
            wg_services.update_contested_point,
            point=point,
            by=request.user,
            title=data.get("title", point.title),
            description=data.get("description", point.description),
            owner=data.get("owner", point.owner),
            target_date=data.get("target_date", point.target_date),
            positions=positions,
            expected_version=version,
        )
        return self.answer(point)

    @extend_schema(request=s.ResolveSerializer, summary="Resolve a contested point")
    def resolve(self, request, pk):
        point = self.get_object()
        require(permissions.can_resolve_contested_point(request.user, point))
        data = self.validated(s.ResolveSerializer)
        version = self.expected_version(data)
        point = self.write(
            wg_services.resolve_contested_point,
            point=point,
            by=request.user,
            expected_version=version,
            **data,
        )
        return self.answer(point)

    @extend_schema(request=s.EscalateSerializer, summary="Escalate to the chief negotiators")
    def escalate(self, request, pk):
        point = self.get_object()
        require(permissions.can_edit_contested_point(request.user, point))
        data = self.validated(s.EscalateSerializer)
        version = self.expected_version(data)
        point = self.write(
            wg_services.escalate_contested_point,
            point=point,
            by=request.user,
            expected_version=version,
            **data,
        )
        return self.answer(point)
