import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dashboards.tables import FastTable
from negotiations.models import Agreement


class ShortDateColumn(tables.Column):
    """A day as the site's short date format writes it, rendered in Python (django-tables2's
    DateColumn renders a template per cell)."""

    def render(self, value):
        return format_html(
            '<time datetime="{}">{}</time>',
            value.isoformat(),
            date_format(value, "SHORT_DATE_FORMAT"),
        )

    def value(self, value):
        return value.isoformat()


class AgreementTable(FastTable):
    name = tables.Column(verbose_name=_("Agreement"))
    status = tables.Column(verbose_name=_("Status"))
    party_count = tables.Column(verbose_name=_("Parties"), orderable=True)
    chapter_count = tables.Column(verbose_name=_("Chapters"))
    launched_on = ShortDateColumn(verbose_name=_("Launched"))
    target_conclusion_on = ShortDateColumn(verbose_name=_("Target conclusion"))

    class Meta:
        model = Agreement
        fields = [
            "name",
            "status",
            "party_count",
            "chapter_count",
            "launched_on",
            "target_conclusion_on",
        ]
        empty_text = _("No agreement is assigned to you yet.")
