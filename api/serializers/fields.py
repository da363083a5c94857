"""References scoped to the request's agreement, and versions of records without one."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from negotiations.models import (
    Meeting,
)
from workinggroups.services import fingerprint

# --- Fields ------------------------------------------------------------------------------------


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a record of the request's agreement (`context["agreement"]`);
    anything else reads as not found, so no other agreement's records can be probed."""

    def __init__(self, *, scope: str, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        agreement = self.context.get("agreement")
        queryset = super().get_queryset()
        if agreement is None:
            return queryset.none()
        return queryset.filter(**{self.scope: agreement}).distinct()


def scoped(model, scope, **kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return ScopedPrimaryKeyField(queryset=model.objects.all(), scope=scope, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class FingerprintField(serializers.Field):
    """The version of a record without a version column: a digest of it as saved."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, instance):
        if isinstance(instance, Meeting):
            # As meeting_fingerprint() reads it, from the prefetched groups.
            groups = sorted(group.pk for group in instance.working_groups.all())
            return fingerprint(instance, working_groups=groups)
        return fingerprint(instance)


VERSION_HELP = _(
    "The version you read: send it back with a change (or as If-Match); a change based on an "
    "older version is refused with 409."
)
