"""A negotiator records what the second round decided for their chapters, on one screen, and
the agreement dashboard shows it."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Commitment
from tests.browser.conftest import person, scenario, sign_in
from tests.factories import PASSWORD
from workinggroups.models import Chapter, ContestedPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUND_TWO = "Second round of negotiations — plenary (video conference)"
POINT = "Most controversial points on rules of origin"
COMMITMENT = "Send China the list of product-specific rules still in brackets."


def cell(page, chapter):
    return page.locator(f'#matrix [data-chapter="{chapter}"]')


def status_row(page, chapter):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=chapter, exact=True))


def test_negotiator_records_a_meeting_outcome_and_sees_the_dashboard_change(
    page, live_server, assert_accessible
):
    agreement = scenario(rounds=1, open_points=False)
    person(
        "sok",
        agreement,
        Role.NEGOTIATOR,
        party_code="KHM",
        groups=["ROO", "CPTF"],
        first_name="Sok",
        last_name="Dara",
    )

    sign_in(page, live_server, "sok", PASSWORD)
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement.name)
    expect(cell(page, "Rules of Origin")).to_have_attribute("data-status", "under_negotiation")
    expect(page.locator('[data-figure="contested"]')).to_have_text("0 contested")
    assert_accessible(page)

    # Dashboard → round 2 → its plenary → the outcome screen.
    subnav = page.get_by_role("navigation", name="This agreement")
    subnav.get_by_role("link", name="Round 2").click()
    page.get_by_role("link", name=ROUND_TWO).click()
    page.get_by_role("link", name="Record the outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Outcome of {ROUND_TWO}")
    assert_accessible(page)

    page.get_by_label("Note for every status change").fill("As reported after the second round.")
    for chapter in ["Rules of Origin", "Customs Procedures and Trade Facilitation"]:
        status_row(page, chapter).get_by_label("New status").select_option(
            label="Agreed in principle"
        )
    expect(status_row(page, "Product-Specific Rules").get_by_label("New status")).to_have_value("")

    new_point = page.get_by_role("group", name="New point 1")
    new_point.get_by_label("Chapter").select_option(label="Rules of Origin")
    new_point.get_by_label("Point").fill(POINT)
    new_point.get_by_label("Target date").fill("2020-05-15")
    # One position to start with; the second is added in place, for the party chosen by name.
    first = new_point.get_by_role("group", name="Position 1")
    first.get_by_label("Party").select_option(label="Cambodia")
    first.get_by_label("Position").fill("Regional value content of 40%.")
    new_point.get_by_role("button", name="Add another position").click()
    second = new_point.get_by_role("group", name="Position 2")
    expect(second.get_by_label("Party")).to_be_focused()
    second.get_by_label("Party").select_option(label="China")
    second.get_by_label("Position").fill("Change of tariff heading.")
    # Both parties have their row: no third is offered.
    expect(new_point.get_by_role("button", name="Add another position")).to_have_count(0)

    # A second commitment row, added in place, is the one filled in.
    page.get_by_role("button", name="Add a commitment").click()
    expect(page.locator("#commitments-rows tr")).to_have_count(2)
    commitment = page.locator("#commitments-rows tr").nth(1)
    commitment.get_by_label("Party").select_option(label="Cambodia")
    commitment.get_by_label("Commitment").fill(COMMITMENT)
    commitment.get_by_label("Owner").select_option(label="Sok Dara")
    commitment.get_by_label("Due on").fill("2020-05-15")
    page.get_by_role("button", name="Save the outcome").click()

    expect(page.get_by_text("Outcome saved: 2 status changes")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND_TWO)
    moves = page.locator("#outcome-status li")
    expect(moves).to_have_count(2)
    expect(moves.first).to_contain_text("Under negotiation → Agreed in principle")
    expect(page.locator("#outcome-points")).to_contain_text(POINT)
    expect(page.locator("#outcome-commitments")).to_contain_text(COMMITMENT)
    assert_accessible(page)

    page.get_by_role("link", name=agreement.name).click()
    expect(cell(page, "Rules of Origin")).to_have_attribute("data-status", "agreed_in_principle")
    expect(cell(page, "Rules of Origin")).to_contain_text("contested")
    expect(cell(page, "Customs Procedures and Trade Facilitation")).to_have_attribute(
        "data-status", "agreed_in_principle"
    )
    expect(cell(page, "Product-Specific Rules")).to_have_attribute(
        "data-status", "under_negotiation"
    )
    expect(page.locator('[data-figure="contested"]')).to_have_text("1 contested")
    expect(page.locator("#open-points")).to_contain_text(POINT)
    expect(page.locator("#overdue-commitments")).to_contain_text(COMMITMENT)
    assert_accessible(page)

    point = ContestedPoint.objects.get(title=POINT)
    assert {p.party.code: p.text for p in point.positions.select_related("party")} == {
        "KHM": "Regional value content of 40%.",
        "CHN": "Change of tariff heading.",
    }
    assert Commitment.objects.get(text=COMMITMENT).owner.username == "sok"
    assert Chapter.objects.get(title="Rules of Origin").status_changes.last().note == (
        "As reported after the second round."
    )
