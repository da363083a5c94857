"""A chief negotiator records a fifteen-party meeting's outcome on a phone, with one thumb: the
screen opens short, positions are added party by party, by name, the buttons are big enough
for a thumb, and it all works in English, Khmer and Chinese, and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD
from tests.meetings.test_outcome_positions import outcome_screen, url_of
from workinggroups.models import Chapter, ContestedPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
FOLDER = ARTIFACTS / "outcome"


def fits_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def height_of(locator):
    return locator.bounding_box()["height"]


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_fifteen_party_outcome_screen_opens_short_and_fits_a_phone(
    page, live_server, language, assert_accessible
):
    meeting, _chief = outcome_screen()
    sign_in(page, live_server, "chief", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{url_of(meeting)}")
    expect(page.locator("#points-0-positions select")).to_have_count(1)

    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=FOLDER / f"outcome-390-{language}.png", full_page=True)
    assert height < 2500, f"the outcome screen is {height} px tall at 390 px in {language}"
    assert fits_sideways(page), f"the outcome screen scrolls sideways at 390 px in {language}"
    # The main actions are big enough for a thumb.
    for button in [
        page.locator(".outcome-save button.primary"),
        page.locator("#points-0-add-position"),
        page.locator("#points-add"),
        page.locator("#commitments-add"),
    ]:
        assert height_of(button) >= 44
    assert height_of(page.locator("#points-0-positions select")) >= 44
    assert_accessible(page)

    # Save stays in reach at the bottom of the screen while the form is filled in.
    save = page.locator(".outcome-save button.primary")
    box = save.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    assert box["y"] > PHONE["height"] - 100

    # Positions added for several parties still leave no sideways scroll.
    for rows in range(2, 5):
        page.locator("#points-0-add-position").click()
        expect(page.locator("#points-0-positions select")).to_have_count(rows)
    expect(page.locator('[name="points-0-party_3"]')).to_have_count(1)
    assert fits_sideways(page), f"added positions scroll sideways at 390 px in {language}"
    page.screenshot(path=FOLDER / f"outcome-390-{language}-positions.png", full_page=True)

    for width, height in [(768, 1024), (1366, 900)]:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=FOLDER / f"outcome-{width}-{language}.png", full_page=True)
        assert fits_sideways(page), f"the outcome screen scrolls sideways at {width} px"


def test_a_chief_gives_three_parties_positions_on_a_phone_and_a_refusal_keeps_them(
    page, live_server, assert_accessible
):
    meeting, _chief = outcome_screen()
    sign_in(page, live_server, "chief", PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{url_of(meeting)}")

    # A chapter's own note is asked for once its new status is chosen; a resolution once the
    # point is ticked resolved.
    status, note = page.locator("#id_statuses-1-to_status"), page.locator("#id_statuses-1-note")
    expect(note).to_be_hidden()
    status.select_option(label="Agreed in principle")
    expect(note).to_be_visible()
    note.fill("Agreed in principle, cumulation aside.")
    resolution = page.get_by_label("Resolution")
    expect(resolution).to_be_hidden()
    page.get_by_role("checkbox", name="Resolved").check()
    expect(resolution).to_be_visible()
    resolution.fill("Settled by the ministers.")

    point = page.get_by_role("group", name="New point 1")
    point.get_by_label("Chapter").select_option(label="Rules of Origin")
    point.get_by_label("Point").fill("Regional value content")
    point.get_by_label("Target date").fill("2019-12-31")  # before the meeting: refused
    given = [
        ("New Zealand", "Full cumulation across all parties."),
        ("Cambodia", "Regional value content of 40%."),
        ("Japan", "Change of tariff heading."),
    ]
    for number, (party, text) in enumerate(given, start=1):
        if number > 1:
            point.get_by_role("button", name="Add another position").click()
        row = point.get_by_role("group", name=f"Position {number}")
        if number > 1:
            expect(row.get_by_label("Party")).to_be_focused()
        row.get_by_label("Party").select_option(label=party)
        row.get_by_label("Position").fill(text)
    page.get_by_role("button", name="Save the outcome").click()

    expect(page.get_by_text("The target date is before the meeting")).to_be_visible()
    for number, (party, text) in enumerate(given, start=1):
        row = point.get_by_role("group", name=f"Position {number}")
        expect(row.get_by_label("Party").locator("option:checked")).to_have_text(party)
        expect(row.get_by_label("Position")).to_have_value(text)
    assert ContestedPoint.objects.filter(title="Regional value content").count() == 0
    expect(note).to_have_value("Agreed in principle, cumulation aside.")
    expect(resolution).to_have_value("Settled by the ministers.")
    assert_accessible(page)

    point.get_by_label("Target date").fill("2020-05-15")
    page.get_by_role("button", name="Save the outcome").click()

    expect(page.get_by_text("Outcome saved")).to_be_visible()
    saved = ContestedPoint.objects.get(title="Regional value content")
    assert {p.party.name: p.text for p in saved.positions.select_related("party")} == dict(given)
    assert ContestedPoint.objects.get(title="Cumulation").resolution == "Settled by the ministers."
    chapter = Chapter.objects.get(title="Rules of Origin")
    assert chapter.status == "agreed_in_principle"
    assert chapter.status_changes.get().note == "Agreed in principle, cumulation aside."


def test_without_javascript_positions_are_still_added_and_saved(chromium, live_server):
    meeting, _chief = outcome_screen()
    context = chromium.new_context(
        locale="en-GB", timezone_id="Asia/Phnom_Penh", java_script_enabled=False, viewport=PHONE
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "chief", PASSWORD)
        page.goto(f"{live_server.url}{url_of(meeting)}")
        point = page.get_by_role("group", name="New point 1")
        point.get_by_label("Chapter").select_option(label="Rules of Origin")
        point.get_by_label("Point").fill("Regional value content")
        first = point.get_by_role("group", name="Position 1")
        first.get_by_label("Party").select_option(label="Viet Nam")
        first.get_by_label("Position").fill("Forty per cent, with cumulation.")

        # The whole screen comes back with one more row, and what was typed; nothing saved.
        with page.expect_navigation():
            point.get_by_role("button", name="Add another position").click()
        second = point.get_by_role("group", name="Position 2")
        expect(second.get_by_label("Party")).to_be_focused()
        expect(first.get_by_label("Position")).to_have_value("Forty per cent, with cumulation.")
        expect(page.locator(".field-errors")).to_have_count(0)
        second.get_by_label("Party").select_option(label="Australia")
        second.get_by_label("Position").fill("Change of tariff heading.")

        # Enter in a field saves the outcome, as the Save button does.
        with page.expect_navigation():
            point.get_by_label("Point").press("Enter")
        expect(page.get_by_text("Outcome saved")).to_be_visible()
        FOLDER.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=FOLDER / "outcome-saved-without-javascript.png", full_page=True)
    finally:
        context.close()

    saved = ContestedPoint.objects.get(title="Regional value content")
    assert {p.party.code: p.text for p in saved.positions.select_related("party")} == {
        "VNM": "Forty per cent, with cumulation.",
        "AUS": "Change of tariff heading.",
    }
