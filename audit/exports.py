"""CSV and XLSX downloads of the audit trail as the filtered table shows it (the same way the
dashboards' tables are downloaded), safe to open in a spreadsheet program."""

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from dashboards.exports import FORMATS, table_rows

# A cell starting with one of these is run as a formula by spreadsheet programs; recorded text
# ("=HYPERLINK(…)", "-2+3") must stay text, so it gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_response(table, export_format: str, filename: str) -> HttpResponse:
    rows = [[safe_cell(cell) for cell in row] for row in table_rows(table)]
    response = HttpResponse(content_type=FORMATS[export_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    if export_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        # A byte-order mark so that spreadsheet programs read Khmer and Chinese as UTF-8.
        response.write("\ufeff" + buffer.getvalue())
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    for row in rows:
        sheet.append(row)
    workbook.save(response)
    return response
