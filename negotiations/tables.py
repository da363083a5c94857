import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from negotiations.models import Agreement


class AgreementTable(tables.Table):
    name = tables.Column(verbose_name=_("Agreement"))
    status = tables.Column(verbose_name=_("Status"))
    party_count = tables.Column(verbose_name=_("Parties"), orderable=True)
    chapter_count = tables.Column(verbose_name=_("Chapters"))
    launched_on = tables.DateColumn(verbose_name=_("Launched"))
    target_conclusion_on = tables.DateColumn(verbose_name=_("Target conclusion"))

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
