"""What every table of the import file shares: its columns (`Column`), and the resource
each table is run through (`SheetResource`), which reads a row's cells, says what it
would change and hands it to the services.
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader

from secretariat.resources.cells import _Cells, _normalised


class Column(fields.Field):
    """One column of a sheet: its English header (`key`), the label shown for it, the other
    headers accepted for it, and whether a sheet without it cannot be read."""

    def __init__(self, key: str, label, *aliases: str, required: bool = False):
        super().__init__(attribute=None, column_name=key)
        self.key, self.label, self.aliases, self.required = key, label, aliases, required

    def headers(self) -> set[str]:
        """Every header that names this column, the label in each language included."""
        names = {_normalised(self.key), *(_normalised(alias) for alias in self.aliases)}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(_normalised(self.label))
        return names


class _FoundByResource(BaseInstanceLoader):
    """Asks the resource which record a row is about (its own rules: a party by code, a
    chapter by title within the agreement, a person by email)."""

    def get_instance(self, row):
        return self.resource.find(row)


class SheetResource(resources.Resource):
    """One table of the import file. Subclasses say how a row finds its record (`find`), how
    its cells are read and what would change (`read`), and which services write it (`write`).

    `read` leaves on the instance `import_values` (the cells as the services take them) and
    `import_effects` (sentences saying what the row does); a row of an existing record with no
    effect is reported unchanged and not written at all.
    """

    key = ""
    # The column whose value identifies the row's record.
    key_column = ""
    sheet_title = ""
    help_text = ""
    aliases: tuple[str, ...] = ()
    # Where a service's error about a model field is shown: model field -> column key.
    field_columns: dict[str, str] = {}

    class Meta:
        instance_loader_class = _FoundByResource
        use_transactions = True
        skip_diff = True
        store_instance = True
        store_row_values = True
        report_skipped = True

    def __init__(self, *, agreement, by, row_numbers=()):
        super().__init__()
        self.agreement, self.by = agreement, by
        # The spreadsheet row of each dataset row: blank rows are left out of the dataset.
        self.row_numbers = list(row_numbers)
        self.seen = {}

    # -- What subclasses write --

    def row_key(self, cells: _Cells) -> str:
        """What identifies the row's record; two rows with the same key are refused."""
        raise NotImplementedError

    def row_label(self, cells: _Cells) -> str:
        """The row's key as the reader wrote it, to quote when it is repeated."""
        return cells.text(self.key_column)

    def find(self, row):
        """The agreement's record the row is about, or None for a new one."""
        raise NotImplementedError

    def read(self, instance, cells: _Cells) -> tuple[dict, list[str]]:
        """The row's values as the services take them, and what writing them would change;
        each wrong cell is noted on `cells`."""
        raise NotImplementedError

    def write(self, instance, values: dict, is_create: bool) -> None:
        """Write the row through the services."""
        raise NotImplementedError

    # -- django-import-export's hooks --

    @classmethod
    def columns(cls) -> list[Column]:
        """The sheet's columns, in the template's order."""
        return [field for field in cls.fields.values() if isinstance(field, Column)]

    def get_instance(self, instance_loader, row):
        """Ask the loader (so `find`) for every row: there is no id column to look for."""
        return instance_loader.get_instance(row)

    def init_instance(self, row=None):
        """A new record, never saved as such: `write` hands its values to a service."""
        return self._meta.model()

    def import_instance(self, instance, row, **kwargs):
        """Read and check the row's cells; keep what to write, and what it would change."""
        cells = _Cells(row)
        key_column = self.key_column
        key = self.row_key(cells)
        if key:
            number = kwargs.get("row_number")
            if key in self.seen:
                cells.error(
                    key_column,
                    _("'%(value)s' is already in row %(row)s of this sheet.")
                    % {"value": self.row_label(cells), "row": self.seen[key]},
                )
            else:
                self.seen[key] = self.spreadsheet_row(number)
        values, effects = self.read(instance, cells)
        cells.check()
        instance.import_values, instance.import_effects = values, effects

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """An existing record the row would not change: reported unchanged, not written."""
        if import_validation_errors:
            return False
        return instance.pk is not None and not instance.import_effects

    def do_instance_save(self, instance, is_create):
        """Write the row through the services, never by saving the instance itself."""
        with self.service_errors(), transaction.atomic():
            self.write(instance, instance.import_values, is_create)

    @contextmanager
    def service_errors(self):
        """A service's refusal, keyed by model field, re-keyed by the column to show it in."""
        try:
            yield
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            by_column = {}
            for name, messages in error.message_dict.items():
                column = self.field_columns.get(name, NON_FIELD_ERRORS)
                by_column.setdefault(column, []).extend(messages)
            raise ValidationError(by_column) from error

    def spreadsheet_row(self, number) -> int:
        """The row as the spreadsheet numbers it (the header is row 1), from the dataset's
        1-based index; blank rows left out of the dataset still count."""
        if number and number <= len(self.row_numbers):
            return self.row_numbers[number - 1]
        return (number or 0) + 1


def _change(column, old, new) -> str:
    """ "name: 'old' → 'new'", for the preview."""
    # Imported here: the labels are looked up among all the sheets, whose resources are built
    # on this module.
    from secretariat.resources.sheets import _column_label

    return _("%(column)s: '%(old)s' → '%(new)s'") % {
        "column": _column_label(column),
        "old": old,
        "new": new,
    }
