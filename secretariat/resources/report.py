"""What an import did (or, for a preview, would do), sheet by sheet and row by row."""

import dataclasses

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from import_export.results import RowResult

from secretariat.resources.reading import Table
from secretariat.resources.sheets import RESOURCES, _column_label


@dataclasses.dataclass
class RowReport:
    """One row as imported (or as it would be): status is new, update, skip or error."""

    number: int
    status: str
    values: dict
    effects: list[str]
    errors: list[str]


@dataclasses.dataclass
class SheetReport:
    """One sheet as imported: its rows, and what was wrong with it, or left out of it, as a
    whole."""

    key: str
    columns: list[str]
    rows: list[RowReport]
    errors: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def resource(self):
        return next(r for r in RESOURCES if r.key == self.key)

    @property
    def title(self) -> str:
        return str(self.resource.sheet_title)

    @property
    def column_labels(self) -> list[tuple[str, str]]:
        labels = {c.key: str(c.label) for c in self.resource.columns()}
        return [(key, labels.get(key, key)) for key in self.columns]

    def count(self, status) -> int:
        return sum(1 for row in self.rows if row.status == status)


@dataclasses.dataclass
class ImportReport:
    """What an import did (or, for a preview, would do), sheet by sheet and row by row."""

    sheets: list[SheetReport]
    dry_run: bool = True
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        messages = []
        for sheet in self.sheets:
            messages += sheet.errors
            for row in sheet.rows:
                messages += row.errors
        return messages

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def count(self, status) -> int:
        return sum(sheet.count(status) for sheet in self.sheets)

    def as_data(self) -> dict:
        """The report as JSON-safe data, to keep between preview and confirmation."""
        return dataclasses.asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "ImportReport":
        """The report kept by `as_data`."""
        return cls(
            sheets=[
                SheetReport(
                    key=sheet["key"],
                    columns=sheet["columns"],
                    rows=[RowReport(**row) for row in sheet["rows"]],
                    errors=sheet["errors"],
                    notes=sheet.get("notes", []),
                )
                for sheet in data["sheets"]
            ],
            dry_run=data.get("dry_run", True),
            notes=data.get("notes", []),
        )


def _row_errors(title, number, row_result) -> list[str]:
    """A failed row's errors, each saying the sheet, the row and (where there is one) the
    column: "People, row 7, column 'time zone': …"."""
    if row_result.import_type == RowResult.IMPORT_TYPE_INVALID:
        error = row_result.validation_error
        by_column = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        messages = []
        for key, texts in by_column.items():
            for text in texts:
                if key == NON_FIELD_ERRORS:
                    messages.append(
                        _("%(sheet)s, row %(row)s: %(message)s")
                        % {"sheet": title, "row": number, "message": text}
                    )
                else:
                    messages.append(
                        _("%(sheet)s, row %(row)s, column '%(column)s': %(message)s")
                        % {
                            "sheet": title,
                            "row": number,
                            "column": _column_label(key),
                            "message": text,
                        }
                    )
        return messages
    return [
        _("%(sheet)s, row %(row)s: this row could not be imported (%(error)s).")
        % {"sheet": title, "row": number, "error": error.error}
        for error in row_result.errors
    ]


def _sheet_report(table: Table, result) -> SheetReport:
    """django-import-export's `Result` of one table, row by row, as the preview shows it."""
    title = str(table.resource.sheet_title)
    rows = []
    for index, row_result in enumerate(result.rows):
        number = table.row_numbers[index] if index < len(table.row_numbers) else index + 2
        valid = row_result.is_valid()
        instance = row_result.instance
        rows.append(
            RowReport(
                number=number,
                status=row_result.import_type if valid else "error",
                values={key: str(value or "") for key, value in row_result.row_values.items()},
                effects=[str(e) for e in getattr(instance, "import_effects", [])] if valid else [],
                errors=[] if valid else _row_errors(title, number, row_result),
            )
        )
    errors = list(table.errors) + [
        _("%(sheet)s: %(error)s") % {"sheet": title, "error": error.error}
        for error in result.base_errors
    ]
    return SheetReport(
        key=table.resource.key,
        columns=list(table.dataset.headers),
        rows=rows,
        errors=errors,
        notes=table.notes,
    )
