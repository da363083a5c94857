"""The printable brief a head of delegation takes into the meeting room: one clean page, on
screen, printed or as a PDF drawn on the server, in every language of the tracker."""

import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from dashboards import pdf
from negotiations.choices import CommitmentStatus
from negotiations.models import Commitment, Party
from negotiations.services.commitments import update_commitment
from tests.factories import CommitmentFactory, ContestedPointFactory, UserFactory
from workinggroups.models import Chapter, ContestedPoint
from workinggroups.services import update_contested_point

SLUG = "cambodia-china-fta"
BRIEF = reverse("dashboards:brief", args=[SLUG])
BRIEF_PDF = reverse("dashboards:brief-pdf", args=[SLUG])

needs_pdf = pytest.mark.skipif(
    not pdf.available(), reason="WeasyPrint's system libraries (Pango) are not installed"
)


def scenario_commitments():
    fixture = Path(settings.BASE_DIR) / "fixtures" / "cambodia_china_fta.json"
    return [item["text"] for item in json.loads(fixture.read_text("utf-8"))["commitments"]]


@pytest.fixture
def read(client, official):
    """The brief's HTML as the official reads it: read(as_of=..., language=...)."""
    client.force_login(official)

    def get(as_of="", language="en"):
        response = client.get(
            BRIEF, {"as_of": as_of} if as_of else {}, headers={"accept-language": language}
        )
        assert response.status_code == 200
        return response.text

    return get


def status_groups(page):
    return re.findall(r'<tr data-status-group="(\w+)">\s*<th scope="row">[^<]*<span', page)


def group_row(page, status):
    return page.split(f'data-status-group="{status}">')[1].split("</tr>")[0]


def commitment_rows(page):
    return re.findall(r'<tr data-commitment="(\d+)"', page)


def with_positions(seed):
    """Each party's position on every contested point, as a negotiator records them."""
    cambodia, china = Party.objects.get(code="KHM"), Party.objects.get(code="CHN")
    for point in ContestedPoint.objects.filter(chapter__working_group__agreement=seed):
        update_contested_point(
            point=point,
            title=point.title,
            description=point.description,
            owner=point.owner,
            target_date=point.target_date,
            positions={
                cambodia: f"Cambodia's position on {point.chapter.title}",
                china: f"China's position on {point.chapter.title}",
            },
        )


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
def test_each_status_is_listed_once_in_lifecycle_order(read):
    page = read(as_of="round-2")
    # The working groups interleave the statuses; the brief gathers each status in one row.
    assert status_groups(page) == ["under_negotiation", "agreed_in_principle", "agreed"]
    assert '>Under negotiation <span class="muted">(4)</span>' in page
    assert '>Agreed in principle <span class="muted">(6)</span>' in page
    assert '>Agreed <span class="muted">(5)</span>' in page
    in_principle = group_row(page, "agreed_in_principle")
    assert 'Rules of Origin <span class="contested-mark">' in in_principle
    assert "Product-Specific Rules</span>" in in_principle  # agreed in principle, not contested
    assert "Trade in Goods" in group_row(page, "under_negotiation")
    assert "E-commerce" in group_row(page, "agreed")


def test_now_every_chapter_is_concluded_in_one_row(read):
    page = read()
    assert status_groups(page) == ["concluded"]
    assert '>Concluded <span class="muted">(15)</span>' in page
    assert page.count('brief-chapter">') == 15


def test_the_brief_says_where_the_agreement_stands_and_its_milestones(read):
    page = html.unescape(read())
    assert '<strong data-agreement-status="in_force">In force</strong>' in page
    assert "15 of 15 chapters concluded · signed Mon 12 Oct 2020 · in force Sat 1 Jan 2022" in page
    milestones = page.split('brief-milestones"')[1].split("</ol>")[0]
    for day, label in [
        ("2020-07-20", "Mon 20 Jul 2020</time> Concluded"),
        ("2020-10-12", "Mon 12 Oct 2020</time> Signed"),
        ("2022-01-01", "Sat 1 Jan 2022</time> In force"),
    ]:
        assert f'<li data-milestone="status"><time datetime="{day}">{label}</li>' in milestones
    assert "Round 2 (days assumed)" in milestones
    assert "ahead" not in milestones  # every step is behind, once in force
    header = page.split('<header class="brief-header">')[1].split("</header>")[0]
    assert "Confidential" in header
    assert "Dr. Sok Sopheak, Secretary of State, Ministry of Commerce" in header
    assert "<strong>China</strong>: Yang Zhengwei" in header


def test_the_ten_commitments_of_2024_with_party_owner_and_due_day(read):
    page = read()
    assert len(commitment_rows(page)) == 10
    text = html.unescape(page)
    for commitment in scenario_commitments():
        assert commitment in text
    assert (
        'Increase the import of Cambodian agricultural products. <span class="muted">— China'
        in text
    )
    assert "10 open · 0 overdue · 0 delivered" in text


def test_commitments_are_listed_overdue_first_then_open_then_delivered(read, seed):
    commitments = list(Commitment.objects.filter(meeting__agreement=seed).order_by("pk"))
    owner = UserFactory(first_name="Chan", last_name="Dara")
    delivered, late, soon = commitments[0], commitments[5], commitments[8]
    for commitment, changes in [
        (delivered, {"status": CommitmentStatus.DELIVERED}),
        (late, {"due_on": dt.date(2025, 1, 31), "owner": owner}),
        (soon, {"due_on": timezone.localdate() + dt.timedelta(days=20)}),
    ]:
        update_commitment(
            commitment=commitment,
            text=commitment.text,
            party=commitment.party,
            owner=changes.get("owner", commitment.owner),
            due_on=changes.get("due_on", commitment.due_on),
            status=changes.get("status", commitment.status),
        )
    page = read()
    rows = [int(pk) for pk in commitment_rows(page)]
    assert rows[0] == late.pk
    assert rows[1] == soon.pk
    assert rows[-1] == delivered.pk
    late_row = page.split(f'data-commitment="{late.pk}"')[1].split("</tr>")[0]
    assert 'class="overdue"' in late_row
    assert "Chan Dara" in late_row
    assert "Fri 31 Jan 2025" in late_row
    assert "<strong>Overdue</strong>" in late_row
    assert "Delivered" in page.split(f'data-commitment="{delivered.pk}"')[1].split("</tr>")[0]
    assert "9 open · 1 overdue · 1 delivered" in html.unescape(page)


def test_open_points_show_each_partys_position_by_name(read, seed):
    with_positions(seed)
    page = html.unescape(read(as_of="round-2"))
    points = page.split('class="plain brief-points"')[1].split("</ul>")[0]
    assert points.count("<dt><strong>Cambodia</strong></dt>") == 4
    assert points.count("<dt><strong>China</strong></dt>") == 4
    assert "<dd>Cambodia's position on Rules of Origin</dd>" in points
    assert "<dd>China's position on Technical Barriers to Trade</dd>" in points
    assert "KHM" not in points
    assert "CHN" not in points
    assert points.count("due Fri 15 May 2020") == 4


def test_as_of_round_2_the_talks_are_under_negotiation_and_2024_is_unknown(read):
    page = html.unescape(read(as_of="round-2"))
    assert '<strong data-agreement-status="under_negotiation">Under negotiation</strong>' in page
    assert "11 of 15 chapters agreed or agreed in principle · 4 contested" in page
    assert "Target: conclusion — ahead" in page
    assert "Prime Ministers" not in page
    assert "2024" not in page
    assert commitment_rows(page) == []
    next_up = page.split('class="plain brief-next"')[1].split("</ul>")[0]
    assert "Third round of negotiations" in next_up
    assert "Mon 8 Jun 2020, 09:00" in next_up


@needs_pdf
def test_the_download_link_keeps_the_as_of_point(read):
    assert f'href="{BRIEF_PDF}?as_of=round-2" download' in read(as_of="round-2")
    assert f'href="{BRIEF_PDF}" download' in read()


def test_without_the_pdf_libraries_the_brief_offers_the_browsers_print(
    client, official, monkeypatch
):
    """A server without Pango: no link to a PDF it cannot draw, and a plain answer if asked."""

    def missing():
        raise pdf.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "_weasyprint", missing)
    client.force_login(official)
    page = client.get(BRIEF).text
    assert BRIEF_PDF not in page
    assert "Print command" in page
    response = client.get(BRIEF_PDF)
    assert response.status_code == 503
    assert "Print command" in response.text


def test_the_brief_is_in_the_readers_language(read):
    page = read(language="zh-hans")
    assert 'lang="zh-hans"' in page
    assert "2020年10月12日" in page
    assert 'lang="km"' in read(language="km")


def test_the_brief_reads_positions_and_commitments_in_a_fixed_number_of_queries(
    client, official, seed, no_page_cache
):
    """More points, positions and commitments: not one query more."""
    client.force_login(official)
    client.get(BRIEF, {"as_of": "round-2"})

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BRIEF, {"as_of": "round-2"}).status_code == 200
        return len(captured)

    before = queries()
    with_positions(seed)
    chapter = Chapter.objects.get(working_group__agreement=seed, title="Trade in Goods")
    for number in range(3):
        point = ContestedPointFactory(chapter=chapter, opened_on=dt.date(2020, 4, 9))
        update_contested_point(
            point=point,
            title=point.title,
            target_date=point.target_date,
            positions=dict.fromkeys(seed.parties.all(), f"Position {number}"),
        )
    plenary = seed.meetings.get(negotiation_round__number=1)
    for _ in range(5):
        CommitmentFactory(meeting=plenary, party=seed.parties.first())
    assert queries() == before


# ---------------------------------------------------------------------------------------------
# Who may read it
# ---------------------------------------------------------------------------------------------
def test_anonymous_people_are_sent_to_sign_in(client, seed):
    for url in (BRIEF, BRIEF_PDF):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_people_without_a_role_in_the_agreement_are_refused(client, seed, outsider):
    client.force_login(outsider)
    assert client.get(BRIEF).status_code == 403
    assert client.get(BRIEF_PDF).status_code == 403


def test_people_without_any_role_are_refused(client, seed):
    client.force_login(UserFactory())
    assert client.get(BRIEF).status_code == 403
    assert client.get(BRIEF_PDF).status_code == 403


# ---------------------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------------------
def fetch_pdf(client, as_of="", language="en"):
    response = client.get(
        BRIEF_PDF, {"as_of": as_of} if as_of else {}, headers={"accept-language": language}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response


def font_names(reader):
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def characters_missing_from_their_font(reader):
    """Characters drawn with an embedded font that has no glyph for them: the text a reader
    would see as other characters or as boxes."""
    missing = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            cmap = TTFont(io.BytesIO(data)).getBestCmap() or {}
            to_unicode = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            drawn = {
                character
                for code in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]{4,})>", to_unicode)
                for character in bytes.fromhex(code).decode("utf-16-be", "replace")
            }
            lacking = {c for c in drawn if ord(c) not in cmap and c not in "\ufffd\uffff"}
            if lacking:
                missing[str(font["/BaseFont"])] = "".join(sorted(lacking))
    return missing


@needs_pdf
def test_the_pdf_is_one_a4_page_named_after_the_agreement_and_the_day(client, official):
    client.force_login(official)
    response = fetch_pdf(client)
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{SLUG}-brief-{today:%Y-%m-%d}.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    text = reader.pages[0].extract_text()
    assert "Cambodia–China Free Trade Agreement" in text
    assert "15 of 15 chapters concluded" in text
    assert "Increase the import of Cambodian agricultural products." in text
    assert any("Noto-Sans" in name for name in font_names(reader)), font_names(reader)


@needs_pdf
def test_the_pdf_as_of_round_2_is_one_page_with_the_positions(client, official, seed):
    with_positions(seed)
    client.force_login(official)
    response = fetch_pdf(client, as_of="round-2")
    assert f'filename="{SLUG}-brief-2020-04-09.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Under negotiation" in text
    assert "China's position on Rules of Origin" in text
    assert "Prime Ministers" not in text


@needs_pdf
@pytest.mark.parametrize(
    ("language", "family", "script"),
    [
        ("km", "Noto-Sans-Khmer", re.compile("[\u1780-\u17ff]")),
        ("zh-hans", "Noto-Sans-SC", re.compile("2020年10月12日")),
    ],
)
def test_the_pdf_draws_khmer_and_chinese_with_the_vendored_noto_fonts(
    client, official, language, family, script
):
    client.force_login(official)
    reader = PdfReader(io.BytesIO(fetch_pdf(client, language=language).content))
    assert len(reader.pages) == 1
    assert any(family in name for name in font_names(reader)), font_names(reader)
    assert script.search(reader.pages[0].extract_text())
    if language == "zh-hans":
        # Chinese is drawn glyph for glyph (Khmer is shaped, so its glyphs stand for clusters).
        assert characters_missing_from_their_font(reader) == {}


@needs_pdf
def test_the_pdf_reads_the_projects_own_files_and_nothing_from_afar():
    fetcher = pdf.static_fetcher("http://tracker.example.org/static/")
    stylesheet = fetcher.fetch("http://tracker.example.org/static/css/print.css")
    assert b"brief-page" in stylesheet.read()
    assert stylesheet.content_type == "text/css"
    font = fetcher.fetch(
        "http://tracker.example.org/static/vendor/fonts/noto-sans/noto-sans-latin-400-normal.woff2"
    )
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # unpacked once, served as TrueType
    for url in (
        "http://elsewhere.example.org/static/css/print.css",
        "file:///etc/passwd",
        "http://tracker.example.org/static/../../config/settings.py",
        "http://tracker.example.org/static/css/missing.css",
    ):
        with pytest.raises(ValueError, match="static file"):
            fetcher.fetch(url)


def test_only_the_font_slices_the_text_needs_are_loaded():
    latin = pdf.font_stylesheet("Brief")
    assert latin.count("@font-face") == 2  # Noto Sans, 400 and 700: the others' Latin unused
    assert "noto-sans-khmer" not in latin
    assert "noto-sans-sc" not in latin
    khmer = pdf.font_stylesheet("សម្ងាត់ Brief")
    assert "noto-sans-khmer-khmer-400" in khmer
    assert "noto-sans-khmer-latin" not in khmer
    chinese = pdf.font_stylesheet("简报")
    assert "noto-sans-sc" in chinese
    assert chinese.count("@font-face") < 10
    # Each slice has a family name of its own, shared by its weights.
    families = re.findall(r'font-family: "([^"]+)"', chinese.split("@page")[0])
    assert len(set(families)) * 2 == len(families)
