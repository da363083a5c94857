"""What every endpoint shares: who may call, how lists are filtered, ordered and paged, how
the agreement in the address is loaded and checked, and how a write names the version it saw."""

import re

from django.db.models import Model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, filters, viewsets

from api.permissions import ApiAccess, require
from api.problems import Conflict, VersionRequired
from dashboards import asof, selectors
from negotiations import permissions
from negotiations.models import Agreement
from negotiations.services.schedule import meeting_fingerprint
from workinggroups.services import EditConflict, fingerprint

AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.STR,
    description=(
        "Show the list as it stood at a past point: `round-2` (after the second round) or a "
        "day such as `2020-05-01`. Omitted: now."
    ),
    pattern=r"^(round-\d{1,3}|\d{4}-\d{2}-\d{2})$",
)

ETAG = re.compile(r'^(?:W/)?"?([^"]*)"?$')


class ScopedFilterBackend(DjangoFilterBackend):
    """The pages' FilterSets, given the agreement when they are scoped to one."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if getattr(view, "filterset_needs_agreement", False):
            kwargs["agreement"] = getattr(view, "agreement", None)
        return kwargs


class ApiViewSet(viewsets.GenericViewSet):
    """A resource: listed (and created) under its agreement, read and changed at its own id.

    Subclasses name `can_view(user, obj)` and the questions for each write, always functions
    of negotiations/permissions.py."""

    permission_classes = [ApiAccess]
    filter_backends = [ScopedFilterBackend, filters.OrderingFilter]
    ordering = ("pk",)
    ordering_fields = ("id",)
    # Whether the model has a version column (an integer); otherwise its fingerprint is its
    # version.
    versioned = False
    agreement = None

    # --- The agreement in the address -----------------------------------------------------

    def load_agreement(self) -> Agreement:
        agreement = get_object_or_404(Agreement, slug=self.kwargs["slug"])
        require(permissions.can_view_agreement(self.request.user, agreement.pk))
        self.agreement = agreement
        return agreement

    def agreement_of(self, obj) -> Agreement:
        raise NotImplementedError

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "agreement": self.agreement}

    def validated(self, serializer_class, *, partial=False) -> dict:
        """The request's body checked by `serializer_class`; 400 with each field's errors."""
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # --- Objects ------------------------------------------------------------------------------

    def can_view(self, user, obj) -> bool:
        raise NotImplementedError

    def detail_queryset(self):
        return self.get_queryset()

    def get_object(self) -> Model:
        obj = get_object_or_404(self.detail_queryset(), pk=self.kwargs["pk"])
        require(self.can_view(self.request.user, obj))
        self.agreement = self.agreement_of(obj)
        return obj

    def reload(self, obj) -> Model:
        return self.detail_queryset().get(pk=obj.pk)

    # --- As of --------------------------------------------------------------------------------

    def read_as_of(self) -> asof.AsOf:
        value = self.request.query_params.get("as_of")
        # Rounds are an agreement's own: across agreements, only a day can be read.
        rounds = selectors.rounds_of(self.agreement) if value and self.agreement else ()
        as_of = asof.parse(value, rounds)
        if as_of.unread:
            raise exceptions.ValidationError(
                {
                    "as_of": [
                        _(
                            "%(value)s is not a point this agreement has passed: give a round "
                            "it has held (round-2) or a past day (2020-05-01)."
                        )
                        % {"value": as_of.unread}
                    ]
                }
            )
        return as_of

    # --- Versions -----------------------------------------------------------------------------

    def version_of(self, obj):
        if self.versioned:
            return obj.version
        if obj._meta.model_name == "meeting":
            return meeting_fingerprint(obj)
        return fingerprint(obj)

    def expected_version(self, data: dict):
        """The version the client read: the `version` field, else the If-Match header."""
        version = data.pop("version", None)
        if version is None:
            header = self.request.headers.get("If-Match", "").strip()
            match = ETAG.match(header) if header else None
            version = match.group(1) if match and match.group(1) else None
            if version is not None and self.versioned:
                try:
                    version = int(version)
                except ValueError:
                    raise VersionRequired(
                        {"version": [_("If-Match must be the ETag you read.")]}
                    ) from None
        if version is None:
            raise VersionRequired(
                {
                    "version": [
                        _(
                            "Send the version you read, in the version field or as If-Match: "
                            "a change is applied only to the record you saw."
                        )
                    ]
                }
            )
        return version

    def write(self, service, **kwargs):
        """Call a service; a version conflict answers 409 with the record as it is now."""
        try:
            return service(**kwargs)
        except EditConflict as conflict:
            current = self.reload(conflict.current)
            raise Conflict(
                current_version=self.version_of(current),
                current=self.get_serializer(current).data,
            ) from None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        etag = getattr(self, "etag", None)
        if etag is not None and 200 <= response.status_code < 300:
            response["ETag"] = f'"{etag}"'
        return response

    def answer(self, obj, status=200):
        from rest_framework.response import Response

        obj = self.reload(obj)
        self.etag = self.version_of(obj)
        return Response(self.get_serializer(obj).data, status=status)


def paginated(view, queryset):
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(view.get_serializer(page, many=True).data)


def present(data: dict, *names) -> dict:
    """The fields among `names` that the request gave."""
    return {name: data[name] for name in names if name in data}
