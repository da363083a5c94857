"""The brief in a real browser: readable on a phone, a tablet and a laptop in every language
of the tracker, and printed by the browser on one A4 page."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from dashboards import pdf
from negotiations.choices import Role
from negotiations.models import Agreement, Party
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import PASSWORD
from workinggroups.models import ContestedPoint
from workinggroups.services import update_contested_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(390, 844), (768, 1024), (1366, 768)]


def cambodia_china_with_positions():
    """The whole Cambodia–China record, each party's position written on every point."""
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    cambodia, china = Party.objects.get(code="KHM"), Party.objects.get(code="CHN")
    for point in ContestedPoint.objects.filter(chapter__working_group__agreement=agreement):
        update_contested_point(
            point=point,
            title=point.title,
            target_date=point.target_date,
            positions={
                cambodia: "Cumulation with inputs from every ASEAN member, and a threshold "
                "lowered over five years for the least developed producers.",
                china: "One regional value content threshold for every product, with "
                "product-specific exceptions settled in an annex after signature.",
            },
        )
    return agreement


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_brief_fits_a_phone_a_tablet_and_a_laptop(
    page, live_server, language, assert_accessible
):
    agreement = cambodia_china_with_positions()
    person("official", agreement, Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "brief"
    folder.mkdir(parents=True, exist_ok=True)
    brief = f"/dashboard/{agreement.slug}/brief/"
    for name, query in [("now", ""), ("round-2", "?as_of=round-2")]:
        page.goto(f"{live_server.url}{brief}{query}")
        expect(page.get_by_role("heading", level=1)).to_have_text(agreement.name)
        if pdf.available():
            download = page.locator(f'a[href="/dashboard/{agreement.slug}/brief.pdf{query}"]')
            expect(download).to_be_visible()
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            # Measured in the web fonts the reader sees, not in the fallback shown meanwhile.
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=folder / f"brief-{name}-{width}-{language}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                f"the brief ({name}) scrolls sideways at {width} px in {language}"
            )
        assert_accessible(page)


@pytest.mark.parametrize("query", ["", "?as_of=round-2"])
def test_the_browser_prints_the_brief_on_one_a4_page(page, live_server, query):
    agreement = cambodia_china_with_positions()
    person("official", agreement, Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/{agreement.slug}/brief/{query}")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
    printed = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert len(printed.pages) == 1
    text = printed.pages[0].extract_text()
    assert agreement.name in text
    assert "confidential" in text.lower()
