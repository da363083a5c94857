"""Reads of the audit trail."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from audit.models import AuditEntry
from negotiations.permissions import audit_agreements, can_view_unscoped_audit

# Records whose edits belong in another record's change log: (model, the column naming it).
# A contested point's log tells each party's position being given, changed or withdrawn.
PARTS = {
    "workinggroups.contestedpoint": (("workinggroups.Position", "contested_point_id"),),
}


def entries_for(instance) -> QuerySet[AuditEntry]:
    """Every entry about one record, and about the parts shown in its change log (a contested
    point's positions), newest first."""
    scope = Q(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
    )
    for label, column in PARTS.get(instance._meta.label_lower, ()):
        part = ContentType.objects.get_for_model(apps.get_model(label))
        scope |= Q(content_type=part) & (
            Q(**{f"after__{column}": instance.pk}) | Q(**{f"before__{column}": instance.pk})
        )
    return AuditEntry.objects.filter(scope).select_related("actor", "content_type")


def visible_entries(user) -> QuerySet[AuditEntry]:
    """The entries this person may read in the secretariat's list."""
    scope = Q(agreement_id__in=audit_agreements(user).values("pk"))
    if can_view_unscoped_audit(user):
        # Parties and accounts belong to no agreement; those who manage them read their trail.
        scope |= Q(agreement__isnull=True)
    return AuditEntry.objects.filter(scope).select_related("actor", "content_type", "agreement")
