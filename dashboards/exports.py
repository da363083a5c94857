"""CSV and XLSX downloads of exactly the rows and columns a filtered table shows (the dashboards'
tables and the audit trail alike): named after what they hold, typed so that a spreadsheet can
sort and sum them, and never carrying a formula.

Recorded text is the negotiators' own, and anyone with a role may type it: a contested point
titled `=HYPERLINK(…)` must reach the analyst's spreadsheet as text, not run there.
"""

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal

from django.db.models import Model
from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboards.tables import IsoDateColumn
from negotiations import moments

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# A cell starting with one of these is run as a formula by spreadsheet programs; recorded text
# ("=HYPERLINK(…)", "-2+3") must stay text, so it gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DAY_FORMAT = "yyyy-mm-dd"
MOMENT_FORMAT = "yyyy-mm-dd hh:mm"
# Columns are as wide as their longest cell, but a long commitment wraps no wider than this.
WIDEST_COLUMN = 60
# File names stay short enough to read in a download bar and to keep in any file system.
LONGEST_NAME = 100
LONGEST_FILTER_WORD = 40
# Characters an XLSX file cannot hold at all (control characters other than tab and newlines).
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_TITLE_UNSAFE = re.compile(r"[\\/?*\[\]:]")


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell of a download: `text` for the CSV (as the table shows it, never a formula) and
    `value` for the XLSX (a number, a day or a moment typed as such, or the same text)."""

    text: str
    value: object = None
    number_format: str | None = None

    @property
    def is_text(self):
        return isinstance(self.value, str)


def text_cell(text) -> Cell:
    text = safe_cell(str(text))
    return Cell(text, text)


def day_cell(day: dt.date) -> Cell:
    return Cell(day.isoformat(), day, DAY_FORMAT)


def moment_cell(moment: dt.datetime, text: str) -> Cell:
    """A moment on the reader's clock, the clock named in the cell's format (a spreadsheet has
    no time zones); the CSV keeps the words the page shows."""
    zone = timezone.get_current_timezone()
    local = timezone.localtime(moment, zone) if timezone.is_aware(moment) else moment
    clock = moments.zone_label(zone, local).replace('"', "")
    return Cell(safe_cell(text), local.replace(tzinfo=None), f'{MOMENT_FORMAT} "{clock}"')


def cell_of(value) -> Cell:
    """The cell for a value as `Table.as_values()` gives it."""
    if value is None:
        return Cell("", None)
    if isinstance(value, bool):
        # The tables already say yes or no in words; a bare boolean is said the same way.
        return text_cell(_("yes") if value else _("no"))
    if isinstance(value, int | float | Decimal):
        return Cell(str(value), value)
    if isinstance(value, dt.datetime):
        return moment_cell(value, value.isoformat(sep=" ", timespec="minutes"))
    if isinstance(value, dt.date):
        return day_cell(value)
    return text_cell(value)


def _iso_day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None  # a day column's placeholder for no day


def table_cells(table, *, moment_columns=()) -> list[list[Cell]]:
    """Header and every filtered row (all pages), only the columns shown, as cells.

    The values are those of `Table.as_values()`; a day column's ISO text becomes a day, and the
    columns named in `moment_columns` become the moment their record holds (the CSV keeps the
    column's words)."""
    hidden = {column.name for column in table.columns.iterall() if not column.visible}
    hidden.update(table.exclude or ())
    columns = [
        column
        for column in table.columns.iterall()
        if not (column.column.exclude_from_export or column.name in hidden)
    ]
    rows = [[text_cell(force_str(column.header)) for column in columns]]
    for row in table.rows:
        cells = []
        for column in columns:
            value = force_str(row.get_cell_value(column.name), strings_only=True)
            cell = cell_of(value)
            if column.name in moment_columns:
                moment = column.accessor.resolve(row.record, quiet=True)
                if isinstance(moment, dt.datetime):
                    cell = moment_cell(moment, "" if value is None else str(value))
            elif isinstance(column.column, IsoDateColumn) and _iso_day(value):
                cell = day_cell(_iso_day(value))
            cells.append(cell)
        rows.append(cells)
    return rows


# ---------------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------------
def _slug(value) -> str:
    return slugify(str(value)).replace("_", "-")[:LONGEST_FILTER_WORD].strip("-")


def _filter_word(value) -> str:
    """A filter's value in a file name: "agreed", "rules-of-origin", "2020-05-01-to-2020-06-01"."""
    if value in (None, ""):
        return ""
    if isinstance(value, bool) or value in ("true", "false"):
        return "yes" if value in (True, "true") else "no"
    if isinstance(value, slice):
        start, stop = (_filter_word(value.start), _filter_word(value.stop))
        if start and stop:
            return f"{start}-to-{stop}"
        return f"from-{start}" if start else (f"until-{stop}" if stop else "")
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        # A name in Khmer or Chinese has no ASCII slug: the record's number says which.
        return _slug(getattr(value, "slug", "") or value) or str(value.pk)
    if isinstance(value, list | tuple) or hasattr(value, "model"):
        return "-".join(word for word in map(_filter_word, value) if word)
    return _slug(value)


def filter_words(filterset) -> list[str]:
    """Each filter applied, as "status-agreed", in the order the filter form shows them."""
    if filterset is None or not filterset.is_bound:
        return []
    filterset.is_valid()
    data = getattr(filterset.form, "cleaned_data", {})
    words = []
    for name in filterset.filters:
        word = _filter_word(data.get(name))
        if word:
            label = "search" if name == "q" else _slug(name)
            words.append(f"{label}-{word}")
    return words


def export_filename(*names, as_of=None, filterset=None) -> str:
    """What a download is called, without its extension: what it holds, the point it shows
    ("as-of-round-2", "as-of-2020-05-01", or today's date) and its filters, e.g.
    `cambodia-china-fta-chapters-as-of-round-2-status-agreed`; ASCII, at most 100 characters."""
    parts = [_slug(name) for name in names if name]
    if as_of is not None and not as_of.is_now:
        parts.append(f"as-of-{slugify(as_of.param)}")
    else:
        parts.append(f"{timezone.localdate():%Y-%m-%d}")
    stem = "-".join(part for part in parts if part)[:LONGEST_NAME]
    for word in filter_words(filterset):
        if len(stem) + 1 + len(word) > LONGEST_NAME:
            break
        stem = f"{stem}-{word}"
    return stem


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
def write_csv(rows: list[list[Cell]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([cell.text for cell in row] for row in rows)
    # A byte-order mark so that spreadsheet programs read Khmer and Chinese as UTF-8.
    return "\ufeff" + buffer.getvalue()


def _display_width(text: str) -> int:
    """How many narrow characters a text is as wide as: a Chinese character counts two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _cell_width(cell: Cell) -> int:
    if isinstance(cell.value, dt.datetime):
        # The format shows as many characters as it has, less the quotes around the clock.
        return _display_width(cell.number_format.replace('"', ""))
    if isinstance(cell.value, dt.date):
        return len(DAY_FORMAT)
    longest_line = max(cell.text.splitlines() or [""], key=_display_width)
    return _display_width(longest_line)


def _sheet_title(title: str) -> str:
    return SHEET_TITLE_UNSAFE.sub(" ", str(title)).strip()[:31] or "Sheet"


def write_xlsx(rows: list[list[Cell]], title: str, stream) -> None:
    """One sheet: a bold header row that stays in view and filters, columns as wide as their
    content, every cell typed, text never read as a formula or an error code."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    width = max((len(row) for row in rows), default=0)
    if rows and width:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{len(rows)}"
        for index in range(width):
            widest = max(_cell_width(row[index]) for row in rows if index < len(row))
            # Room for the filter's drop-down arrow beside the header.
            letter = get_column_letter(index + 1)
            sheet.column_dimensions[letter].width = min(widest + 3, WIDEST_COLUMN)
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        written = []
        for cell in row:
            value = (UNWRITABLE.sub("", cell.value) or None) if cell.is_text else cell.value
            written_cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # Text is a string cell, whatever it starts with ("=…" or "#N/A").
                written_cell.data_type = "s"
            if cell.number_format:
                written_cell.number_format = cell.number_format
            if number == 0:
                written_cell.font = bold
            written.append(written_cell)
        sheet.append(written)
    workbook.save(stream)


def export_response(
    table, export_format: str, filename: str, *, title: str = "", moment_columns=()
) -> HttpResponse:
    """The table as a CSV or XLSX download called `filename` (without its extension)."""
    rows = table_cells(table, moment_columns=moment_columns)
    response = HttpResponse(content_type=FORMATS[export_format])
    response["Content-Disposition"] = content_disposition_header(
        True, f"{filename}.{export_format}"
    )
    if export_format == "csv":
        response.write(write_csv(rows))
    else:
        write_xlsx(rows, title or filename, response)
    return response
