"""The list of agreements a person may see."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from negotiations.filtersets import AgreementFilterSet
from negotiations.models import Agreement, Delegation
from negotiations.permissions import visible_agreements
from negotiations.tables import AgreementTable
from workinggroups.models import Chapter


def _count(rows: QuerySet, group_by: str):
    """A correlated COUNT of `rows` (already filtered on OuterRef), 0 when there are none."""
    counted = rows.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(agreements: QuerySet[Agreement]) -> QuerySet[Agreement]:
    """Agreements annotated `party_count` and `chapter_count`, each a correlated count that an
    index answers for the rows of the page. (Joining both tables and counting distinct rows
    afterwards multiplied every agreement's parties by its chapters before grouping.)"""
    return agreements.annotate(
        party_count=_count(Delegation.objects.filter(agreement=OuterRef("pk")), "agreement"),
        chapter_count=_count(
            Chapter.objects.filter(working_group__agreement=OuterRef("pk")),
            "working_group__agreement",
        ),
    )


class AgreementListView(LoginRequiredMixin, SingleTableMixin, FilterView):
    """Every agreement the person may see, filterable, one page at a time."""

    table_class = AgreementTable
    filterset_class = AgreementFilterSet
    template_name = "negotiations/agreement_list.html"
    table_pagination = {"per_page": 25}  # not paginate_by: that counts the rows twice

    def get_queryset(self):
        return with_counts(visible_agreements(self.request.user)).order_by("name")

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#table"]
        return [self.template_name]
