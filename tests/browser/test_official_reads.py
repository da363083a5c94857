"""An official narrows the contested points down, takes them away as a spreadsheet, and opens
the brief to print."""

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import person, scenario, sign_in
from tests.factories import PASSWORD, ContestedPointFactory
from workinggroups.models import Chapter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUMULATION = "Cumulation with materials from ASEAN member states"


def test_official_filters_contested_points_exports_them_and_opens_the_brief(
    page, live_server, assert_accessible
):
    # Mid-May 2020: the four points raised at the second round are open, and one more.
    agreement = scenario(rounds=2, open_points=True)
    ContestedPointFactory(
        chapter=Chapter.objects.get(title="Rules of Origin"),
        title=CUMULATION,
        opened_on=dt.date(2020, 4, 9),
        target_date=dt.date(2020, 6, 8),
    )
    person("chea", agreement, Role.OFFICIAL)

    sign_in(page, live_server, "chea", PASSWORD)
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    subnav = page.get_by_role("navigation", name="This agreement")
    subnav.get_by_role("link", name="Contested points").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contested points")
    rows = page.locator("#table-fragment tbody tr")
    expect(rows).to_have_count(5)
    assert_accessible(page)

    page.get_by_role("combobox", name="Working group").select_option(label="Rules of Origin")

    expect(rows).to_have_count(2)
    assert "working_group=" in page.url  # the filtered view can be bookmarked and shared
    shown = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(2)]
    assert set(shown) == {"Most controversial points on rules of origin", CUMULATION}
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("cambodia-china-fta-contested-points-")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as exported:
        header, *records = list(csv.reader(io.StringIO(exported.read())))
    assert header[0] == "Contested point"
    assert [record[0] for record in records] == shown
    assert {record[header.index("Working group")] for record in records} == {"Rules of Origin"}

    subnav.get_by_role("link", name="Printable brief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(agreement.name)
    brief_points = page.get_by_role("heading", name="Open contested points").locator("xpath=..")
    expect(brief_points.locator("li")).to_have_count(5)
    expect(brief_points).to_contain_text(CUMULATION)
    assert_accessible(page)

    # As it prints: the navigation and the as-of choice are left off the page.
    page.emulate_media(media="print")
    expect(page.locator(".no-print")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_an_agreement_opened_from_the_portfolio_is_a_page_of_its_own(page, live_server):
    agreement = scenario(rounds=1, open_points=False)
    person("chea", agreement, Role.OFFICIAL)

    sign_in(page, live_server, "chea", PASSWORD)
    page.get_by_role("link", name=agreement.name).click()

    expect(page).to_have_url(f"{live_server.url}{agreement.get_absolute_url()}", timeout=3_000)
    expect(page.get_by_role("heading", level=1)).to_have_text(agreement.name, timeout=1_000)


def test_a_filtered_table_says_how_many_rows_it_has(page, live_server):
    agreement = scenario(rounds=2, open_points=True)
    person("chea", agreement, Role.OFFICIAL)

    sign_in(page, live_server, "chea", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/{agreement.slug}/contested-points/")

    expect(page.locator(".table-actions")).to_contain_text("4 rows", timeout=1_000)
