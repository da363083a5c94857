"""Khmer and Chinese render in the vendored Noto fonts, not as empty boxes, in a browser with no
such fonts installed (as on a closed-network Linux desktop, and as this machine's Chromium is).

The fonts are served by the tracker itself from static/vendor/fonts/ (see scripts/vendor_fonts.py);
what is checked is what Chromium actually drew each string with, through its DevTools protocol.
The Khmer and Chinese font files are answered late, as on a slow network: Chromium (156) keeps
drawing Khmer or Chinese text laid out before its font arrived in the empty boxes of an installed
font that stands earlier in the font stack (system-ui), so the stack must begin with the vendored
fonts; text whose first font is a web font is drawn again once the fonts arrive.
"""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.conftest import ARTIFACTS

KHMER = "កិច្ចព្រមព្រៀងពាណិជ្ជកម្មសេរី"  # "free trade agreement"
CHINESE = "自由贸易协定"
FONTS_CSS = "/static/vendor/fonts/fonts.css"
KHMER_CHARS = re.compile(r"[\u1780-\u17ff]")
CHINESE_CHARS = re.compile(r"[\u3400-\u9fff]")
SLOW_FONTS = re.compile(r"/(noto-sans-khmer|noto-sans-sc)/[^/]+\.woff2$")

# The stack static/css/app.css should have: vendored fonts first, installed ones after.
STACK = (
    '"Noto Sans", "Noto Sans Khmer", "Noto Sans SC", '
    'system-ui, -apple-system, "Segoe UI", sans-serif'
)
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="{base}{fonts}">
<style>body {{ font-family: {stack}; }}</style>
</head><body><main>
<p id="khmer-word" lang="km">ខ្មែរ</p>
<h1 id="khmer-heading" lang="km">{khmer}</h1>
<p id="khmer" lang="km">{khmer}</p>
<p id="chinese" lang="zh-Hans">{chinese}</p>
<p id="chinese-bold" lang="zh-Hans"><strong>{chinese}</strong></p>
<p id="latin">Free trade agreement</p>
</main></body></html>"""


def answer_fonts_late(page):
    """Hold back the Khmer and Chinese font files a little, as a slow network would."""

    def late(route):
        time.sleep(0.25)
        route.continue_()

    page.route(SLOW_FONTS, late)


def loaded_families(page):
    """The families of the page's font faces that have finished loading."""
    return page.evaluate(
        "() => [...document.fonts].filter(f => f.status === 'loaded')"
        ".map(f => f.family.replace(/\"/g, ''))"
    )


def wait_for_fonts(page, *families):
    """Lay the page out, wait until the named families have loaded, then until no load is left."""
    page.wait_for_function(
        """families => {
            document.body.getBoundingClientRect();
            const loaded = [...document.fonts].filter(f => f.status === 'loaded');
            return families.every(name => loaded.some(f => f.family.replace(/"/g, '') === name));
        }""",
        arg=list(families),
    )
    page.evaluate("async () => { await document.fonts.ready; }")
    # One more frame, so what is measured is what was painted after the fonts arrived.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")


def platform_fonts(page, selector):
    """The fonts Chromium drew the element's own text with: {family name: glyph count}."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no element {selector}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def drawn_only_in(page, selector, family):
    """Every glyph of the element's text came from the family (the SC files name their weight
    in the family, "Noto Sans SC Thin"), none from an installed font, which here means boxes."""
    used = platform_fonts(page, selector)
    assert used, f"nothing drawn for {selector}"
    assert all(name.startswith(family) for name in used), f"{selector} drawn with {used}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_vendored_fonts_draw_khmer_and_chinese(page, live_server):
    """Independent of base.html: fonts.css alone makes both scripts render, in both weights."""
    # Same origin as the fonts (a blank page's opaque origin would make every font a CORS load).
    response = page.goto(f"{live_server.url}{FONTS_CSS}")
    assert response.ok, f"{FONTS_CSS} is not served: run scripts/vendor_fonts.py"
    answer_fonts_late(page)
    page.set_content(
        PAGE.format(
            base=live_server.url, fonts=FONTS_CSS, stack=STACK, khmer=KHMER, chinese=CHINESE
        )
    )

    wait_for_fonts(page, "Noto Sans", "Noto Sans Khmer", "Noto Sans SC")

    for family, text in [("Noto Sans Khmer", KHMER), ("Noto Sans SC", CHINESE)]:
        for weight in (400, 700):
            assert page.evaluate(
                "([font, text]) => document.fonts.check(font, text)",
                [f'{weight} 16px "{family}"', text],
            ), f"{family} {weight} not loaded for {text}"
    families = loaded_families(page)
    assert "Noto Sans Khmer" in families
    assert "Noto Sans SC" in families

    drawn_only_in(page, "#khmer-word", "Noto Sans Khmer")
    drawn_only_in(page, "#khmer-heading", "Noto Sans Khmer")
    drawn_only_in(page, "#khmer", "Noto Sans Khmer")
    drawn_only_in(page, "#chinese", "Noto Sans SC")
    drawn_only_in(page, "#chinese-bold strong", "Noto Sans SC")
    assert sum(platform_fonts(page, "#chinese").values()) == len(CHINESE)
    drawn_only_in(page, "#latin", "Noto Sans")
    assert "Noto Sans Khmer" not in platform_fonts(page, "#latin")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "fonts-km-zh.png", full_page=True)


def test_fonts_css_names_only_files_that_are_vendored():
    """Every url() in fonts.css is a committed file, with its family's licence beside it."""
    folder = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"
    urls = re.findall(r'url\("([^"]+)"\)', (folder / "fonts.css").read_text("utf-8"))
    assert len(urls) > 100
    assert not [url for url in urls if not (folder / url).is_file()]
    families = {url.split("/")[0] for url in urls}
    assert families == {"noto-sans", "noto-sans-khmer", "noto-sans-sc"}
    assert all((folder / family / "LICENSE").is_file() for family in families)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "family", "script"),
    [("km", "Noto Sans Khmer", KHMER_CHARS), ("zh-hans", "Noto Sans SC", CHINESE_CHARS)],
    ids=["km", "zh-hans"],
)
def test_sign_in_page_in_khmer_and_chinese(page, live_server, language, family, script):
    """The real page, through base.html and app.css, in the language a person chose."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    answer_fonts_late(page)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == language
    if not page.locator(f'link[rel="stylesheet"][href$="{FONTS_CSS}"]').count():
        pytest.skip(f"templates/base.html does not link {FONTS_CSS} yet")

    # Every element with text of its own in the language's script, numbered for the protocol.
    texts = page.evaluate(
        """source => {
            const script = new RegExp(source), texts = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const parent = node.parentElement;
                if (script.test(node.data) && !parent.closest('select, script, style')
                        && !parent.hasAttribute('data-font-check')) {
                    parent.setAttribute('data-font-check', texts.length);
                    texts.push(node.data.trim());
                }
            }
            return texts;
        }""",
        script.pattern,
    )
    assert texts, f"no text in {language} on the sign-in page (are the .mo files compiled?)"

    wait_for_fonts(page, family)
    for number, text in enumerate(texts):
        used = platform_fonts(page, f'[data-font-check="{number}"]')
        # Anything else drawing part of it may only be a Latin font, for spaces and digits.
        assert any(name.startswith(family) for name in used), f"{text!r} drawn with {used}"
        assert not {"DejaVu Sans", "Liberation Sans"} & set(used), (
            f"{text!r} partly drawn in an installed font without {language} glyphs: {used}; "
            "static/css/app.css's font stack must begin with the vendored fonts"
        )
    # Fields do not inherit the page's font unless told to; typed Khmer would show as boxes.
    body, select = (
        page.evaluate(f"() => getComputedStyle(document.querySelector('{css}')).fontFamily")
        for css in ("body", "#language-select")
    )
    assert select == body, "app.css needs `input, select, textarea { font: inherit; }`"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"fonts-sign-in-{language}.png", full_page=True)
