"""The secretariat's tables (django-tables2)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy


class DelegationTable(tables.Table):
    """The parties at an agreement's table, with a way to edit or remove each."""

    party = tables.Column(verbose_name=gettext_lazy("Party"), accessor="party__name")
    code = tables.Column(verbose_name=gettext_lazy("Code"), accessor="party__code")
    zone = tables.Column(
        verbose_name=gettext_lazy("Capital's time zone"), accessor="party__capital_time_zone"
    )
    head = tables.TemplateColumn(
        template_name="secretariat/_setup_delegation_head.html",
        verbose_name=gettext_lazy("Head of delegation"),
        empty_values=(),
    )
    actions = tables.TemplateColumn(
        template_name="secretariat/_setup_delegation_actions.html",
        verbose_name=gettext_lazy("Actions"),
        empty_values=(),
    )

    class Meta:
        orderable = False
        empty_text = gettext_lazy("No party is at the table yet.")
