"""The secretariat keeps the calendar in the product's own pages: a round, then a two-day
meeting in Brunei's time typed from Phnom Penh, then a commitment edited on its own page; every
page fits a phone, a tablet and a desktop, and reads in Khmer and Chinese."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Commitment, Meeting, NegotiationRound
from tests.browser.conftest import ARTIFACTS, person, scenario, sign_in
from tests.factories import PASSWORD, CommitmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 768, 1366)
MEETING = "Rules of Origin and Customs intersessional"
CUSTOMS = "Customs Procedures and Trade Facilitation"
COMMITMENT = "Send China the list of product-specific rules still in brackets."


def fits(page):
    """Nothing pushes the page wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def at_every_width(page, name, assert_accessible=None):
    """The page as it stands, at each width: no sideways scroll, a screenshot each, and (where
    asked) no serious accessibility violation."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), f"{name} scrolls sideways at {width}px"
        page.screenshot(path=ARTIFACTS / f"schedule-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    if assert_accessible is not None:
        assert_accessible(page)


@pytest.fixture
def secretariat(live_server, page):
    """The Cambodia–China FTA after two rounds, and its secretariat officer in Phnom Penh
    (no staff flag), signed in, with a commitment made at the second round's plenary."""
    agreement = scenario(rounds=2, open_points=False)
    user = person("sophea", agreement, Role.SECRETARIAT, first_name="Sophea", last_name="Chan")
    assert not user.is_staff
    assert user.time_zone == "Asia/Phnom_Penh"
    plenary = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)
    CommitmentFactory(meeting=plenary, text=COMMITMENT, due_on=dt.date(2020, 5, 15))
    sign_in(page, live_server, "sophea", PASSWORD)
    return agreement


def test_the_secretariat_schedules_a_round_and_a_meeting_and_edits_a_commitment(
    live_server, page, secretariat, assert_accessible
):
    agreement = secretariat
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")

    # A fourth round, numbered for them.
    page.get_by_role("link", name="New round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New round")
    expect(page.get_by_label("Number")).to_have_value("4")
    at_every_width(page, "round-form", assert_accessible)
    page.get_by_label("Starts on").fill("2020-08-17")
    page.get_by_label("Ends on").fill("2020-08-16")
    page.get_by_label("Mode").select_option(label="In person")
    page.get_by_label("Place").fill("Phnom Penh")
    page.get_by_role("button", name="Save round").click()
    # Refused on the fields concerned, what was typed kept.
    expect(page.locator("#id_ends_on_error")).to_have_text(
        "A round ends on or after the day it starts."
    )
    expect(page.locator("#id_host_party_error")).to_have_text(
        "A round held in person needs a host."
    )
    expect(page.get_by_label("Place")).to_have_value("Phnom Penh")
    assert_accessible(page)
    page.get_by_label("Ends on").fill("2020-08-18")
    page.get_by_label("Host").select_option(label="Cambodia")
    page.get_by_role("button", name="Save round").click()
    expect(page.get_by_text("Round 4 saved.")).to_be_visible()
    fourth = NegotiationRound.objects.get(agreement=agreement, number=4)
    assert fourth.host_party.code == "KHM"

    # A two-day meeting of two groups, typed in Brunei's time from Phnom Penh.
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    page.get_by_role("link", name="New meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New meeting")
    at_every_width(page, "meeting-form", assert_accessible)
    page.get_by_label("Kind").select_option(label="Intersessional")
    page.get_by_label("Title").fill(MEETING)
    page.get_by_label("Round").select_option(label="Round 4 (17–18 Aug 2020)")
    page.get_by_label("Time zone").select_option("Asia/Brunei")
    page.get_by_label("Start date").fill("2020-08-17")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End date").fill("2020-08-18")
    page.get_by_label("End time").fill("17:00")
    page.get_by_label("Rules of Origin (ROO)").check()
    page.get_by_label(f"{CUSTOMS} (CPTF)").check()
    page.get_by_role("button", name="Save meeting").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(MEETING)
    header = page.locator(".page-header")
    # On Brunei's clock, then the reader's (Phnom Penh), then UTC; the last day kept.
    expect(header).to_contain_text(
        "Mon 17 Aug 2020, 09:00 – Tue 18 Aug 2020, 17:00 Brunei (UTC+8)"
        " · Mon 17 Aug 2020, 08:00 – Tue 18 Aug 2020, 16:00 your time (Phnom Penh, UTC+7)"
        " · Mon 17 Aug 2020, 01:00 – Tue 18 Aug 2020, 09:00 UTC"
    )
    groups = page.get_by_role("heading", name="Working groups").locator("..")
    expect(groups.get_by_role("link", name="Rules of Origin")).to_be_visible()
    expect(
        groups.get_by_role("link", name="Customs Procedures and Trade Facilitation")
    ).to_be_visible()
    meeting = Meeting.objects.get(title=MEETING)
    assert meeting.starts_at == dt.datetime(2020, 8, 17, 1, 0, tzinfo=dt.UTC)
    assert meeting.ends_at == dt.datetime(2020, 8, 18, 9, 0, tzinfo=dt.UTC)
    assert sorted(g.code for g in meeting.working_groups.all()) == ["CPTF", "ROO"]
    at_every_width(page, "meeting-page", assert_accessible)

    # Shown back on Brunei's clock in the edit form.
    page.get_by_role("link", name="Edit meeting").click()
    expect(page.get_by_label("Start time")).to_have_value("09:00")
    expect(page.get_by_label("End date")).to_have_value("2020-08-18")
    expect(page.get_by_label("Rules of Origin (ROO)")).to_be_checked()

    # The commitment made at the second round: edited on its own page.
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    page.locator("#commitments").get_by_role("link", name=COMMITMENT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Commitment")
    at_every_width(page, "commitment-page", assert_accessible)
    edit = page.locator("#edit")
    edit.get_by_label("Owner").select_option(label="Sophea Chan")
    edit.get_by_label("Chapter").select_option(label="Rules of Origin (ROO)")
    edit.get_by_label("Status").select_option(label="In progress")
    edit.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_text("Commitment saved.")).to_be_visible()
    expect(page.locator("#status-history")).to_contain_text("Pledged → In progress")
    expect(page.locator("#commitment").get_by_role("link", name="Rules of Origin")).to_be_visible()
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.get_by_text("Marked delivered.")).to_be_visible()
    expect(page.locator("#status-history")).to_contain_text("In progress → Delivered")
    assert_accessible(page)
    commitment = Commitment.objects.get(text=COMMITMENT)
    assert (commitment.status, commitment.version, commitment.owner.username) == (
        "delivered",
        3,
        "sophea",
    )

    # The other forms of the calendar fit every screen too.
    for name, path in [
        ("deadline-form", f"/agreements/{agreement.slug}/deadlines/new/"),
        ("commitment-form", f"/agreements/{agreement.slug}/commitments/new/"),
        ("meeting-cancel", f"/meetings/{meeting.pk}/cancel/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        at_every_width(page, name, assert_accessible)


@pytest.mark.parametrize("language", ["km", "zh-hans"])
def test_the_meeting_form_and_commitment_page_in_khmer_and_chinese(
    live_server, page, secretariat, language, assert_accessible
):
    agreement = secretariat
    meeting = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)
    commitment = Commitment.objects.get(text=COMMITMENT)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/edit/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    # Date and time pickers take ISO values whatever the language.
    start = meeting.starts_at.astimezone(meeting.tzinfo)
    expect(page.locator("#id_start_date")).to_have_value(start.date().isoformat())
    expect(page.locator("#id_start_time")).to_have_value(start.strftime("%H:%M"))
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), f"meeting form ({language}) scrolls sideways at {width}px"
    page.screenshot(path=ARTIFACTS / f"schedule-meeting-form-{language}.png", full_page=True)
    assert_accessible(page)

    page.goto(f"{live_server.url}/commitments/{commitment.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_text(COMMITMENT).first).to_be_visible()
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), f"commitment page ({language}) scrolls sideways at {width}px"
    page.screenshot(path=ARTIFACTS / f"schedule-commitment-page-{language}.png", full_page=True)
    assert_accessible(page)
