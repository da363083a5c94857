"""Opening a contested point on a chapter of a fifteen-party agreement, on a phone: the form
opens short, one line per party by name; a party's position is written by opening its line;
and the point is saved with exactly the positions written."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD
from tests.meetings.test_outcome_positions import outcome_screen
from workinggroups.models import Chapter, ContestedPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "contested-point-form"
SCREENS = [(390, 844), (768, 1024), (1366, 900)]


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_a_fifteen_party_point_opens_short_and_takes_positions_party_by_party(
    page, live_server, language, assert_accessible
):
    meeting, _chief = outcome_screen()
    chapter = Chapter.objects.get(
        working_group__agreement=meeting.agreement, title="Rules of Origin"
    )
    parties = list(meeting.agreement.parties.order_by("name"))
    assert len(parties) == 15
    sign_in(page, live_server, "chief", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    FOLDER.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}{reverse('workinggroups:contestedpoint-create', args=[chapter.pk])}"

    for width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=FOLDER / f"new-point-{width}-{language}.png", full_page=True)
    # One line per party, by name, and no position box showing until a party is opened.
    lines = page.locator("details.position > summary")
    expect(lines).to_have_count(15)
    assert [line.strip() for line in lines.all_inner_texts()] == [p.name for p in parties]
    assert page.locator("details.position textarea:visible").count() == 0
    assert page.evaluate("document.documentElement.scrollHeight") < 2000
    for line in lines.all():
        assert line.bounding_box()["height"] >= 44
    assert_accessible(page)

    page.locator("input[name=title]").fill("Cumulation with third parties")
    japan = next(p for p in parties if p.code == "JPN")
    page.locator("details.position > summary", has_text=japan.name).click()
    page.locator(f"textarea[name=position_{japan.pk}]").fill("Diagonal cumulation only.")
    page.screenshot(path=FOLDER / f"new-point-position-390-{language}.png", full_page=True)
    with page.expect_navigation():
        page.locator("form button.primary[type=submit]").click()

    point = ContestedPoint.objects.get(title="Cumulation with third parties")
    assert {p.party.code: p.text for p in point.positions.all()} == {
        "JPN": "Diagonal cumulation only."
    }

    # Editing it: the party with a position stands open, the others closed.
    page.goto(f"{live_server.url}{reverse('workinggroups:contestedpoint-update', args=[point.pk])}")
    opened = page.locator("details.position[open] > summary")
    expect(opened).to_have_count(1)
    assert japan.name in opened.inner_text()
