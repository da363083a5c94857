"""The entry point, `import_workbook`; and the empty template workbook to fill in."""

import io

import openpyxl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from negotiations import permissions
from negotiations.choices import MeetingKind, Role, RoundMode
from secretariat.resources.people import PersonResource
from secretariat.resources.reading import MAX_FILE_SIZE, MAX_ROWS, read_tables
from secretariat.resources.report import ImportReport, SheetReport, _sheet_report
from secretariat.resources.schedule import MeetingResource, RoundResource
from secretariat.resources.sheets import RESOURCES


def import_workbook(*, agreement, by, uploaded_file, dry_run: bool = True) -> ImportReport:
    """Import an uploaded XLSX or CSV file into the agreement, all of it or nothing.

    Every table is imported, in order, inside one transaction; it is rolled back for a dry run
    (the preview) and whenever any row fails, so nothing is written unless everything is.
    `ValidationError` if the file cannot be read at all (not a spreadsheet, empty, too big).
    """
    # `by` None is a command or the shell: there the caller has decided, as for the services.
    if by is not None and not permissions.can_manage_agreement(by, agreement.pk):
        raise PermissionDenied
    data = uploaded_file if isinstance(uploaded_file, bytes) else _read_all(uploaded_file)
    tables, notes = read_tables(data)
    sheets = []
    with transaction.atomic():
        for table in tables:
            if table.errors:
                # A table missing a needed column is not read row by row: every row would fail.
                sheets.append(
                    SheetReport(
                        key=table.resource.key,
                        columns=list(table.dataset.headers),
                        rows=[],
                        errors=table.errors,
                        notes=table.notes,
                    )
                )
                continue
            resource = table.resource(agreement=agreement, by=by, row_numbers=table.row_numbers)
            # Not a dry run for django-import-export: its own rollback would undo each table
            # before the next is read. The whole file is rolled back here instead.
            result = resource.import_data(
                table.dataset, dry_run=False, use_transactions=True, raise_errors=False
            )
            sheets.append(_sheet_report(table, result))
        report = ImportReport(sheets=sheets, dry_run=dry_run, notes=notes)
        if dry_run or report.has_errors:
            transaction.set_rollback(True)
    return report


def _read_all(uploaded_file) -> bytes:
    """An uploaded file's bytes, refusing to read far past the size limit."""
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    if hasattr(uploaded_file, "size") and uploaded_file.size and uploaded_file.size > MAX_FILE_SIZE:
        raise ValidationError(_("The file is larger than 2 MB: split it."))
    return uploaded_file.read(MAX_FILE_SIZE + 1)


# --- The template ------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty workbook with the six sheets and their headers, ready to be filled in."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for resource in RESOURCES:
        with translation.override("en"):
            # In English: the template's sheet names and headers are read in every language.
            sheet = workbook.create_sheet(str(resource.sheet_title))
            roles = [str(role.label).lower() for role in Role]
            modes = [str(mode.label).lower() for mode in RoundMode]
            kinds = [str(kind.label).lower() for kind in MeetingKind]
        keys = [column.key for column in resource.columns()]
        sheet.append(keys)
        for index, key in enumerate(keys, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(index)].width = max(14, len(key) + 4)
        sheet.freeze_panes = "A2"
        if resource is PersonResource:
            _list_validation(sheet, keys.index("role") + 1, roles)
            _list_validation(sheet, keys.index("language") + 1, [c for c, _n in settings.LANGUAGES])
        elif resource is RoundResource:
            _list_validation(sheet, keys.index("mode") + 1, modes)
        elif resource is MeetingResource:
            _list_validation(sheet, keys.index("kind") + 1, kinds)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _list_validation(sheet, column: int, choices: list[str]) -> None:
    """Offer `choices` in a drop-down on the column's cells."""
    letter = get_column_letter(column)
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
    )
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
