from django.core.exceptions import PermissionDenied
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from audit.filtersets import AuditEntryFilterSet
from audit.selectors import visible_entries
from audit.tables import AuditEntryTable
from negotiations import permissions


class AuditEntryListView(SingleTableMixin, FilterView):
    """The secretariat's audit trail: every change in their agreements, newest first."""

    table_class = AuditEntryTable
    filterset_class = AuditEntryFilterSet
    template_name = "audit/entry_list.html"
    # The table paginates; a ListView paginate_by would count the rows a second time.
    table_pagination = {"per_page": 50}

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_view_audit(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return visible_entries(self.request.user)

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#table"]
        return [self.template_name]
