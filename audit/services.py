"""Writes audit entries; every service that changes a record calls one of these in its
transaction, so a change and its audit entry are saved together or not at all."""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from audit.choices import AuditAction
from audit.models import AuditEntry

# How to reach the agreement a record belongs to, tried in order.
_AGREEMENT_PATHS = (
    "agreement_id",
    "working_group.agreement_id",
    "chapter.working_group.agreement_id",
    "contested_point.chapter.working_group.agreement_id",
    "meeting.agreement_id",
)


def snapshot(instance: models.Model) -> dict:
    """The record's concrete field values, as JSON-safe data."""
    values = {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if not (field.name == "password" and instance._meta.model_name == "user")
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def agreement_id_of(instance: models.Model):
    if instance._meta.label == "negotiations.Agreement":
        return instance.pk
    for path in _AGREEMENT_PATHS:
        value = instance
        try:
            for step in path.split("."):
                value = getattr(value, step)
        except (AttributeError, models.ObjectDoesNotExist):
            continue
        if value is not None:
            return value
    return None


def record(
    *, action: str, instance: models.Model, actor=None, before: dict | None = None
) -> AuditEntry:
    """Write one audit entry for `instance` as it is now (`before` as read before the change)."""
    after = None if action == AuditAction.DELETE else snapshot(instance)
    if action == AuditAction.UPDATE and before == after:
        return None
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        agreement_id=agreement_id_of(instance),
        before=before,
        after=after,
    )


def record_create(*, instance, actor=None) -> AuditEntry:
    return record(action=AuditAction.CREATE, instance=instance, actor=actor)


def record_update(*, instance, before: dict, actor=None) -> AuditEntry | None:
    return record(action=AuditAction.UPDATE, instance=instance, actor=actor, before=before)


def record_save(*, instance, before: dict | None, actor=None) -> AuditEntry | None:
    """The entry for a record just saved: its creation when nothing was read `before`, else
    its change."""
    if before is None:
        return record_create(instance=instance, actor=actor)
    return record_update(instance=instance, before=before, actor=actor)


def record_delete(*, instance, before: dict | None = None, actor=None) -> AuditEntry:
    return record(
        action=AuditAction.DELETE,
        instance=instance,
        actor=actor,
        before=before if before is not None else snapshot(instance),
    )
