import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from negotiations import moments


class AuditEntryTable(tables.Table):
    """The audit trail in words: each cell reads the entry as `audit.presentation` shows it,
    prepared for the whole page at once (see `AuditEntryListView`)."""

    at = tables.Column(verbose_name=_("When"))
    actor = tables.Column(
        verbose_name=_("Who"),
        empty_values=(),
        order_by=("actor__last_name", "actor__first_name", "actor__username"),
    )
    action = tables.Column(verbose_name=_("What"))
    agreement = tables.Column(
        verbose_name=_("Agreement"), empty_values=(), order_by=("agreement__name",)
    )
    object_repr = tables.Column(verbose_name=_("Record"), empty_values=())
    changes = tables.Column(verbose_name=_("Before → after"), empty_values=(), orderable=False)

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "action", "agreement", "object_repr", "changes"]
        empty_text = _("Nothing recorded.")
        attrs = {"class": "table audit-log"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.readable = {}

    def _readable(self, record):
        return self.readable[record.pk]

    def render_at(self, record):
        viewer = timezone.get_current_timezone()
        return moments.format_moment(record.at, viewer, viewer_zone=viewer)

    def render_actor(self, record):
        return self._readable(record).actor

    def render_action(self, record):
        return record.get_action_display()

    def render_agreement(self, record):
        return record.agreement.short_name if record.agreement_id and record.agreement else "—"

    def render_object_repr(self, record):
        return self._readable(record).record_html()

    def render_changes(self, record):
        return self._readable(record).changes_html()

    # What the CSV and XLSX downloads hold: the same words, without the links.
    def value_object_repr(self, record):
        readable = self._readable(record)
        return f"{readable.kind}: {readable.record.text}"

    def value_changes(self, record):
        return self._readable(record).changes_text()
