from collections import defaultdict

import django_tables2 as tables
from django.db.models import CharField, Value
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from negotiations import moments
from negotiations.models import Commitment
from reminders import selectors
from reminders.choices import NOTICE_OF, ReminderKind, describe
from reminders.models import Reminder

# The name under which the ticked reminders are posted back.
SELECTED_FIELD = "reminder"


def target_names(reminders) -> dict[tuple[str, int], str]:
    """{(kind, target id): a readable name} for what these reminders are about, in one query
    however many rows and kinds (a UNION of one SELECT per kind of target)."""
    reminders = list(reminders)
    ids_by_model = defaultdict(set)
    for reminder in reminders:
        ids_by_model[selectors.MODELS[reminder.kind]].add(reminder.target_id)
    parts = [
        model.objects.filter(pk__in=ids)
        .order_by()
        .annotate(target_model=Value(model._meta.label, output_field=CharField()))
        .values_list("target_model", "pk", "text" if model is Commitment else "title")
        for model, ids in ids_by_model.items()
    ]
    if not parts:
        return {}
    found = {
        (label, pk): Truncator(name).chars(80)
        # Ordered by the result's own columns: the models' default orderings name others.
        for label, pk, name in parts[0].union(*parts[1:], all=True).order_by("target_model", "pk")
    }
    return {
        (r.kind, r.target_id): found[key]
        for r in reminders
        if (key := (selectors.MODELS[r.kind]._meta.label, r.target_id)) in found
    }


def lead_time(reminder) -> str:
    """When the reminder was meant to come, relative to what it is about."""
    days = reminder.offset_days
    if reminder.kind == ReminderKind.ESCALATION:
        return _("when escalated")
    if reminder.kind in NOTICE_OF:
        return _("when it changed")
    if days < 0:
        return _("overdue follow-up")
    if days == 0:
        return _("on the day")
    return ngettext("%(count)d day before", "%(count)d days before", days) % {"count": days}


class SelectColumn(tables.CheckBoxColumn):
    """A tick per row; its header is words, as a lone "select all" box needs a script."""

    @property
    def header(self):
        return self.verbose_name


class NeedsAttentionTable(tables.Table):
    """Failed and unsent reminders, each with a tick to send it again."""

    selected = SelectColumn(accessor="pk", verbose_name=gettext_lazy("Send again"))
    agreement = tables.Column(
        accessor="agreement__short_name",
        verbose_name=gettext_lazy("Agreement"),
        order_by=("agreement__short_name",),
    )
    recipient = tables.Column(
        verbose_name=gettext_lazy("Person"),
        order_by=("recipient__last_name", "recipient__first_name", "recipient__username"),
    )
    about = tables.Column(accessor="target_id", verbose_name=gettext_lazy("About"), orderable=False)
    offset_days = tables.Column(verbose_name=gettext_lazy("Lead time"))
    status = tables.Column(verbose_name=gettext_lazy("Status"))
    attempts = tables.Column(verbose_name=gettext_lazy("Attempts"))
    note = tables.Column(verbose_name=gettext_lazy("Reason"), orderable=False, default="—")
    due_at = tables.Column(verbose_name=gettext_lazy("Due"))

    class Meta:
        model = Reminder
        fields = []
        sequence = [
            "selected",
            "agreement",
            "recipient",
            "about",
            "offset_days",
            "status",
            "attempts",
            "note",
            "due_at",
        ]
        empty_text = gettext_lazy("No reminder matches these filters.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._names = None

    def names(self) -> dict:
        """The readable names of the targets of the rows shown, looked up once per page."""
        if self._names is None:
            self._names = target_names(row.record for row in self.paginated_rows)
        return self._names

    def about_text(self, record) -> str:
        """What one reminder is about, as words: its kind and its target's name."""
        name = self.names().get((record.kind, record.target_id))
        return f"{record.get_kind_display()}: {name or _('(no longer exists)')}"

    def render_selected(self, value, record):
        label = _("Send again the reminder to %(person)s — %(about)s") % {
            "person": record.recipient,
            "about": self.about_text(record),
        }
        return format_html(
            '<input type="checkbox" name="{}" value="{}" aria-label="{}">',
            SELECTED_FIELD,
            value,
            label,
        )

    def render_recipient(self, value):
        return format_html('{}<br><span class="muted small">{}</span>', value, value.email)

    def render_about(self, record):
        name = self.names().get((record.kind, record.target_id))
        return format_html(
            '<span class="muted small">{}</span><br>{}',
            record.get_kind_display(),
            name or _("(no longer exists)"),
        )

    def render_offset_days(self, record):
        return lead_time(record)

    def render_note(self, value):
        # A sentence, in a script that may break between any two characters: kept wide
        # enough to be read, the table scrolls instead.
        return format_html('<span class="reason">{}</span>', describe(value))

    def render_status(self, record):
        return format_html('<span class="badge">{}</span>', record.get_status_display())

    def render_due_at(self, value):
        # The reader's zone: the middleware activates it for every signed-in request.
        return format_html(
            '<time datetime="{}">{}</time>',
            value.isoformat(),
            moments.format_moment(value, timezone.get_current_timezone()),
        )
