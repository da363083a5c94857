from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.choices import AuditAction


class AuditEntryQuerySet(models.QuerySet):
    def readable(self, *, known=()):
        """The entries as the trail shows them to people (see `audit.presentation`); `known`
        records are not read again."""
        from audit.presentation import readable_entries

        return readable_entries(self, known=known)


class AuditEntry(models.Model):
    """One change of one record: who made it, when, and the record before and after."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind")
    )
    object_id = models.CharField(_("record"), max_length=64)
    object_repr = models.CharField(_("record name"), max_length=200)
    # Kept to decide who may read the entry, even after the record itself is gone.
    agreement = models.ForeignKey(
        "negotiations.Agreement",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("agreement"),
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    def changes(self):
        """(field, before, after) for every field that differs, in field order."""
        before, after = self.before or {}, self.after or {}
        names = list(dict.fromkeys([*before, *after]))
        return [
            (name, before.get(name), after.get(name))
            for name in names
            if before.get(name) != after.get(name)
        ]
