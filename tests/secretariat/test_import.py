"""The secretariat imports an agreement's parties, working groups, chapters, people, rounds and
meetings from one spreadsheet: a preview that writes nothing, then one confirmation that writes
everything (or, if any row is wrong, nothing), through the services and into the audit trail.

fixtures/import_example.xlsx holds EXAMPLE below (an RCEP-sized set-up); after changing EXAMPLE,
write it again with `WRITE_IMPORT_EXAMPLE=1 pytest tests/secretariat/test_import.py -k
example_file`."""

import datetime as dt
import html
import io
import os
import time
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.choices import MeetingKind, Role, RoundMode
from negotiations.models import Delegation, Meeting, NegotiationRound, Party, RoleAssignment
from secretariat.resources import import_workbook
from secretariat.views.imports import PENDING
from tests.factories import PartyFactory, RoleAssignmentFactory
from workinggroups.models import Chapter, Membership, WorkingGroup

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE_FILE = Path(settings.BASE_DIR) / "fixtures" / "import_example.xlsx"

PARTIES = [
    ["code", "name", "capital time zone", "head of delegation", "head title"],
    ["KHM", "Cambodia", "Asia/Phnom_Penh", "Sok Sopheak", "Secretary of State, Commerce"],
    ["CHN", "China", "Asia/Shanghai", "Li Chenggang", "Vice Minister of Commerce"],
    ["MMR", "Myanmar", "Asia/Yangon", "", ""],
    ["JPN", "Japan", "Asia/Tokyo", "", ""],
    ["AUS", "Australia", "Australia/Sydney", "", ""],
    ["BRN", "Brunei Darussalam", "Asia/Brunei", "", ""],
    ["VNM", "Viet Nam", "Asia/Ho_Chi_Minh", "", ""],
    ["LAO", "Lao PDR", "Asia/Vientiane", "", ""],
    ["THA", "Thailand", "Asia/Bangkok", "", ""],
    ["MYS", "Malaysia", "Asia/Kuala_Lumpur", "", ""],
    ["SGP", "Singapore", "Asia/Singapore", "", ""],
    ["IDN", "Indonesia", "Asia/Jakarta", "", ""],
    ["PHL", "Philippines", "Asia/Manila", "", ""],
    ["KOR", "Republic of Korea", "Asia/Seoul", "", ""],
    ["NZL", "New Zealand", "Pacific/Auckland", "", ""],
]
GROUPS = [
    ["code", "name", "order"],
    ["TIG", "Trade in Goods", 1],
    ["ROO", "Rules of Origin", 2],
    ["SPS", "Sanitary and Phytosanitary Measures", 3],
    ["SVC", "Trade in Services", 4],
    ["INV", "Investment", 5],
    ["LEG", "Legal and Institutional", 6],
]
CHAPTERS = [
    ["working group code", "title", "order"],
    *[
        [code, title, order]
        for code, titles in [
            ("TIG", ["National Treatment", "Tariff Elimination", "Trade Remedies", "Customs"]),
            ("ROO", ["Rules of Origin", "Product-Specific Rules", "Origin Procedures"]),
            ("SPS", ["Sanitary Measures", "Technical Barriers to Trade", "Food Safety"]),
            ("SVC", ["Trade in Services", "Financial Services", "Telecommunications"]),
            ("INV", ["Investment", "Investment Facilitation", "E-Commerce"]),
            ("LEG", ["Dispute Settlement", "Institutional Provisions", "Final Provisions"]),
            ("LEG", ["General Exceptions"]),
        ]
        for order, title in enumerate(titles, start=1)
    ],
]
PEOPLE = [
    [
        "email",
        "first name",
        "last name",
        "role",
        "party code",
        "working group codes",
        "time zone",
        "language",
    ],
    ["sok.dara@mfa.gov.kh", "Sok", "Dara", "Chief negotiator", "KHM", "TIG, ROO",
     "Asia/Phnom_Penh", "km"],
    ["li.wei@mofcom.gov.cn", "Li", "Wei", "negotiator", "CHN", "ROO", "Asia/Shanghai",
     "zh-hans"],
    ["aung.min@commerce.gov.mm", "Aung", "Min", "NEGOTIATOR", "MMR", "SPS", "Asia/Yangon", "en"],
    ["tanaka@meti.go.jp", "Hiro", "Tanaka", "official", "JPN", "", "Asia/Tokyo", ""],
    ["jane.smith@dfat.gov.au", "Jane", "Smith", "chief_negotiator", "AUS", "SVC,INV",
     "Australia/Sydney", "EN"],
    ["claire.dupont@example.fr", "Claire", "Dupont", "Secretariat", "", "", "Europe/Paris", "en"],
]  # fmt: skip
# Days and times as date and time cells, as Excel keeps what is typed into them.
ROUNDS = [
    ["number", "starts on", "ends on", "mode", "host party code", "place", "summary"],
    [1, dt.date(2027, 3, 8), dt.date(2027, 3, 12), "in person", "BRN", "Bandar Seri Begawan",
     "First round: modalities for goods, services and investment."],
]  # fmt: skip
MEETINGS = [
    ["title", "kind", "round number", "start date", "start time", "end date", "end time",
     "time zone", "host party code", "place", "video link", "working group codes"],
    ["Trade in Goods and Rules of Origin", "Working group", 1, dt.date(2027, 3, 9),
     dt.time(9, 0), dt.date(2027, 3, 10), dt.time(17, 0), "Asia/Brunei", "BRN",
     "International Convention Centre, Bandar Seri Begawan",
     "https://meet.example.org/rcep-tig-roo", "TIG, ROO"],
]  # fmt: skip
EXAMPLE = {
    "Parties": PARTIES,
    "Working groups": GROUPS,
    "Chapters": CHAPTERS,
    "People": PEOPLE,
    "Rounds": ROUNDS,
    "Meetings": MEETINGS,
}
# 09:00 to 17:00 in Bandar Seri Begawan (UTC+8), over two days.
MEETING_STARTS = dt.datetime(2027, 3, 9, 1, 0, tzinfo=dt.UTC)
MEETING_ENDS = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)
EXAMPLE_ROWS = 15 + 6 + 20 + 6 + 1 + 1


def workbook(sheets: dict) -> bytes:
    """An .xlsx file with these sheets, each a list of rows (the first its headers)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def example_workbook() -> bytes:
    """EXAMPLE as fixtures/import_example.xlsx holds it: headers in bold, columns wide enough
    to read."""
    book = openpyxl.load_workbook(io.BytesIO(workbook(EXAMPLE)))
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = openpyxl.styles.Font(bold=True)
            width = max(len(str(c.value or "")) for c in sheet[cell.column_letter])
            sheet.column_dimensions[cell.column_letter].width = min(max(12, width + 2), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_cell(rows, row_number, column, value):
    """A copy of a sheet's rows with one cell changed (row numbered as the spreadsheet does)."""
    rows = [list(row) for row in rows]
    rows[row_number - 1][rows[0].index(column)] = value
    return rows


def upload(client, agreement, data, name="agreement.xlsx"):
    return client.post(
        reverse("secretariat:import", args=[agreement.slug]),
        {"file": SimpleUploadedFile(name, data, content_type=XLSX)},
    )


def preview_url(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def counts():
    """How many of each thing an import may write exist now."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Party,
            Delegation,
            WorkingGroup,
            Chapter,
            get_user_model(),
            RoleAssignment,
            Membership,
            NegotiationRound,
            Meeting,
            Meeting.working_groups.through,
            AuditEntry,
        )
    }


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def secretariat_client(client, world):
    client.force_login(world.secretariat)
    return client


# --- The whole journey --------------------------------------------------------------------------


def test_a_whole_agreement_is_previewed_then_imported_once(
    secretariat_client, world, django_capture_on_commit_callbacks
):
    client, agreement = secretariat_client, world.agreement
    before = counts()

    with django_capture_on_commit_callbacks() as emails:
        url = preview_url(upload(client, agreement, workbook(EXAMPLE)))
        response = client.get(url)

    assert response.status_code == 200
    assert counts() == before, "a preview writes nothing"
    assert emails == [], "a preview emails nobody"
    report = response.context["report"]
    assert not report.has_errors
    assert {sheet.key: sheet.count("new") for sheet in report.sheets} == {
        "parties": 15,
        "working_groups": 6,
        "chapters": 20,
        "people": 6,
        "rounds": 1,
        "meetings": 1,
    }
    page = text_of(response)
    assert "Confirm the import" in page
    assert "Asia/Yangon" in page
    assert "Rules of Origin" in page
    assert "Schedules the meeting: 2027-03-09 09:00 – 2027-03-10 17:00 Asia/Brunei." in page

    with django_capture_on_commit_callbacks() as emails:
        response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:agreement", args=[agreement.slug])
    assert len(emails) == 6, "each new person is invited once the import is saved"
    assert Delegation.objects.filter(agreement=agreement).count() == 2 + 15
    assert WorkingGroup.objects.filter(agreement=agreement).count() == 2 + 6
    assert Chapter.objects.filter(working_group__agreement=agreement).count() == 2 + 20
    rules = Chapter.objects.get(working_group__agreement=agreement, title="Product-Specific Rules")
    assert (rules.working_group.code, rules.order) == ("ROO", 2)
    khm = Delegation.objects.get(agreement=agreement, party__code="KHM")
    assert (khm.party.name, khm.party.capital_time_zone, khm.head_name) == (
        "Cambodia",
        "Asia/Phnom_Penh",
        "Sok Sopheak",
    )

    people = {
        assignment.user.email: assignment
        for assignment in RoleAssignment.objects.filter(agreement=agreement)
        .exclude(user__in=[world.secretariat, world.chief, world.negotiator])
        .exclude(user__in=[world.other_negotiator, world.official])
        .select_related("user", "party")
    }
    assert {email: a.user.time_zone for email, a in people.items()} == {
        "sok.dara@mfa.gov.kh": "Asia/Phnom_Penh",
        "li.wei@mofcom.gov.cn": "Asia/Shanghai",
        "aung.min@commerce.gov.mm": "Asia/Yangon",
        "tanaka@meti.go.jp": "Asia/Tokyo",
        "jane.smith@dfat.gov.au": "Australia/Sydney",
        "claire.dupont@example.fr": "Europe/Paris",
    }
    sok = people["sok.dara@mfa.gov.kh"]
    assert (sok.role, sok.party.code, sok.user.language) == (Role.CHIEF_NEGOTIATOR, "KHM", "km")
    assert sorted(sok.user.memberships.values_list("working_group__code", flat=True)) == [
        "ROO",
        "TIG",
    ]
    assert people["li.wei@mofcom.gov.cn"].user.language == "zh-hans"
    assert people["jane.smith@dfat.gov.au"].role == Role.CHIEF_NEGOTIATOR
    assert people["claire.dupont@example.fr"].role == Role.SECRETARIAT
    assert people["claire.dupont@example.fr"].party is None

    first = NegotiationRound.objects.get(agreement=agreement)
    assert (first.number, first.starts_on, first.ends_on, first.mode, first.host_party.code) == (
        1,
        dt.date(2027, 3, 8),
        dt.date(2027, 3, 12),
        RoundMode.IN_PERSON,
        "BRN",
    )
    meeting = Meeting.objects.get(agreement=agreement, title="Trade in Goods and Rules of Origin")
    assert (meeting.starts_at, meeting.ends_at) == (MEETING_STARTS, MEETING_ENDS)
    assert (meeting.time_zone, meeting.kind, meeting.negotiation_round) == (
        "Asia/Brunei",
        MeetingKind.WORKING_GROUP,
        first,
    )
    assert meeting.host_party.code == "BRN"
    assert meeting.video_link == "https://meet.example.org/rcep-tig-roo"
    groups = list(meeting.working_groups.all())
    assert sorted(group.code for group in groups) == ["ROO", "TIG"]
    assert {group.agreement_id for group in groups} == {agreement.pk}

    trail = AuditEntry.objects.filter(agreement=agreement, actor=world.secretariat)
    assert trail.filter(content_type__model="chapter", action="create").count() == 20
    assert trail.filter(content_type__model="workinggroup", action="create").count() == 6
    assert trail.filter(content_type__model="delegation", action="create").count() == 15
    assert trail.filter(content_type__model="roleassignment", action="create").count() == 6
    assert trail.filter(content_type__model="negotiationround", action="create").count() == 1
    assert trail.filter(content_type__model="meeting", action="create").count() == 1
    assert (
        AuditEntry.objects.filter(
            actor=world.secretariat, content_type__model="party", action="create"
        ).count()
        == 15
    )

    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    page = text_of(dashboard)
    assert "agreement.xlsx imported. Added: 49; changed: 0; unchanged: 0." in page
    for title in ("Product-Specific Rules", "General Exceptions", "Telecommunications"):
        assert f'data-chapter="{title}"' in page


def test_the_token_is_spent_once_the_import_is_done(secretariat_client, world):
    url = preview_url(
        upload(
            secretariat_client,
            world.agreement,
            workbook(
                {"Chapters": [["working group code", "title"], [world.group.code, "Competition"]]}
            ),
        )
    )
    assert secretariat_client.post(url).status_code == 302
    assert secretariat_client.get(url).status_code == 404
    assert secretariat_client.post(url).status_code == 404
    assert Chapter.objects.filter(title="Competition").count() == 1


# --- Errors: nothing is written, and each says where -----------------------------------------


def test_one_bad_row_changes_nothing_and_says_sheet_row_and_column(
    secretariat_client, world, django_capture_on_commit_callbacks
):
    people = with_cell(PEOPLE, 7, "time zone", "Asia/Yangoon")
    before = counts()

    with django_capture_on_commit_callbacks() as emails:
        url = preview_url(
            upload(secretariat_client, world.agreement, workbook({**EXAMPLE, "People": people}))
        )
        response = secretariat_client.get(url)

    assert counts() == before
    assert emails == []
    expected = "People, row 7, column 'time zone': 'Asia/Yangoon' is not a known time zone."
    assert response.context["report"].errors == [expected]
    page = text_of(response)
    assert expected in page
    assert "Confirm the import" not in page

    # Confirming anyway (a crafted POST) writes nothing either.
    response = secretariat_client.post(url)
    assert response.status_code == 400
    assert counts() == before
    assert expected in text_of(response)


def test_a_confirmation_that_fails_changes_nothing(
    secretariat_client, world, django_capture_on_commit_callbacks
):
    """Between the preview and the confirmation someone else adds a party called Brunei
    Darussalam: the file's can no longer be created, so none of the file is imported."""
    url = preview_url(upload(secretariat_client, world.agreement, workbook(EXAMPLE)))
    PartyFactory(code="BRX", name="Brunei Darussalam", capital_time_zone="Asia/Brunei")
    before = counts()

    with django_capture_on_commit_callbacks() as emails:
        response = secretariat_client.post(url)

    assert response.status_code == 400
    assert counts() == before
    assert emails == []
    page = text_of(response)
    assert "Nothing was imported: correct the problems listed below." in page
    assert "Parties, row 7, column 'name': " in page
    assert "Confirm the import" not in page
    assert secretariat_client.get(url).context["report"].has_errors, "the preview says so too"


@pytest.mark.parametrize(
    ("sheet", "rows", "message"),
    [
        (
            "Working groups",
            with_cell(GROUPS, 3, "order", "second"),
            "Working groups, row 3, column 'order': 'second' is not a whole number.",
        ),
        (
            "Chapters",
            with_cell(CHAPTERS, 5, "working group code", "XYZ"),
            "Chapters, row 5, column 'working group code': 'XYZ' is not a working group of "
            "this agreement.",
        ),
        (
            "People",
            with_cell(PEOPLE, 2, "role", "boss"),
            "People, row 2, column 'role': 'boss' is not a role: write one of 'secretariat', "
            "'chief negotiator', 'negotiator', 'official'.",
        ),
        (
            "People",
            with_cell(PEOPLE, 3, "party code", "USA"),
            "People, row 3, column 'party code': 'USA' is not a party at this agreement's table.",
        ),
        (
            "People",
            with_cell(PEOPLE, 4, "email", "aung.min"),
            "People, row 4, column 'email': 'aung.min' is not an email address.",
        ),
        (
            "People",
            with_cell(PEOPLE, 5, "language", "fr"),
            "People, row 5, column 'language': 'fr' is not a language of the tracker: write one "
            "of 'en', 'km', 'zh-hans'.",
        ),
        (
            "Parties",
            with_cell(PARTIES, 16, "code", "KHM"),
            "Parties, row 16, column 'code': 'KHM' is already in row 2 of this sheet.",
        ),
    ],
)
def test_each_kind_of_bad_cell_is_named(secretariat_client, world, sheet, rows, message):
    before = counts()
    url = preview_url(
        upload(secretariat_client, world.agreement, workbook({**EXAMPLE, sheet: rows}))
    )
    report = secretariat_client.get(url).context["report"]
    assert message in report.errors
    assert counts() == before


def test_a_service_refusal_is_shown_in_its_column(world):
    """The services' own checks (here: a party name another party already has) come back as
    errors of the row, in the column of the field they concern."""
    taken = world.agreement.parties.first().name
    data = workbook({"Parties": [PARTIES[0], ["ZZZ", taken, "Asia/Tokyo", "", ""]]})
    report = import_workbook(
        agreement=world.agreement, by=world.secretariat, uploaded_file=data, dry_run=True
    )
    (error,) = report.errors
    assert error.startswith("Parties, row 2, column 'name': ")


def test_rows_are_numbered_as_the_spreadsheet_shows_them_blank_rows_included(world):
    data = workbook({"Working groups": [GROUPS[0], GROUPS[1], [], [None, None], ["", "No code"]]})
    report = import_workbook(
        agreement=world.agreement, by=world.secretariat, uploaded_file=data, dry_run=True
    )
    assert report.errors == [
        "Working groups, row 5, column 'code': A working group needs its code."
    ]


def test_what_the_import_does_not_read_is_said_not_silently_dropped(secretariat_client, world):
    data = workbook(
        {
            "Budget": [["item", "amount"], ["tea", 3]],
            "Chapters": [
                ["title", "working group code", "remarks"],
                ["Competition", world.group.code, "to be agreed"],
            ],
        }
    )
    url = preview_url(upload(secretariat_client, world.agreement, data))
    response = secretariat_client.get(url)
    report = response.context["report"]
    assert not report.has_errors
    assert report.notes == ["The sheet 'Budget' is not one the import reads; it is left out."]
    assert report.sheets[0].notes == [
        "Chapters: the column 'remarks' is not one the import reads; it is left out."
    ]
    assert "the column 'remarks' is not one the import reads" in text_of(response)


def test_a_sheet_missing_a_needed_column_is_refused_whole(world):
    data = workbook({"Chapters": [["working group code", "order"], [world.group.code, 1]]})
    report = import_workbook(
        agreement=world.agreement, by=world.secretariat, uploaded_file=data, dry_run=True
    )
    assert report.errors == ["Chapters: the column 'title' is missing (row 1 holds the headers)."]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "not a spreadsheet"),
        ("broken.xlsx", b"PK\x03\x04 this is no zip", "could not be read as an Excel workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel file (.xls)"),
        ("empty.xlsx", b"", "The submitted file is empty."),
        ("big.csv", b"code,name\n" + b"X" * (2 * 1024 * 1024), "the limit is 2 MB"),
        ("letter.csv", b"Dear colleagues,\nplease find", "does not say which table it holds"),
        ("other.xlsx", None, "None of the sheets of this workbook is called"),
        ("template.xlsx", "template", "no rows to import"),
    ],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message(
    secretariat_client, world, name, data, message
):
    if data is None:
        data = workbook({"Budget": [["item", "amount"], ["tea", 3]]})
    elif data == "template":
        data = secretariat_client.get(
            reverse("secretariat:import-template", args=[world.agreement.slug])
        ).content
    before = counts()
    response = upload(secretariat_client, world.agreement, data, name=name)
    assert response.status_code == 400
    assert message in text_of(response)
    assert counts() == before
    assert not secretariat_client.session.get(PENDING)


# --- Unchanged, moved, CSV ---------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(
    secretariat_client, world, django_capture_on_commit_callbacks
):
    data = workbook(EXAMPLE)
    secretariat_client.post(preview_url(upload(secretariat_client, world.agreement, data)))
    before = counts()

    with django_capture_on_commit_callbacks() as emails:
        url = preview_url(upload(secretariat_client, world.agreement, data))
        report = secretariat_client.get(url).context["report"]
        assert report.count("skip") == EXAMPLE_ROWS
        assert report.count("new") == report.count("update") == 0
        response = secretariat_client.post(url)

    assert response.status_code == 302
    assert counts() == before, "not even an audit entry"
    assert emails == [], "nobody is invited twice"


def test_a_chapter_named_in_another_group_is_moved_keeping_its_history(secretariat_client, world):
    chapter, target = world.chapter, world.other_group
    data = workbook(
        {"Chapters": [["working group code", "title", "order"], [target.code, chapter.title, 7]]}
    )
    url = preview_url(upload(secretariat_client, world.agreement, data))
    (row,) = secretariat_client.get(url).context["report"].sheets[0].rows
    assert row.status == "update"
    assert f"Moves it from working group {world.group.code} to {target.code}." in row.effects

    secretariat_client.post(url)
    chapter.refresh_from_db()
    assert (chapter.working_group, chapter.order) == (target, 7)
    assert chapter.contested_points.count() == 1, "the same chapter, with its points"


def test_a_csv_of_chapters_is_recognised_by_its_headers(secretariat_client, world):
    csv = (
        "Working Group Code;Title;Order\n"
        f"{world.group.code.lower()};Competition Policy;3\n"
        f"{world.other_group.code};Government Procurement;\n"
    ).encode()
    url = preview_url(upload(secretariat_client, world.agreement, csv, name="chapters.csv"))
    report = secretariat_client.get(url).context["report"]
    assert [(sheet.key, sheet.count("new")) for sheet in report.sheets] == [("chapters", 2)]

    assert secretariat_client.post(url).status_code == 302
    assert Chapter.objects.get(title="Competition Policy").working_group == world.group
    assert Chapter.objects.get(title="Government Procurement").working_group == world.other_group


def test_a_change_to_someone_already_in_the_agreement_is_previewed_then_applied(
    secretariat_client, world, django_capture_on_commit_callbacks
):
    party = world.agreement.parties.first()
    rows = [
        ["email", "role", "party code", "working group codes"],
        [world.negotiator.email.upper(), "chief negotiator", party.code, world.other_group.code],
    ]
    url = preview_url(upload(secretariat_client, world.agreement, workbook({"People": rows})))
    (row,) = secretariat_client.get(url).context["report"].sheets[0].rows
    assert row.status == "update"
    assert "role: 'Negotiator' → 'Chief negotiator'" in row.effects

    with django_capture_on_commit_callbacks() as emails:
        secretariat_client.post(url)
    assignment = RoleAssignment.objects.get(agreement=world.agreement, user=world.negotiator)
    assert (assignment.role, assignment.party) == (Role.CHIEF_NEGOTIATOR, party)
    assert list(world.negotiator.memberships.values_list("working_group", flat=True)) == [
        world.other_group.pk
    ]
    assert emails == []


def test_a_chief_negotiator_may_not_appoint_the_secretariat_by_import(client, world):
    client.force_login(world.chief)
    rows = [["email", "role"], ["new.officer@example.org", "secretariat"]]
    url = preview_url(upload(client, world.agreement, workbook({"People": rows})))
    (error,) = client.get(url).context["report"].errors
    assert error.startswith("People, row 2, column 'role': ")


# --- Rounds and meetings -----------------------------------------------------------------------


def refused(client, agreement, sheets) -> list[str]:
    """Upload a file that must be refused whole: its preview's errors, once it is shown that a
    crafted confirmation writes nothing either."""
    before = counts()
    url = preview_url(upload(client, agreement, workbook(sheets)))
    report = client.get(url).context["report"]
    assert report.has_errors
    assert counts() == before
    response = client.post(url)
    assert response.status_code == 400
    assert counts() == before
    return report.errors


@pytest.mark.parametrize(
    ("sheet", "row", "column", "value", "message"),
    [
        (
            "Meetings",
            2,
            "time zone",
            "Asia/Bruneii",
            "Meetings, row 2, column 'time zone': 'Asia/Bruneii' is not a known time zone.",
        ),
        (
            "Meetings",
            2,
            "round number",
            2,
            "Meetings, row 2, column 'round number': This agreement has no round 2: add it on "
            "the Rounds sheet.",
        ),
        (
            "Meetings",
            2,
            "end date",
            dt.date(2027, 3, 8),
            "Meetings, row 2, column 'end date': The meeting must end after it starts "
            "(2027-03-09 09:00, Asia/Brunei).",
        ),
        (
            "Meetings",
            2,
            "kind",
            "workshop",
            "Meetings, row 2, column 'kind': 'workshop' is not a kind of meeting: write one of "
            "'round plenary', 'working group', 'intersessional', 'leaders' meeting'.",
        ),
        (
            "Meetings",
            2,
            "start time",
            "25:00",
            "Meetings, row 2, column 'start time': '25:00' is not a time of day: write it as "
            "09:00 or 17:30.",
        ),
        (
            "Meetings",
            2,
            "start date",
            "9/3/2027",
            "Meetings, row 2, column 'start date': '9/3/2027' is not a date: write it "
            "year-month-day, as in 2027-03-09.",
        ),
        (
            "Meetings",
            2,
            "host party code",
            "USA",
            "Meetings, row 2, column 'host party code': 'USA' is not a party at this "
            "agreement's table.",
        ),
        (
            "Meetings",
            2,
            "video link",
            "meet dot example",
            "Meetings, row 2, column 'video link': 'meet dot example' is not a web address (one "
            "that begins with https://).",
        ),
        (
            "Rounds",
            2,
            "mode",
            "by post",
            "Rounds, row 2, column 'mode': 'by post' is not a way of holding a round: write one "
            "of 'in person', 'video conference'.",
        ),
        (
            "Rounds",
            2,
            "host party code",
            "",
            "Rounds, row 2, column 'host party code': A round held in person needs a host.",
        ),
        (
            "Rounds",
            2,
            "ends on",
            dt.date(2027, 3, 1),
            "Rounds, row 2, column 'ends on': A round ends on or after the day it starts.",
        ),
    ],
)
def test_a_bad_round_or_meeting_refuses_the_whole_file(
    secretariat_client, world, sheet, row, column, value, message
):
    rows = with_cell(EXAMPLE[sheet], row, column, value)
    errors = refused(secretariat_client, world.agreement, {**EXAMPLE, sheet: rows})
    assert message in errors
    if sheet == "Meetings":
        assert errors == [message], "the rest of the file is fine"


def test_a_meeting_ending_before_it_starts_on_its_first_day_is_refused_on_its_end_time(
    secretariat_client, world
):
    meetings = with_cell(MEETINGS, 2, "end date", "")
    meetings = with_cell(meetings, 2, "end time", "08:30")
    errors = refused(secretariat_client, world.agreement, {**EXAMPLE, "Meetings": meetings})
    assert errors == [
        "Meetings, row 2, column 'end time': The meeting must end after it starts "
        "(2027-03-09 09:00, Asia/Brunei)."
    ]


def test_a_meeting_of_another_agreements_group_is_refused(secretariat_client, world):
    foreign = world.elsewhere_chapter.working_group.code
    meetings = with_cell(MEETINGS, 2, "working group codes", f"TIG, {foreign}")
    errors = refused(secretariat_client, world.agreement, {**EXAMPLE, "Meetings": meetings})
    assert errors == [
        f"Meetings, row 2, column 'working group codes': '{foreign}' is not a working group of "
        "this agreement."
    ]


def test_a_meeting_listed_twice_is_refused(secretariat_client, world):
    meetings = [*MEETINGS, MEETINGS[1]]
    errors = refused(secretariat_client, world.agreement, {**EXAMPLE, "Meetings": meetings})
    assert errors == [
        "Meetings, row 3, column 'title': 'Trade in Goods and Rules of Origin, 2027-03-09' is "
        "already in row 2 of this sheet."
    ]


def test_a_csv_of_meetings_alone_is_imported_in_the_hosts_zone(secretariat_client, world):
    """Times typed as text, a kind written as its value or in capitals, a blank time zone: the
    host's capital (Phnom Penh, UTC+7) is the meeting's clock."""
    host = world.agreement.parties.order_by("code").first()
    csv = (
        "Title,Kind,Round number,Start date,Start time,End date,End time,Time zone,"
        "Host party code,Place,Video link,Working group codes\n"
        f"Market access,WORKING GROUP,,2027-05-04,9:30,,12:00,,{host.code.lower()},"
        f"Phnom Penh,,{world.group.code}; {world.other_group.code.lower()}\n"
        f"Heads of delegation,leaders,,2027-05-05,14:00,2027-05-05,5 pm,Asia/Tokyo,,,"
        "https://video.example.org/hod,\n"
    ).encode()
    url = preview_url(upload(secretariat_client, world.agreement, csv, name="meetings.csv"))
    report = secretariat_client.get(url).context["report"]
    assert report.errors == []
    assert [(sheet.key, sheet.count("new")) for sheet in report.sheets] == [("meetings", 2)]

    assert secretariat_client.post(url).status_code == 302
    access = Meeting.objects.get(agreement=world.agreement, title="Market access")
    assert access.time_zone == host.capital_time_zone == "Asia/Phnom_Penh"
    assert (access.starts_at, access.ends_at) == (
        dt.datetime(2027, 5, 4, 2, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 5, 4, 5, 0, tzinfo=dt.UTC),
    )
    assert (access.kind, access.host_party, access.negotiation_round) == (
        MeetingKind.WORKING_GROUP,
        host,
        None,
    )
    assert set(access.working_groups.all()) == {world.group, world.other_group}
    heads = Meeting.objects.get(agreement=world.agreement, title="Heads of delegation")
    assert (heads.kind, heads.time_zone, heads.host_party) == (
        MeetingKind.LEADERS,
        "Asia/Tokyo",
        None,
    )
    assert (heads.starts_at, heads.ends_at) == (
        dt.datetime(2027, 5, 5, 5, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 5, 5, 8, 0, tzinfo=dt.UTC),
    )
    assert not heads.working_groups.exists()


def test_days_and_times_typed_as_text_in_a_workbook_are_read_as_cells_are(world):
    """A sheet whose days and times are text ("2027-03-09", "09:00") imports the same meeting
    as one with date and time cells; so does a time kept as a date-and-time."""
    meetings = with_cell(MEETINGS, 2, "start date", "2027-03-09")
    meetings = with_cell(meetings, 2, "start time", "09:00")
    meetings = with_cell(meetings, 2, "end date", dt.datetime(2027, 3, 10))
    meetings = with_cell(meetings, 2, "end time", dt.datetime(1899, 12, 30, 17, 0))
    meetings = with_cell(meetings, 2, "kind", "Working_Group")
    report = import_workbook(
        agreement=world.agreement,
        by=world.secretariat,
        uploaded_file=workbook({**EXAMPLE, "Meetings": meetings}),
        dry_run=False,
    )
    assert report.errors == []
    meeting = Meeting.objects.get(title="Trade in Goods and Rules of Origin")
    assert (meeting.starts_at, meeting.ends_at) == (MEETING_STARTS, MEETING_ENDS)


def test_a_changed_round_and_meeting_are_updated_and_the_rest_left_alone(secretariat_client, world):
    import_workbook(
        agreement=world.agreement,
        by=world.secretariat,
        uploaded_file=workbook(EXAMPLE),
        dry_run=False,
    )
    meeting = Meeting.objects.get(title="Trade in Goods and Rules of Origin")
    rounds = with_cell(ROUNDS, 2, "place", "Seri Begawan Hall")
    meetings = with_cell(MEETINGS, 2, "end time", "12:30")
    meetings = with_cell(meetings, 2, "working group codes", "ROO")
    url = preview_url(
        upload(
            secretariat_client,
            world.agreement,
            workbook({"Rounds": rounds, "Meetings": meetings}),
        )
    )
    report = secretariat_client.get(url).context["report"]
    (round_row,), (meeting_row,) = (sheet.rows for sheet in report.sheets)
    assert round_row.status == meeting_row.status == "update"
    assert round_row.effects == ["place: 'Bandar Seri Begawan' → 'Seri Begawan Hall'"]
    assert meeting_row.effects == [
        "Reschedules it from 2027-03-09 09:00 – 2027-03-10 17:00 Asia/Brunei to "
        "2027-03-09 09:00 – 2027-03-10 12:30 Asia/Brunei.",
        "working group codes: 'ROO, TIG' → 'ROO'",
    ]

    assert secretariat_client.post(url).status_code == 302
    meeting.refresh_from_db()
    assert meeting.ends_at == dt.datetime(2027, 3, 10, 4, 30, tzinfo=dt.UTC)
    assert meeting.starts_at == MEETING_STARTS
    assert [group.code for group in meeting.working_groups.all()] == ["ROO"]
    assert NegotiationRound.objects.get(agreement=world.agreement).location == "Seri Begawan Hall"
    assert Meeting.objects.filter(agreement=world.agreement).count() == 3, "no second meeting"
    trail = AuditEntry.objects.filter(object_id=str(meeting.pk), content_type__model="meeting")
    assert trail.filter(action="update").exists()


def test_a_meeting_may_name_a_round_host_and_groups_of_the_same_file_only_after_them(world):
    """A round the file does not hold, in an agreement that has none, is refused; with the
    Rounds sheet in the same file, the meeting finds it."""
    sheets = {"Meetings": [MEETINGS[0], with_cell(MEETINGS, 2, "host party code", "")[1]]}
    sheets["Meetings"][1][MEETINGS[0].index("working group codes")] = world.group.code
    report = import_workbook(
        agreement=world.agreement,
        by=world.secretariat,
        uploaded_file=workbook(sheets),
        dry_run=True,
    )
    assert report.errors == [
        "Meetings, row 2, column 'round number': This agreement has no round 1: add it on the "
        "Rounds sheet."
    ]
    host = world.agreement.parties.first()
    rounds = with_cell(ROUNDS, 2, "host party code", host.code)
    report = import_workbook(
        agreement=world.agreement,
        by=world.secretariat,
        uploaded_file=workbook({"Rounds": rounds, **sheets}),
        dry_run=True,
    )
    assert report.errors == []


def test_a_csv_of_rounds_alone_adds_a_video_conference_without_a_host(secretariat_client, world):
    csv = (
        b"Number;Starts on;Ends on;Mode;Host party code;Place;Summary\n"
        b"1;2027-01-11;2027-01-12;Video_Conference;;;Stocktaking\n"
    )
    url = preview_url(upload(secretariat_client, world.agreement, csv, name="rounds.csv"))
    report = secretariat_client.get(url).context["report"]
    assert [(sheet.key, sheet.count("new")) for sheet in report.sheets] == [("rounds", 1)]
    assert secretariat_client.post(url).status_code == 302
    first = NegotiationRound.objects.get(agreement=world.agreement)
    assert (first.mode, first.host_party, first.summary) == (
        RoundMode.VIDEO_CONFERENCE,
        None,
        "Stocktaking",
    )

    again = import_workbook(
        agreement=world.agreement, by=world.secretariat, uploaded_file=csv, dry_run=True
    )
    assert again.count("skip") == 1


# --- The template ------------------------------------------------------------------------------


def test_the_template_has_the_six_sheets_and_their_headers(secretariat_client, world):
    response = secretariat_client.get(
        reverse("secretariat:import-template", args=[world.agreement.slug])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "import-template.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Parties",
        "Working groups",
        "Chapters",
        "People",
        "Rounds",
        "Meetings",
    ]
    for title, rows in EXAMPLE.items():
        assert [cell.value for cell in book[title][1]] == rows[0], title
        assert book[title].max_row == 1
    (modes,) = book["Rounds"].data_validations.dataValidation
    assert modes.formula1 == '"in person,video conference"'


def test_the_example_file_holds_the_example():
    if os.environ.get("WRITE_IMPORT_EXAMPLE"):
        EXAMPLE_FILE.write_bytes(example_workbook())
    book = openpyxl.load_workbook(EXAMPLE_FILE)
    assert book.sheetnames == list(EXAMPLE)

    def cell(value):
        # A date cell reads back as midnight of its day; an empty one as None.
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time(0))
        return None if value == "" else value

    for title, rows in EXAMPLE.items():
        held = [list(row) for row in book[title].iter_rows(values_only=True)]
        assert held == [[cell(value) for value in row] for row in rows], title


def test_the_example_file_sets_up_an_agreement_after_a_preview(secretariat_client, world):
    """The example file as a secretariat downloads it from the repository: 15 parties, 6
    working groups, 20 chapters, 6 people, a round and a meeting, in one confirmation."""
    before = counts()
    url = preview_url(
        upload(secretariat_client, world.agreement, EXAMPLE_FILE.read_bytes(), "rcep.xlsx")
    )
    report = secretariat_client.get(url).context["report"]
    assert report.errors == []
    assert report.count("new") == EXAMPLE_ROWS
    assert counts() == before, "a preview writes nothing"

    assert secretariat_client.post(url).status_code == 302
    meeting = Meeting.objects.get(agreement=world.agreement, negotiation_round__number=1)
    assert (meeting.starts_at, meeting.ends_at) == (MEETING_STARTS, MEETING_ENDS)
    assert meeting.starts_at.astimezone(meeting.tzinfo).strftime("%H:%M") == "09:00"
    assert set(meeting.working_groups.values_list("agreement", flat=True)) == {world.agreement.pk}


# --- Permissions and the token -----------------------------------------------------------------


def pages(world, token="x" * 43):
    slug = world.agreement.slug
    return [
        reverse("secretariat:import", args=[slug]),
        reverse("secretariat:import-template", args=[slug]),
        reverse("secretariat:import-confirm", args=[slug, token]),
    ]


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere"])
def test_only_those_who_manage_the_agreement_may_import(client, world, who):
    client.force_login(getattr(world, who))
    for url in pages(world):
        assert client.get(url).status_code == 403, url
    response = upload(client, world.agreement, workbook(EXAMPLE))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["secretariat", "chief"])
def test_the_secretariat_and_chief_negotiators_may_import(client, world, who):
    client.force_login(getattr(world, who))
    import_page, template, _confirm = pages(world)
    response = client.get(import_page)
    assert response.status_code == 200
    page = text_of(response)
    assert "Import from a spreadsheet" in page
    for sheet in EXAMPLE:
        assert f"<h3>{sheet}</h3>" in page
    assert "<code>round number</code>" in page
    assert "<code>time zone</code>" in page
    assert client.get(template).status_code == 200


def test_a_token_from_another_session_is_refused(secretariat_client, world):
    url = preview_url(upload(secretariat_client, world.agreement, workbook(EXAMPLE)))
    before = counts()
    for who in (world.chief, world.secretariat):
        other = Client()
        other.force_login(who)
        assert other.get(url).status_code == 404
        assert other.post(url).status_code == 404
    assert counts() == before


def test_a_token_for_another_agreement_is_refused(secretariat_client, world):
    RoleAssignmentFactory(
        user=world.secretariat, agreement=world.elsewhere_agreement, role=Role.SECRETARIAT
    )
    url = preview_url(upload(secretariat_client, world.agreement, workbook(EXAMPLE)))
    token = url.rstrip("/").rsplit("/", 1)[1]
    elsewhere = reverse("secretariat:import-confirm", args=[world.elsewhere_agreement.slug, token])
    before = counts()
    assert secretariat_client.get(elsewhere).status_code == 404
    assert secretariat_client.post(elsewhere).status_code == 404
    assert counts() == before


def test_a_preview_expires_after_an_hour(secretariat_client, world):
    url = preview_url(upload(secretariat_client, world.agreement, workbook(EXAMPLE)))
    session = secretariat_client.session
    for entry in session[PENDING].values():
        entry["at"] = time.time() - 3601
    session.save()
    before = counts()
    response = secretariat_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "secretariat:import", args=[world.agreement.slug]
    )
    assert "That preview has expired: upload the file again." in text_of(response)
    assert counts() == before


# --- Query budget ------------------------------------------------------------------------------


def preview_queries(client, agreement, data) -> int:
    url = preview_url(upload(client, agreement, data))
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_preview_page_runs_a_fixed_number_of_queries(secretariat_client, world):
    small = preview_queries(
        secretariat_client, world.agreement, workbook({"Working groups": GROUPS[:2]})
    )
    large = preview_queries(secretariat_client, world.agreement, workbook(EXAMPLE))
    assert small == large
    assert large <= 10
