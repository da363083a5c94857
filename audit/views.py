from django.core.exceptions import PermissionDenied
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from audit.exports import FORMATS, export_response
from audit.filtersets import AuditEntryFilterSet
from audit.presentation import readable_entries
from audit.selectors import visible_entries
from audit.tables import AuditEntryTable
from dashboards.exports import export_filename
from negotiations import permissions


class AuditEntryListView(SingleTableMixin, FilterView):
    """The secretariat's audit trail: every change in their agreements, newest first, in words,
    with a CSV or XLSX download of what the filter shows (`?export=csv`)."""

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

    def export_format(self):
        export_format = self.request.GET.get("export")
        return export_format if export_format in FORMATS else None

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # Every row of the page (or of the download) is read in one go: the queries stay the
        # same however many rows there are.
        if self.export_format():
            records = list(table.data)
        else:
            records = [row.record for row in table.paginated_rows]
        table.readable = {readable.entry.pk: readable for readable in readable_entries(records)}
        return table

    def get_context_data(self, **kwargs):
        return super().get_context_data(export_formats=list(FORMATS), **kwargs)

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#table"]
        return [self.template_name]

    def render_to_response(self, context, **response_kwargs):
        export_format = self.export_format()
        if export_format:
            name = export_filename("audit-trail", filterset=self.filterset)
            return export_response(context["table"], export_format, name)
        return super().render_to_response(context, **response_kwargs)
