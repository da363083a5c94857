"""Reads of the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from audit.models import AuditEntry
from negotiations.permissions import audit_agreements, can_view_unscoped_audit


def entries_for(instance) -> QuerySet[AuditEntry]:
    """Every entry about one record, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
    ).select_related("actor", "content_type")


def visible_entries(user) -> QuerySet[AuditEntry]:
    """The entries this person may read in the secretariat's list."""
    scope = Q(agreement_id__in=audit_agreements(user).values("pk"))
    if can_view_unscoped_audit(user):
        # Parties and accounts belong to no agreement; those who manage them read their trail.
        scope |= Q(agreement__isnull=True)
    return AuditEntry.objects.filter(scope).select_related("actor", "content_type")
