"""The page for an address that leads nowhere, as a negotiator sees it on a phone, a tablet
and a laptop in each language: the site's header and navigation, the explanation, the way to
the portfolio, and no sideways scroll."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import PASSWORD, AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_not_found_page_fits_every_screen(
    page, live_server, settings, language, assert_accessible
):
    settings.DEBUG = False
    person("official", AgreementFactory(), Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "errors"
    folder.mkdir(parents=True, exist_ok=True)

    response = page.goto(f"{live_server.url}/agreements/no-such-agreement/nothing/")

    assert response.status == 404
    with translation.override(language):
        heading = gettext("Page not found")
        portfolio = gettext("Go to the portfolio: every agreement you may see")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation")).to_be_visible()
    expect(page.get_by_role("link", name=portfolio)).to_have_attribute("href", "/portfolio/")
    for width, height in [(390, 844), (768, 1024), (1366, 900)]:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=folder / f"not-found-{width}-{language}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"the not-found page scrolls sideways at {width} px in {language}"
        )
    assert_accessible(page)
