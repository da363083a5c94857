import django_tables2 as tables
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


class AuditEntryTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i")
    actor = tables.Column(verbose_name=_("Who"), default=_("the system"))
    action = tables.Column(verbose_name=_("What"))
    content_type = tables.Column(verbose_name=_("Kind"), accessor="content_type__name")
    object_repr = tables.Column(verbose_name=_("Record"))
    changes = tables.Column(verbose_name=_("Before → after"), empty_values=(), orderable=False)

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "action", "content_type", "object_repr", "changes"]
        empty_text = _("Nothing recorded.")

    def render_changes(self, record):
        # format_html_join escapes every value: recorded text is shown as text, never run.
        return format_html_join(
            "",
            "<div><code>{}</code>: {} → {}</div>",
            (
                (field, "—" if before is None else before, "—" if after is None else after)
                for field, before, after in record.changes()
            ),
        )
