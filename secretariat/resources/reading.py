"""Reading an uploaded file into tables: an .xlsx workbook sheet by sheet, or a CSV file
holding one table; each table a tablib dataset whose headers are the columns' keys.
"""

import csv
import dataclasses
import datetime as dt
import io

import openpyxl
import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from secretariat.resources.base import SheetResource
from secretariat.resources.cells import _normalised, _quoted_list
from secretariat.resources.sheets import RESOURCES, _column_label

MAX_FILE_SIZE = 2 * 1024 * 1024
# Bounds on what one file may hold, so that a small but hostile file cannot keep a worker busy.
MAX_ROWS = 2000
MAX_COLUMNS = 30
MAX_SCANNED_ROWS = 10 * MAX_ROWS
# The day Excel counts from: a cell holding a time of day alone is that day at that time.
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclasses.dataclass
class Table:
    """One table of the file as read: its dataset, the spreadsheet row of each dataset row,
    and what was wrong with it as a whole (a missing column, say)."""

    resource: type[SheetResource]
    dataset: tablib.Dataset
    row_numbers: list[int]
    errors: list[str]
    # What was left out without being wrong: columns the import does not read.
    notes: list[str] = dataclasses.field(default_factory=list)


def _sheet_names(resource) -> set[str]:
    """Every name a sheet of this table may have, in every language."""
    names = {_normalised(resource.key), *(_normalised(a) for a in resource.aliases)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(_normalised(resource.sheet_title))
    return names


def _cell_text(value) -> str:
    """A cell as text: 3.0 is "3", a date is ISO ("2027-03-09"), a time "09:00", an empty
    cell ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
        # A cell formatted as a duration ("[h]:mm") is how some sheets hold a time of day.
        value = (dt.datetime.min + value).time()
    if isinstance(value, dt.datetime):
        if value.date() == EXCEL_EPOCH:
            value = value.time()
        elif value.time() == dt.time(0):
            return value.date().isoformat()
        else:
            return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return str(value).strip()


def _table(resource, rows) -> Table:
    """A table from its rows of cells (the first holds the headers)."""
    title = str(resource.sheet_title)
    header, *body = rows or [[]]
    by_header = {}
    for column in resource.columns():
        for name in column.headers():
            by_header[name] = column.key
    positions, errors, notes = {}, [], []
    for index, cell in enumerate(header):
        key = by_header.get(_normalised(_cell_text(cell)))
        if key is None:
            if _cell_text(cell):
                notes.append(
                    _(
                        "%(sheet)s: the column '%(column)s' is not one the import reads; it is "
                        "left out."
                    )
                    % {"sheet": title, "column": _cell_text(cell)}
                )
            continue
        if key in positions:
            errors.append(
                _("%(sheet)s: the column '%(column)s' appears twice.")
                % {"sheet": title, "column": _column_label(key)}
            )
        positions.setdefault(key, index)
    for column in resource.columns():
        if column.required and column.key not in positions:
            errors.append(
                _("%(sheet)s: the column '%(column)s' is missing (row 1 holds the headers).")
                % {"sheet": title, "column": column.label}
            )
    keys = [c.key for c in resource.columns() if c.key in positions]
    dataset, numbers = tablib.Dataset(headers=keys), []
    for number, cells in enumerate(body, start=2):
        values = [
            _cell_text(cells[positions[key]]) if positions[key] < len(cells) else "" for key in keys
        ]
        if any(values):
            dataset.append(values)
            numbers.append(number)
    if len(numbers) > MAX_ROWS:
        raise ValidationError(
            _("The sheet '%(sheet)s' has more than %(limit)s rows: split the file.")
            % {"sheet": title, "limit": MAX_ROWS}
        )
    return Table(resource, dataset, numbers, errors, notes)


def _rows_of(sheet) -> list[list]:
    """The cells of a worksheet, row by row, as far as a file may go."""
    rows = []
    for cells in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        rows.append(list(cells))
        # Formatted but empty rows count too: a sheet may not make the reader walk forever.
        if len(rows) > MAX_SCANNED_ROWS:
            raise ValidationError(
                _("The sheet '%(sheet)s' has more than %(limit)s rows: split the file.")
                % {"sheet": sheet.title, "limit": MAX_ROWS}
            )
    return rows


def _read_workbook(data: bytes) -> tuple[list[Table], list[str]]:
    """The tables of an .xlsx workbook, one per sheet named after one, and the other sheets."""
    unreadable = ValidationError(_("This file could not be read as an Excel workbook (.xlsx)."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # Whatever a damaged or foreign zip makes openpyxl raise, it is not a workbook.
        raise unreadable from error
    tables, notes = {}, []
    try:
        for sheet in workbook.worksheets:
            resource = next(
                (r for r in RESOURCES if _normalised(sheet.title) in _sheet_names(r)), None
            )
            if resource is not None and resource not in tables:
                tables[resource] = _table(resource, _rows_of(sheet))
            else:
                notes.append(
                    _("The sheet '%(sheet)s' is not one the import reads; it is left out.")
                    % {"sheet": sheet.title}
                )
    except ValidationError:
        raise
    except Exception as error:
        raise unreadable from error
    finally:
        workbook.close()
    if not tables:
        raise ValidationError(
            _("None of the sheets of this workbook is called %(names)s.")
            % {"names": _quoted_list(_english(r.sheet_title) for r in RESOURCES)}
        )
    return [tables[r] for r in RESOURCES if r in tables], notes


def _english(text) -> str:
    with translation.override("en"):
        return str(text)


def _read_csv(data: bytes) -> tuple[list[Table], list[str]]:
    """The one table of a CSV file, told by its headers."""
    if b"\x00" in data[:4096]:
        raise ValidationError(_("This file is not a spreadsheet: upload an .xlsx or .csv file."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("This file is not a spreadsheet: upload an .xlsx or .csv file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValidationError(_("The file is empty."))
    header = {_normalised(cell) for cell in rows[0]}
    candidates = []
    for resource in RESOURCES:
        matched = [c for c in resource.columns() if c.headers() & header]
        if all(c in matched for c in resource.columns() if c.required):
            candidates.append((len(matched), resource))
    candidates.sort(key=lambda pair: -pair[0])
    if not candidates or (len(candidates) > 1 and candidates[0][0] == candidates[1][0]):
        raise ValidationError(
            _(
                "The first row of this CSV file does not say which table it holds: name its "
                "columns as the template does (for chapters: working group code, title, order)."
            )
        )
    return [_table(candidates[0][1], rows)], []


def read_tables(data: bytes) -> tuple[list[Table], list[str]]:
    """The tables of an uploaded file, and notes on what of it is left out (a sheet of other
    things, say); `ValidationError` saying why a file cannot be read at all."""
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_FILE_SIZE:
        raise ValidationError(_("The file is larger than 2 MB: split it."))
    if data.startswith(b"PK\x03\x04"):
        tables, notes = _read_workbook(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            _("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) first.")
        )
    else:
        tables, notes = _read_csv(data)
    if not any(table.errors or table.row_numbers for table in tables):
        raise ValidationError(_("The file has no rows to import under its headers."))
    return tables, notes
