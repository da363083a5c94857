"""The pages a secretariat officer and an official open most, on a phone: a wide table
scrolls inside its own frame, the page itself never sideways."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import ARTIFACTS, person, scenario, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_portfolio_and_the_dashboard_fit_a_phone(
    page, live_server, language, assert_accessible
):
    agreement = scenario(rounds=2, open_points=True)
    person("official", agreement, Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 844})
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in [
        ("portfolio", "/portfolio/"),
        ("dashboard", f"/dashboard/{agreement.slug}/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"narrow-{name}-{language}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{path} scrolls sideways at 390 px in {language}"
        )
        assert_accessible(page)
