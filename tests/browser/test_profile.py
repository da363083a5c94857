"""A negotiator's own profile page on a phone, a tablet and a desk, in each language: it fits
the screen with the calendar feed's long secret address on it, and the person changes their
time zone and makes their feed address there."""

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.models import CalendarFeed
from negotiations.choices import Role
from reminders import links
from tests.browser.conftest import ARTIFACTS, person, scenario, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 768, 1366)


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_profile_fits_every_screen(page, live_server, language, assert_accessible):
    agreement = scenario(rounds=2, open_points=False)
    user = person("negotiator", agreement, Role.NEGOTIATOR, party_code="KHM", groups=["ROO"])
    feed = services.create_or_regenerate_feed(user=user, by=user)
    address = links.absolute(f"/calendar/{feed.token}.ics")
    sign_in(page, live_server, "negotiator", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/profile/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("#feed-url")).to_have_value(address)
        page.screenshot(path=folder / f"profile-{language}-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"the profile scrolls sideways at {width} px in {language}"
        )
    assert_accessible(page)


def test_a_negotiator_sets_their_zone_and_subscribes_their_calendar(page, live_server):
    agreement = scenario(rounds=2, open_points=False)
    user = person("negotiator", agreement, Role.NEGOTIATOR, party_code="KHM", groups=["ROO"])
    sign_in(page, live_server, "negotiator", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    # On a phone the menu is folded: open it, then follow one's own name.
    page.get_by_role("navigation", name="Main").locator("summary").click()
    page.get_by_role("link", name=str(user)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your profile")
    expect(page.get_by_role("cell", name="Rules of Origin (ROO)")).to_be_visible()

    page.get_by_role("combobox", name="Time zone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your language and time zone are saved.")).to_be_visible()
    user.refresh_from_db()
    assert user.time_zone == "Asia/Shanghai"

    page.get_by_role("button", name="Create address").click()
    feed = CalendarFeed.objects.get(user=user)
    address = page.get_by_label("Secret address of your calendar")
    expect(address).to_have_value(links.absolute(f"/calendar/{feed.token}.ics"))
    response = page.request.get(f"{live_server.url}/calendar/{feed.token}.ics")
    assert response.status == 200
    assert b"BEGIN:VCALENDAR" in response.body()

    page.get_by_role("button", name="New address (the old one stops working)").click()
    expect(page.get_by_text("the old one no longer works")).to_be_visible()
    assert page.request.get(f"{live_server.url}/calendar/{feed.token}.ics").status == 404

    page.get_by_role("button", name="Stop the feed").click()
    expect(page.get_by_role("button", name="Create address")).to_be_visible()
    assert not CalendarFeed.objects.filter(user=user).exists()
    page.screenshot(path=ARTIFACTS / "profile" / "profile-journey.png", full_page=True)
