"""Writes audit entries; every service that changes a record calls one of these in its
transaction, so a change and its audit entry are saved together or not at all."""

import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from audit.choices import AuditAction
from audit.models import AuditEntry
from negotiations.models import Agreement

# How to reach the agreement a record belongs to, tried in order.
_AGREEMENT_PATHS = (
    "agreement_id",
    "working_group.agreement_id",
    "chapter.working_group.agreement_id",
    "contested_point.chapter.working_group.agreement_id",
    "meeting.agreement_id",
)


# Fields that are bookkeeping, not the record's content: never in an entry's before or after.
_NOT_AUDITED = {("user", "password"), ("agreement", "change_generation")}


def snapshot(instance: models.Model) -> dict:
    """The record's concrete field values, as JSON-safe data."""
    model = instance._meta.model_name
    values = {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if (model, field.name) not in _NOT_AUDITED
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
    agreement_id = agreement_id_of(instance)
    entry = AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        agreement_id=agreement_id,
        before=before,
        after=after,
    )
    if agreement_id is not None:
        bump_generation(Agreement.objects.filter(pk=agreement_id))
    else:
        bump_generation(_agreements_showing(instance))
    return entry


def _agreements_showing(instance: models.Model):
    """The agreements whose pages show a record that belongs to none: a party (by its name,
    at their table) or a person (by their name, as a member or owner)."""
    label = instance._meta.label
    if label == "negotiations.Party":
        return Agreement.objects.filter(delegations__party=instance.pk)
    if label == settings.AUTH_USER_MODEL:
        return Agreement.objects.filter(
            Q(roles__user=instance.pk) | Q(working_groups__memberships__user=instance.pk)
        )
    return Agreement.objects.none()


def bump_generation(agreements) -> None:
    """Mark these agreements changed, in the transaction of the change: the pages cached for
    their earlier generation are never served again (dashboards/cache.py). Every service
    records its change here, so every change to an agreement or anything it shows bumps it."""
    Agreement.objects.filter(pk__in=agreements.values("pk")).update(
        change_generation=F("change_generation") + 1
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
