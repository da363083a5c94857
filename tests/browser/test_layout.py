"""The main pages as a chief negotiator of the Cambodia–China FTA opens them on a phone, a tablet
and a laptop: nothing scrolls sideways, every control is big enough to hit, the menu folds away
on a phone, wide tables scroll in their own frame with their first column held, chart text stays
legible, and the dark scheme follows the system setting with readable contrast."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Agreement, Meeting
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import PASSWORD
from workinggroups.models import Chapter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "layout"
PHONE, TABLET, LAPTOP = (390, 844), (768, 1024), (1366, 900)

# Controls a finger or a pointer has to hit; a link inside running text is exempt (WCAG 2.5.8).
SMALL_CONTROLS = """() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, nav a')]
  .filter(e => e.checkVisibility({visibilityProperty: true}))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 24 || r.height < 24)
  .map(([e, r]) => `${e.tagName.toLowerCase()}${e.name ? '[name=' + e.name + ']' : ''}`
    + ` "${(e.innerText || e.value || '').trim().slice(0, 30)}"`
    + ` ${Math.round(r.width)}x${Math.round(r.height)}`)"""

# The innermost elements reaching past the right edge outside a scrolling frame.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + '.' + e.className + ' reaches '
    + Math.round(e.getBoundingClientRect().right))"""

# How large each text of a chart is drawn, in CSS pixels on the screen.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll('.chart-svg text')]
  .filter(t => t.checkVisibility())
  .map(t => {
    const svg = t.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * scale];
  })"""

# Header cells of Chinese text standing one character per line (headers hidden for screen
# readers only, in a box of one pixel, are not seen).
STACKED_HEADERS = """() => [...document.querySelectorAll('main th')]
  .filter(th => th.checkVisibility() && th.closest('thead, tbody, table').offsetWidth > 1)
  .map(th => {
    const text = th.innerText.replace(/\\s+/g, '');
    const range = document.createRange();
    range.selectNodeContents(th);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    return [text, lines];
  })
  .filter(([text, lines]) => /\\p{Script=Han}/u.test(text) && text.length >= 2
    && lines >= text.length)"""


@pytest.fixture
def pages(page, live_server):
    """The real scenario, a chief negotiator of it signed in, and the main pages' addresses."""
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    person("chief", agreement, Role.CHIEF_NEGOTIATOR, party_code="KHM")
    chapter = Chapter.objects.get(working_group__agreement=agreement, title="Rules of Origin")
    meeting = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)
    sign_in(page, live_server, "chief", PASSWORD)
    FOLDER.mkdir(parents=True, exist_ok=True)
    slug = agreement.slug
    return {
        "portfolio": "/portfolio/",
        "dashboard": f"/dashboard/{slug}/",
        "chapter": f"/chapters/{chapter.pk}/",
        "meeting": f"/meetings/{meeting.pk}/",
        "outcome": f"/meetings/{meeting.pk}/outcome/",
        "contested-points": f"/dashboard/{slug}/contested-points/",
        "commitments": f"/dashboard/{slug}/commitments/",
        "chapters": f"/dashboard/{slug}/chapters/",
        "brief": f"/dashboard/{slug}/brief/",
    }


def use_language(page, live_server, language):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def check_page(page, path, label, assert_accessible):
    """The page as it stands: no sideways scroll, no small control, nothing serious for axe."""
    width = page.viewport_size["width"]
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=FOLDER / f"{label}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{path} scrolls sideways at {width} px: {page.evaluate(OVERFLOWING)}"
    )
    small = page.evaluate(SMALL_CONTROLS)
    assert not small, f"{path} at {width} px has controls under 24x24 px: {small}"
    assert_accessible(page)


@pytest.mark.parametrize("size", [PHONE, TABLET, LAPTOP], ids=lambda size: str(size[0]))
def test_every_main_page_fits_the_screen_in_english(
    page, live_server, pages, size, assert_accessible
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    use_language(page, live_server, "en")
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        check_page(page, path, f"{name}-{size[0]}-en", assert_accessible)
        for text, size_px in page.evaluate(CHART_TEXT_SIZES):
            assert size_px >= 10.9, f"{path}: chart text {text!r} drawn at {size_px:.1f} px"


@pytest.mark.parametrize("language", ["km", "zh-hans"])
def test_every_main_page_fits_a_phone_in_khmer_and_chinese(
    page, live_server, pages, language, assert_accessible
):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    use_language(page, live_server, language)
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        check_page(page, path, f"{name}-{PHONE[0]}-{language}", assert_accessible)
        for text, size_px in page.evaluate(CHART_TEXT_SIZES):
            assert size_px >= 10.9, f"{path}: chart text {text!r} drawn at {size_px:.1f} px"
        stacked = page.evaluate(STACKED_HEADERS)
        assert not stacked, f"{path}: headers one character per line: {stacked}"


def test_the_menu_folds_behind_a_disclosure_on_a_phone(page, live_server, pages):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{live_server.url}{pages['dashboard']}")
    header = page.locator(".site-header")
    assert header.bounding_box()["width"] == PHONE[0], "the header band spans the screen"
    menu = page.get_by_role("navigation", name="Main")
    profile = menu.get_by_role("link", name="Password")
    expect(profile).to_be_hidden()
    summary = menu.locator("summary")
    expect(summary).to_have_text("Menu")
    # Opened from the keyboard, without a script of the tracker's.
    summary.focus()
    page.keyboard.press("Enter")
    expect(profile).to_be_visible()
    page.screenshot(path=FOLDER / "menu-open-390-en.png")
    small = page.evaluate(SMALL_CONTROLS)
    assert not small, f"the open menu has controls under 24x24 px: {small}"
    for link in menu.get_by_role("link").all():
        box = link.bounding_box()
        assert box["x"] >= 0, link.inner_text()
        assert box["x"] + box["width"] <= PHONE[0], link.inner_text()
    profile.click()
    expect(page).to_have_url(re.compile(r"/accounts/password_change/$"))

    # On a laptop the menu is simply there, with no disclosure to open.
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    page.goto(f"{live_server.url}{pages['dashboard']}")
    expect(page.get_by_role("navigation", name="Main").locator("summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Password")).to_be_visible()


def test_a_wide_table_scrolls_in_its_frame_with_its_first_column_held(page, live_server, pages):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{live_server.url}{pages['contested-points']}")
    frame = page.locator(".table-scroll").filter(has=page.locator("table")).first
    sizes = frame.evaluate("f => [f.scrollWidth, f.clientWidth]")
    assert sizes[0] > sizes[1], f"the table fits a phone without scrolling: {sizes}"
    first = frame.locator("tbody tr").first.locator("td, th").first
    second = frame.locator("tbody tr").first.locator("td, th").nth(1)
    left, second_left = first.bounding_box()["x"], second.bounding_box()["x"]
    frame.evaluate("f => f.scrollBy(120, 0)")
    page.wait_for_function("() => true")
    assert first.bounding_box()["x"] == pytest.approx(left, abs=1), "the first column moved"
    assert second.bounding_box()["x"] < second_left - 100, "the other columns did not scroll"
    page.screenshot(path=FOLDER / "table-scrolled-390-en.png")


def test_wide_screens_show_the_status_table_and_the_portfolio_whole(page, live_server, pages):
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    page.goto(f"{live_server.url}{pages['dashboard']}")
    for table in ("#status-chart-data", "#progress-chart-data"):
        frame = page.locator(f".table-scroll:has({table})")
        sizes = frame.evaluate("f => [f.scrollWidth, f.clientWidth]")
        assert sizes[0] <= sizes[1], f"{table} is clipped at {LAPTOP[0]} px: {sizes}"
        expect(page.locator(f"{table} thead th").last).to_have_text("Total")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{pages['portfolio']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    frame = page.locator(".table-scroll").first
    sizes = frame.evaluate("f => [f.scrollWidth, f.clientWidth]")
    assert sizes[0] <= sizes[1], f"the portfolio's table is clipped at 1024 px: {sizes}"
    page.screenshot(path=FOLDER / "portfolio-1024-en.png", full_page=True)


def test_the_languages_are_named_in_their_own_script(page, live_server, pages):
    use_language(page, live_server, "zh-hans")
    page.goto(f"{live_server.url}{pages['portfolio']}")
    options = page.locator("#language-select option")
    expect(options).to_have_text(["English", "ខ្មែរ", "简体中文"])
    assert options.evaluate_all("os => os.map(o => o.lang)") == ["en", "km", "zh-hans"]


BACKGROUND_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=lambda size: str(size[0]))
def test_the_dark_scheme_follows_the_system_and_stays_readable(
    page, live_server, pages, size, assert_accessible
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server.url}{pages['dashboard']}")
    assert page.evaluate(BACKGROUND_LUMINANCE) > 0.8, "the light scheme is light"
    page.emulate_media(color_scheme="dark")
    for name in ("dashboard", "portfolio", "chapter", "contested-points", "meeting"):
        page.goto(f"{live_server.url}{pages[name]}")
        assert page.evaluate(BACKGROUND_LUMINANCE) < 0.15, f"{name} is not dark"
        page.screenshot(path=FOLDER / f"{name}-{size[0]}-dark.png", full_page=True)
        assert_accessible(page)
    # The dashboard as it stood after round 2: chapters of every status, some contested.
    page.goto(f"{live_server.url}{pages['dashboard']}?as_of=round-2")
    expect(page.locator(".cell-contested").first).to_be_visible()
    page.screenshot(path=FOLDER / f"dashboard-round-2-{size[0]}-dark.png", full_page=True)
    assert_accessible(page)
