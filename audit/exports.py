"""CSV and XLSX downloads of the audit trail as the filtered table shows it: the dashboards'
downloads, with each entry's moment typed as a moment in the XLSX."""

from django.http import HttpResponse
from django.utils.translation import gettext as _

from dashboards import exports
from dashboards.exports import FORMATS, FORMULA_STARTS, safe_cell

__all__ = ["FORMATS", "FORMULA_STARTS", "export_response", "safe_cell"]


def export_response(table, export_format: str, filename: str) -> HttpResponse:
    return exports.export_response(
        table, export_format, filename, title=_("Audit trail"), moment_columns=("at",)
    )
