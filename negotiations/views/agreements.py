"""The list of agreements a person may see."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from negotiations.filtersets import AgreementFilterSet
from negotiations.permissions import visible_agreements
from negotiations.tables import AgreementTable


class AgreementListView(LoginRequiredMixin, SingleTableMixin, FilterView):
    """Every agreement the person may see, filterable, one page at a time."""

    table_class = AgreementTable
    filterset_class = AgreementFilterSet
    template_name = "negotiations/agreement_list.html"
    table_pagination = {"per_page": 25}  # not paginate_by: that counts the rows twice

    def get_queryset(self):
        return (
            visible_agreements(self.request.user)
            .annotate(
                party_count=Count("parties", distinct=True),
                chapter_count=Count("working_groups__chapters", distinct=True),
            )
            .order_by("name")
        )

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#table"]
        return [self.template_name]
