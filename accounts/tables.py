import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.services import invitation_pending
from negotiations.models import RoleAssignment


class PersonTable(tables.Table):
    """Everyone with a role in one agreement. Rows are role assignments whose user carries
    `agreement_seats`, their memberships in this agreement's groups (prefetched)."""

    name = tables.Column(
        accessor="user",
        verbose_name=_("Name"),
        order_by=("user__last_name", "user__first_name", "user__username"),
    )
    email = tables.Column(accessor="user__email", verbose_name=_("Email"))
    role = tables.Column(verbose_name=_("Role"))
    party = tables.Column(verbose_name=_("Party"), order_by=("party__name",), default="—")
    working_groups = tables.Column(
        accessor="user", verbose_name=_("Working groups"), orderable=False, empty_values=()
    )
    time_zone = tables.Column(accessor="user__time_zone", verbose_name=_("Time zone"))
    status = tables.Column(
        accessor="user", verbose_name=_("Status"), orderable=False, empty_values=()
    )

    class Meta:
        model = RoleAssignment
        fields = []
        sequence = ["name", "email", "role", "party", "working_groups", "time_zone", "status"]
        empty_text = _("Nobody matches.")

    def render_name(self, record):
        """The name, linked to the person's page in this agreement."""
        url = reverse(
            "accounts:person",
            kwargs={"slug": record.agreement.slug, "user_pk": record.user_id},
        )
        return format_html('<a href="{}">{}</a>', url, record.user)

    def render_party(self, value):
        """The party's name, not its "name — agreement" label."""
        return value.name

    def render_working_groups(self, record):
        """The codes of their groups in this agreement ("ROO, TIS")."""
        return ", ".join(seat.working_group.code for seat in record.user.agreement_seats) or "—"

    def render_status(self, record):
        """A badge while the invitation is not taken up."""
        if invitation_pending(record.user):
            return format_html('<span class="badge">{}</span>', _("Invitation pending"))
        return ""

    def value_name(self, record):
        """The name as plain text, for exports."""
        return str(record.user)

    def value_status(self, record):
        """The status as plain text, for exports."""
        return str(_("Invitation pending")) if invitation_pending(record.user) else ""
