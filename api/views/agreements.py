"""Agreements, parties and the audit trail."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api import serializers as s
from api.base import AS_OF_PARAMETER, ApiViewSet, paginated
from api.permissions import require
from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from audit.selectors import visible_entries
from dashboards import asof, selectors
from negotiations import permissions, services
from negotiations.filtersets import AgreementFilterSet
from negotiations.models import Agreement, Party

LOCATION_HEADER = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    location=OpenApiParameter.HEADER,
    description="The new agreement's address.",
    response=[201],
)

# --- Agreements and parties --------------------------------------------------------------------


class AgreementViewSet(ApiViewSet):
    """The agreements you hold a role in."""

    queryset = Agreement.objects.none()
    serializer_class = s.AgreementSerializer
    filterset_class = AgreementFilterSet
    ordering_fields = ("id", "name", "short_name", "launched_on")
    lookup_field = "slug"

    def get_queryset(self):
        # The portfolio page's reading: counts and the status at the as-of point.
        agreements = selectors.portfolio(
            permissions.visible_agreements(self.request.user),
            getattr(self, "as_of", None) or asof.now(),
        )
        return agreements.prefetch_related(
            Prefetch("parties", queryset=Party.objects.order_by("name"))
        )

    def detail_queryset(self):
        return selectors.portfolio(Agreement.objects.all(), asof.now()).prefetch_related(
            Prefetch("parties", queryset=Party.objects.order_by("name"))
        )

    def get_object(self):
        obj = get_object_or_404(self.detail_queryset(), slug=self.kwargs["slug"])
        require(permissions.can_view_agreement(self.request.user, obj.pk))
        self.agreement = obj
        return obj

    def agreement_of(self, obj):
        return obj

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request):
        self.as_of = self.read_as_of()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, slug):
        return self.answer(self.get_object())

    @extend_schema(
        request=s.AgreementCreateSerializer,
        responses={201: s.AgreementSerializer},
        parameters=[LOCATION_HEADER],
        summary="Open a new agreement",
        description=(
            "Opens the agreement as the new-agreement page does: its parties at the table, its "
            "working groups and chapters (the standard set, a copy of another agreement's, or "
            "none), and you as its secretariat. Answers with the agreement and its address in "
            "`Location`."
        ),
    )
    def create(self, request):
        require(permissions.can_create_agreement(request.user))
        data = self.validated(s.AgreementCreateSerializer)
        agreement = services.create_agreement(by=request.user, **data)
        self.agreement = agreement
        response = self.answer(agreement, status=201)
        response["Location"] = request.build_absolute_uri(
            reverse("api:agreement-detail", kwargs={"slug": agreement.slug})
        )
        return response

    @extend_schema(request=s.AgreementWriteSerializer)
    def partial_update(self, request, slug):
        agreement = self.get_object()
        require(permissions.can_manage_agreement(request.user, agreement.pk))
        data = self.validated(s.AgreementWriteSerializer, partial=True)
        version = self.expected_version(data)
        agreement = self.write(
            services.update_agreement,
            agreement=agreement,
            by=request.user,
            expected_fingerprint=version,
            **data,
        )
        return self.answer(agreement)


class PartyViewSet(ApiViewSet):
    """The parties at the tables of the agreements you hold a role in."""

    queryset = Party.objects.none()
    serializer_class = s.PartySerializer
    ordering_fields = ("id", "name", "code")

    def get_queryset(self):
        user = self.request.user
        if permissions.can_manage_accounts(user):
            return Party.objects.all()
        return Party.objects.filter(
            pk__in=permissions.visible_agreements(user).values("delegations__party")
        )

    def detail_queryset(self):
        return Party.objects.all()

    def can_view(self, user, obj):
        return self.get_queryset().filter(pk=obj.pk).exists()

    def agreement_of(self, obj):
        return None

    def list(self, request):
        return paginated(self, self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=s.PartyWriteSerializer, responses={201: s.PartySerializer})
    def create(self, request):
        require(permissions.can_create_party(request.user))
        data = self.validated(s.PartyWriteSerializer)
        party = services.create_party(by=request.user, **data)
        return Response(self.get_serializer(party).data, status=201)


# --- The audit trail ---------------------------------------------------------------------------


class AuditEntryViewSet(ApiViewSet):
    """The audit trail of the agreements where you are the secretariat, newest first."""

    queryset = AuditEntry.objects.none()
    serializer_class = s.AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    ordering = ("-pk",)
    ordering_fields = ("id",)

    def get_queryset(self):
        return visible_entries(self.request.user)

    def list(self, request):
        require(permissions.can_view_audit(request.user))
        return paginated(self, self.filter_queryset(self.get_queryset()))
