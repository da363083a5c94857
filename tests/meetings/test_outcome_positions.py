"""Positions on a new contested point are given party by party, on demand: the outcome screen of
a fifteen-party agreement opens as small as a two-party one, offers the parties by name in the
order of the page's language, and keeps every added position through a refused save."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations.choices import Role
from negotiations.models import Commitment
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    ContestedPointFactory,
    MeetingFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from tests.negotiations.test_outcome import outcome_data
from workinggroups.models import ContestedPoint, Position

pytestmark = pytest.mark.django_db

# The fifteen parties to the Regional Comprehensive Economic Partnership.
RCEP = [
    ("AUS", "Australia"),
    ("BRN", "Brunei Darussalam"),
    ("KHM", "Cambodia"),
    ("CHN", "China"),
    ("IDN", "Indonesia"),
    ("JPN", "Japan"),
    ("LAO", "Lao PDR"),
    ("MYS", "Malaysia"),
    ("MMR", "Myanmar"),
    ("NZL", "New Zealand"),
    ("PHL", "Philippines"),
    ("KOR", "Republic of Korea"),
    ("SGP", "Singapore"),
    ("THA", "Thailand"),
    ("VNM", "Viet Nam"),
]


def outcome_screen(parties=RCEP, *, username="chief"):
    """A rules-of-origin meeting of an agreement with these parties, its two chapters and one
    open point, and a chief negotiator to record its outcome. Returns (meeting, chief)."""
    # Listed out of order: the screen sorts them.
    seated = [PartyFactory(code=code, name=name) for code, name in reversed(parties)]
    agreement = AgreementFactory(parties=seated)
    group = WorkingGroupFactory(agreement=agreement, name="Rules of Origin")
    origin = ChapterFactory(
        working_group=group, title="Rules of Origin", status="under_negotiation"
    )
    ChapterFactory(working_group=group, title="Product-Specific Rules", status="under_negotiation")
    ContestedPointFactory(chapter=origin, title="Cumulation", opened_on=dt.date(2020, 4, 1))
    meeting = MeetingFactory(agreement=agreement, title="Rules of origin: third meeting")
    meeting.working_groups.set([group])
    chief = UserFactory(username=username)
    RoleAssignmentFactory(user=chief, agreement=agreement, role=Role.CHIEF_NEGOTIATOR)
    return meeting, chief


def url_of(meeting):
    return reverse("meetings:outcome", args=[meeting.pk])


def text_boxes(html):
    return len(re.findall(r"<textarea\b", html)) + len(re.findall(r'<input type="text"', html))


def party_options(html, name="points-0-party_0"):
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no {name} select"
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select[0])


def chapter_pk(meeting, title="Rules of Origin"):
    return meeting.agreement.working_groups.get().chapters.get(title=title).pk


def pk_of(code):
    from negotiations.models import Party

    return Party.objects.get(code=code).pk


def a_new_point(meeting, positions, **fields):
    """A new point's row as the screen posts it: `positions` is a list of (party code, text)."""
    row = {"chapter": chapter_pk(meeting), "title": "Regional value content", **fields}
    for index, (code, text) in enumerate(positions):
        row[f"party_{index}"] = pk_of(code) if code else ""
        row[f"position_{index}"] = text
    return row


def test_the_opening_screen_of_fifteen_parties_has_as_few_boxes_as_that_of_two(client):
    fifteen, chief = outcome_screen()
    two, other_chief = outcome_screen([("XAA", "Atlantis"), ("XBB", "Borduria")], username="other")

    client.force_login(chief)
    page = client.get(url_of(fifteen)).text
    client.force_login(other_chief)
    small = client.get(url_of(two)).text

    # The common note, a note per chapter (2), a resolution per open point (1), the new
    # point's title, description and one position, one commitment.
    assert text_boxes(page) == 8
    assert text_boxes(page) == text_boxes(small)
    assert page.count("<select") == small.count("<select")
    # One position row, whoever is at the table; the party is chosen in it.
    assert 'name="points-0-party_0"' in page
    assert 'name="points-0-position_0"' in page
    assert "points-0-party_1" not in page
    assert "Position of" not in page


def test_the_screen_runs_as_many_queries_for_fifteen_parties_as_for_two(client):
    fifteen, chief = outcome_screen()
    two, other_chief = outcome_screen([("XAA", "Atlantis"), ("XBB", "Borduria")], username="other")

    def queries(user, meeting):
        client.force_login(user)
        client.get(url_of(meeting))  # warm up caches of the session and the language
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url_of(meeting)).status_code == 200
        return len(captured)

    assert queries(chief, fifteen) == queries(other_chief, two)


def test_parties_are_offered_by_name_in_name_order(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    page = client.get(url_of(meeting)).text

    names = [name for _code, name in RCEP]
    assert party_options(page) == sorted(names)
    # Commitments offer the same parties, in the same order, after "all parties".
    assert party_options(page, "commitments-0-party") == sorted(names)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="sorting by the page's language needs PostgreSQL's ICU collations; "
    "the embedded SQLite sorts names by their letters",
)
def test_the_order_of_the_parties_follows_the_language_of_the_page(client):
    # China, Cambodia and Australia as a Chinese reader writes them: by pinyin, Aodaliya,
    # Jianpuzhai, Zhongguo; by code point, the other way round.
    meeting, chief = outcome_screen([("CHN", "中国"), ("KHM", "柬埔寨"), ("AUS", "澳大利亚")])
    client.force_login(chief)

    client.cookies["django_language"] = "zh-hans"
    assert party_options(client.get(url_of(meeting)).text) == ["澳大利亚", "柬埔寨", "中国"]
    client.cookies["django_language"] = "en"
    assert party_options(client.get(url_of(meeting)).text) == ["中国", "柬埔寨", "澳大利亚"]


def test_a_party_is_told_apart_by_its_code_only_when_two_names_read_alike(client):
    meeting, chief = outcome_screen([("KOR", "Korea"), ("PRK", "KOREA"), ("JPN", "Japan")])
    client.force_login(chief)
    options = party_options(client.get(url_of(meeting)).text)
    assert options[0] == "Japan"
    assert sorted(options[1:]) == ["KOREA (PRK)", "Korea (KOR)"]


def test_a_position_row_is_added_in_place_for_the_point_it_belongs_to(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)

    response = client.get(
        url_of(meeting), {"add": "position", "point": 1, "index": 1}, headers={"HX-Request": "true"}
    )

    html = response.text
    assert response.status_code == 200
    assert "<html" not in html
    assert 'name="points-1-party_1"' in html
    assert 'name="points-1-position_1"' in html
    assert "points-1-party_0" not in html  # only the row added
    assert re.search(r'<select name="points-1-party_1"[^>]*autofocus', html)
    assert party_options(html, "points-1-party_1")[:2] == ["Australia", "Brunei Darussalam"]
    # The button asks for the next row next time.
    assert 'id="points-1-add-position"' in html
    assert 'hx-swap-oob="true"' in html
    assert "index=2" in html


def test_no_position_row_is_offered_beyond_one_per_party(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    htmx = {"HX-Request": "true"}

    last = client.get(url_of(meeting), {"add": "position", "point": 0, "index": 14}, headers=htmx)
    assert 'name="points-0-party_14"' in last.text
    assert "Add another position" not in last.text
    assert '<span id="points-0-add-position" hx-swap-oob="true">' in last.text

    beyond = client.get(url_of(meeting), {"add": "position", "point": 0, "index": 15}, headers=htmx)
    assert beyond.status_code == 204


def test_without_javascript_a_position_is_added_and_what_was_typed_is_kept(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    data = outcome_data(
        points=[a_new_point(meeting, [("KHM", "Regional value content of 40%.")], title="")],
        commitments=[{"text": "Exchange tariff lines."}],
    )
    data["add_position"] = "points-0"

    response = client.post(url_of(meeting), data)

    html = response.text
    assert response.status_code == 200
    assert ContestedPoint.objects.filter(title="Regional value content").count() == 0
    assert Commitment.objects.count() == 0
    # Nothing was judged yet: the title still to be typed is not called missing.
    assert "This field is required" not in html
    assert 'role="alert"' not in html
    assert "Regional value content of 40%." in html
    assert f'<option value="{pk_of("KHM")}" selected>Cambodia</option>' in html
    assert "Exchange tariff lines." in html
    assert re.search(r'<select name="points-0-party_1"[^>]*autofocus', html)


def test_without_javascript_a_point_or_commitment_row_is_added(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    data = outcome_data(
        points=[a_new_point(meeting, [("JPN", "Full cumulation.")])],
        commitments=[{"text": "Circulate a revised text."}],
    )
    data["add_row"] = "points"

    html = client.post(url_of(meeting), data).text

    assert 'name="points-TOTAL_FORMS" value="2"' in html
    assert 'name="points-1-title"' in html
    assert 'name="points-1-party_0"' in html
    assert "Full cumulation." in html
    assert re.search(r'<select name="points-1-chapter"[^>]*autofocus', html)

    data["add_row"] = "commitments"
    html = client.post(url_of(meeting), data).text
    assert 'name="commitments-TOTAL_FORMS" value="2"' in html
    assert 'name="commitments-1-text"' in html
    assert "Circulate a revised text." in html
    assert re.search(r'<select name="commitments-1-party"[^>]*autofocus', html)


def test_positions_of_some_parties_are_saved_with_the_rest_of_the_outcome(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    positions = [
        ("NZL", "Full cumulation across all parties."),
        ("KHM", "Regional value content of 40%."),
        ("", ""),  # a row added, then left empty
        ("JPN", "Change of tariff heading."),
    ]
    data = outcome_data(
        points=[a_new_point(meeting, positions, target_date="2020-05-15")],
        commitments=[{"text": "Circulate a revised text."}],
    )

    response = client.post(url_of(meeting), data)

    assert response.status_code == 302, response.text[:3000]
    point = ContestedPoint.objects.get(title="Regional value content")
    assert {p.party.code: p.text for p in point.positions.select_related("party")} == {
        "NZL": "Full cumulation across all parties.",
        "KHM": "Regional value content of 40%.",
        "JPN": "Change of tariff heading.",
    }
    assert Commitment.objects.filter(meeting=meeting).count() == 1


def test_a_refused_save_keeps_every_position_added(client):
    meeting, chief = outcome_screen()
    client.force_login(chief)
    positions = [
        ("NZL", "Full cumulation across all parties."),
        ("KHM", "Regional value content of 40%."),
        ("JPN", "Change of tariff heading."),
    ]
    data = outcome_data(points=[a_new_point(meeting, positions, target_date="2019-01-01")])

    response = client.post(url_of(meeting), data)

    html = response.text
    assert response.status_code == 400
    assert "The target date is before the meeting" in html
    assert Position.objects.count() == 0
    for index, (code, text) in enumerate(positions):
        assert re.search(
            rf'<select name="points-0-party_{index}".*?<option value="{pk_of(code)}" selected>',
            html,
            re.S,
        )
        assert text in html
    assert "points-0-party_3" not in html  # as many rows as were sent, no more


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        ([("", "A position nobody holds.")], "Choose the party whose position this is."),
        ([("KHM", "")], "Write the position of Cambodia, or choose no party."),
        (
            [("KHM", "Forty per cent."), ("KHM", "Thirty-five per cent.")],
            "Cambodia already has a position on this point: one per party.",
        ),
    ],
)
def test_a_position_that_cannot_be_saved_as_typed_is_refused_on_its_row(client, positions, message):
    meeting, chief = outcome_screen()
    client.force_login(chief)

    response = client.post(url_of(meeting), outcome_data(points=[a_new_point(meeting, positions)]))

    assert response.status_code == 400
    assert message in response.text
    assert ContestedPoint.objects.filter(title="Regional value content").count() == 0


def test_a_party_not_at_this_table_is_refused(client):
    meeting, chief = outcome_screen()
    stranger = PartyFactory(code="ATL", name="Atlantis")
    client.force_login(chief)
    row = a_new_point(meeting, [("KHM", "Forty per cent.")])
    row["party_0"] = stranger.pk

    response = client.post(url_of(meeting), outcome_data(points=[row]))

    assert response.status_code == 400
    assert "not (or no longer) available" in response.text
    assert Position.objects.count() == 0
