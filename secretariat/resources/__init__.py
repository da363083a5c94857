"""Importing an agreement's parties, working groups, chapters, people, rounds and meetings from
one spreadsheet.

The file is an XLSX workbook with any of the sheets "Parties", "Working groups", "Chapters",
"People", "Rounds" and "Meetings", or a CSV file holding one of those tables (told apart by its
header row). Each table is read into a tablib dataset and run through a django-import-export
resource, in that order and in ONE transaction, so that chapters may name a working group the
same file creates, and meetings a round, a host or working groups it creates. A preview is that
same run, rolled back: what it reports is what a confirmed import does.

The resources never save a model themselves: `do_instance_save` hands every row to the
project's services (`create_working_group`, `update_chapter`, `invite_person`, `create_meeting`,
…), so an imported change is validated, permission-checked and audited like one made on a page.

The modules, from the cells up to the entry point:

- `cells`: reading one row's cells (days, times, choices, zones, the records a cell names);
- `base`: a sheet's columns and the resource every sheet's is built on (`SheetResource`);
- `parties`, `structure`, `people`, `schedule`: the resource of each sheet;
- `sheets`: the sheets in the order they are imported (`RESOURCES`);
- `reading`: an uploaded .xlsx or .csv file read into tables (`read_tables`);
- `report`: what an import did or would do, row by row (`ImportReport`);
- `workbook`: the entry point (`import_workbook`) and the template (`template_workbook`).
"""

from secretariat.resources.base import Column, SheetResource
from secretariat.resources.cells import DATE_TEXT, MAX_ORDER, TIME_TEXT
from secretariat.resources.parties import PartyResource
from secretariat.resources.people import PersonResource
from secretariat.resources.reading import (
    EXCEL_EPOCH,
    MAX_COLUMNS,
    MAX_FILE_SIZE,
    MAX_ROWS,
    MAX_SCANNED_ROWS,
    Table,
    read_tables,
)
from secretariat.resources.report import ImportReport, RowReport, SheetReport
from secretariat.resources.schedule import MeetingResource, RoundResource
from secretariat.resources.sheets import RESOURCES
from secretariat.resources.structure import ChapterResource, WorkingGroupResource
from secretariat.resources.workbook import import_workbook, template_workbook

__all__ = [
    "DATE_TEXT",
    "EXCEL_EPOCH",
    "MAX_COLUMNS",
    "MAX_FILE_SIZE",
    "MAX_ORDER",
    "MAX_ROWS",
    "MAX_SCANNED_ROWS",
    "RESOURCES",
    "TIME_TEXT",
    "ChapterResource",
    "Column",
    "ImportReport",
    "MeetingResource",
    "PartyResource",
    "PersonResource",
    "RoundResource",
    "RowReport",
    "SheetReport",
    "SheetResource",
    "Table",
    "WorkingGroupResource",
    "import_workbook",
    "read_tables",
    "template_workbook",
]
