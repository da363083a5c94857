"""CSV and XLSX downloads of exactly the rows and columns a filtered table shows."""

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _text(value):
    return "" if value is None else str(value)


def table_rows(table):
    """Header and every filtered row (all pages), only the columns shown, as text."""
    hidden = {column.name for column in table.columns.iterall() if not column.visible}
    hidden.update(table.exclude or ())
    return [[_text(value) for value in row] for row in table.as_values(exclude_columns=hidden)]


def export_response(table, export_format: str, filename: str) -> HttpResponse:
    rows = table_rows(table)
    response = HttpResponse(content_type=FORMATS[export_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    if export_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(rows)
        # A byte-order mark so that spreadsheet programs read Khmer and Chinese as UTF-8.
        response.write("\ufeff" + buffer.getvalue())
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    for row in rows:
        sheet.append(row)
    workbook.save(response)
    return response
