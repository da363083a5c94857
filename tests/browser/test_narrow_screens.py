"""The pages a secretariat officer and an official open most, on a phone: a wide table
scrolls inside its own frame, the page itself never sideways. A meeting's page, with every
button a chief negotiator gets, holds on a phone, a tablet and a laptop."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Meeting
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


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_meeting_page_fits_every_screen(page, live_server, language, assert_accessible):
    agreement = scenario(rounds=2, open_points=True)
    person("chief", agreement, Role.CHIEF_NEGOTIATOR, party_code="KHM")
    plenary = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)
    sign_in(page, live_server, "chief", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "meetings"
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/meetings/{plenary.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(plenary.title)
    expect(page.locator(f'a[href="/meetings/{plenary.pk}.ics"]')).to_be_visible()
    for width, height in [(390, 844), (768, 1024), (1366, 768)]:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=folder / f"meeting-{width}-{language}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"the meeting page scrolls sideways at {width} px in {language}"
        )
    assert_accessible(page)
