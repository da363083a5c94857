"""Two negotiators edit the same thing at once: the second save is refused, both versions are
shown side by side, nothing is overwritten and the second entry is kept for another try."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import person, scenario, sign_in
from tests.factories import PASSWORD
from workinggroups.models import Chapter, ContestedPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POINT = "Most controversial points on rules of origin"


@pytest.fixture
def two_negotiators(live_server, chromium, page):
    """Sok (Cambodia) and Li (China) of the Rules of Origin group, each in a browser of their
    own, mid-May 2020. `page` is Li's: the one refused, whose screen is kept."""
    agreement = scenario(rounds=2, open_points=True)
    names = {"sok": ("Sok", "Dara"), "li": ("Li", "Wei")}
    for username, party_code in [("sok", "KHM"), ("li", "CHN")]:
        first_name, last_name = names[username]
        person(
            username,
            agreement,
            Role.NEGOTIATOR,
            party_code=party_code,
            groups=["ROO"],
            first_name=first_name,
            last_name=last_name,
        )
    context = chromium.new_context(locale="en-GB", timezone_id="Asia/Phnom_Penh")
    context.set_default_timeout(10_000)
    sok = context.new_page()
    sign_in(sok, live_server, "sok", PASSWORD)
    sign_in(page, live_server, "li", PASSWORD)
    yield sok, page
    context.close()


def both_versions(page, row):
    """The (yours, saved) cells of one row of the refusal's side-by-side table."""
    cells = page.get_by_role("alert").get_by_role("row", name=row).get_by_role("cell")
    return cells.nth(0), cells.nth(1)


def test_a_stale_chapter_status_change_is_refused_showing_both_versions(
    live_server, two_negotiators, assert_accessible
):
    sok, li = two_negotiators
    chapter = Chapter.objects.get(title="Rules of Origin")
    seen = chapter.version
    for page in (sok, li):
        page.goto(f"{live_server.url}{chapter.get_absolute_url()}")
        expect(page.locator("#status-panel")).to_contain_text(f"version {seen}")

    sok.get_by_label("New status").select_option(label="Agreed")
    sok.get_by_label("Note").fill("Closed by video conference on 15 May.")
    sok.get_by_role("button", name="Change status").click()
    expect(sok.locator("#status-panel")).to_contain_text(f"version {seen + 1}")

    li.get_by_label("New status").select_option(label="Under negotiation")
    li.get_by_label("Note").fill("China reopens the product-specific rules.")
    li.get_by_role("button", name="Change status").click()

    expect(li.get_by_role("alert")).to_contain_text("Not saved: someone changed this chapter")
    yours, saved = both_versions(li, "Status")
    expect(yours).to_have_text("Under negotiation")
    expect(saved).to_have_text("Agreed")
    yours, saved = both_versions(li, "Note")
    expect(yours).to_have_text("China reopens the product-specific rules.")
    expect(saved).to_have_text("Closed by video conference on 15 May.")
    yours, saved = both_versions(li, "Based on version")
    expect(yours).to_have_text(str(seen))
    expect(saved).to_contain_text(f"{seen + 1} — Sok Dara")
    # Li's entry is kept, now on top of the saved version.
    expect(li.get_by_label("New status")).to_have_value("under_negotiation")
    expect(li.get_by_label("Note")).to_have_value("China reopens the product-specific rules.")
    assert_accessible(li)

    chapter.refresh_from_db()
    assert (chapter.status, chapter.version) == ("agreed", seen + 1)


def test_a_stale_contested_point_edit_is_refused_showing_both_versions(
    live_server, two_negotiators, assert_accessible
):
    sok, li = two_negotiators
    point = ContestedPoint.objects.get(title=POINT)
    for page in (sok, li):
        page.goto(f"{live_server.url}{point.get_absolute_url()}")
        page.get_by_role("link", name="Edit point and positions").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(POINT)
    assert_accessible(li)

    sok.locator("details.position > summary", has_text="Cambodia").click()
    sok.get_by_label("Position of Cambodia").fill("Regional value content of 40%.")
    sok.get_by_role("button", name="Save").click()
    expect(sok.get_by_text("Contested point saved.")).to_be_visible()

    li.locator("details.position > summary", has_text="China").click()
    li.get_by_label("Position of China").fill("Change of tariff heading.")
    li.get_by_label("Target date").fill("2020-06-08")
    li.get_by_role("button", name="Save").click()

    expect(li.get_by_role("alert")).to_contain_text("Not saved: someone changed this point")
    yours, saved = both_versions(li, "Positions")
    expect(yours).to_have_text("CHN: Change of tariff heading.")
    expect(saved).to_have_text("KHM: Regional value content of 40%.")
    yours, saved = both_versions(li, "Target date")
    expect(yours).to_have_text("Mon 8 Jun 2020")
    expect(saved).to_have_text("Fri 15 May 2020")
    expect(li.get_by_label("Position of China")).to_have_value("Change of tariff heading.")
    assert_accessible(li)

    point.refresh_from_db()
    assert str(point.target_date) == "2020-05-15"
    assert {p.party.code: p.text for p in point.positions.select_related("party")} == {
        "KHM": "Regional value content of 40%."
    }
