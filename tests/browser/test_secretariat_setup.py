"""A secretariat officer, without the staff flag, opens an agreement through the product's own
pages and reshapes its structure; every setup page fits a phone, a tablet and a laptop, passes
axe, and the workspace reads in Khmer and Chinese."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Agreement
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, PartyFactory, RoleAssignmentFactory, UserFactory
from workinggroups.models import Chapter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 768, 1366]
PAGES = ["new", "workspace", "settings", "parties", "structure"]


@pytest.fixture
def officer(db):
    """Serves as secretariat of another negotiation already; no staff flag."""
    user = UserFactory(username="sophea", first_name="Sophea", last_name="Chan", is_staff=False)
    RoleAssignmentFactory(user=user, role=Role.SECRETARIAT)
    PartyFactory(code="KHM", name="Cambodia", capital_time_zone="Asia/Phnom_Penh")
    return user


def fits_the_width(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"secretariat-{name}.png", full_page=True)


def open_agreement(page, live_server):
    """Fill in the new-agreement page: one existing party, two new ones, the standard set."""
    page.goto(f"{live_server.url}/agreements/new/")
    page.locator("#id_name").fill("Mekong Economic Partnership")
    page.get_by_label("Short name").fill("MEP")
    page.get_by_label("Kind").select_option(label="Plurilateral")
    page.locator("#id_parties-0-party").select_option(label="Cambodia (KHM)")
    page.locator("#id_parties-0-head_name").fill("H.E. Sok Siphana")
    page.locator("#id_parties-1-new_name").fill("Laos")
    page.locator("#id_parties-1-new_code").fill("LAO")
    page.locator("#id_parties-1-new_time_zone").select_option("Asia/Vientiane")

    page.get_by_role("button", name="Add another party").click()

    # The page came back with a third row, and everything typed so far.
    expect(page.locator("#id_parties-2-new_name")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("Mekong Economic Partnership")
    expect(page.locator("#id_parties-0-head_name")).to_have_value("H.E. Sok Siphana")
    expect(page.locator("#id_parties-1-new_code")).to_have_value("LAO")
    page.locator("#id_parties-2-new_name").fill("Thailand")
    page.locator("#id_parties-2-new_code").fill("THA")
    page.locator("#id_parties-2-new_time_zone").select_option("Asia/Bangkok")
    expect(page.get_by_label("The standard set of FTA chapters")).to_be_checked()

    page.get_by_role("button", name="Open the agreement").click()


def test_a_secretariat_opens_an_agreement_and_moves_a_chapter(
    page, live_server, officer, assert_accessible
):
    sign_in(page, live_server, "sophea", PASSWORD)
    open_agreement(page, live_server)

    expect(page.get_by_role("heading", level=1)).to_have_text("Mekong Economic Partnership")
    expect(page.get_by_role("status")).to_contain_text("you are its secretariat")
    expect(page.locator("[data-figure=parties]")).to_have_text("3 parties at the table")
    expect(page.locator("[data-figure=chapters]")).to_have_text("20 chapters")
    agreement = Agreement.objects.get(short_name="MEP")
    assert page.url.endswith(f"/agreements/{agreement.slug}/manage/")
    assert sorted(agreement.parties.values_list("code", flat=True)) == ["KHM", "LAO", "THA"]
    assert_accessible(page)

    page.get_by_role("navigation", name="Manage this agreement").get_by_role(
        "link", name="Structure"
    ).click()
    chapter = Chapter.objects.get(working_group__agreement=agreement, title="Electronic Commerce")
    row = page.locator(f"#chapter-{chapter.pk}")
    row.get_by_label("Working group to move Electronic Commerce to").select_option(
        label="Trade in Services (TIS)"
    )
    row.get_by_role("button", name="Move Electronic Commerce", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(
        "Electronic Commerce moved to Trade in Services."
    )
    services = page.get_by_role("region", name="Trade in Services (TIS)")
    expect(services.locator(f"#chapter-{chapter.pk}")).to_contain_text("Electronic Commerce")
    chapter.refresh_from_db()
    assert chapter.working_group.code == "TIS"
    assert_accessible(page)
    officer.refresh_from_db()
    assert not officer.is_staff


@pytest.fixture
def opened(officer):
    """An agreement the officer opened, with its standard chapters."""
    from negotiations.services import create_agreement, create_party

    parties = [
        {"party": create_party(name=name, code=code, capital_time_zone=zone)}
        for name, code, zone in [
            ("Laos", "LAO", "Asia/Vientiane"),
            ("Thailand", "THA", "Asia/Bangkok"),
            ("Viet Nam", "VNM", "Asia/Ho_Chi_Minh"),
        ]
    ]
    return create_agreement(
        by=officer,
        name="Mekong Economic Partnership",
        short_name="MEP",
        kind="plurilateral",
        parties=parties,
    )


def url_of(name, agreement):
    return {
        "new": "/agreements/new/",
        "workspace": f"/agreements/{agreement.slug}/manage/",
        "settings": f"/agreements/{agreement.slug}/settings/",
        "parties": f"/agreements/{agreement.slug}/parties/",
        "structure": f"/agreements/{agreement.slug}/structure/",
    }[name]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_setup_page_fits_the_screen_and_passes_axe(
    page, live_server, opened, width, assert_accessible
):
    sign_in(page, live_server, "sophea", PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    for name in PAGES:
        page.goto(f"{live_server.url}{url_of(name, opened)}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, f"{name}-{width}")
        assert fits_the_width(page), f"{name} is wider than {width}px"
        assert_accessible(page)


def test_a_refused_new_agreement_fits_and_passes_axe(page, live_server, opened, assert_accessible):
    """The error summary, and the fields it links to."""
    sign_in(page, live_server, "sophea", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/agreements/new/")
    page.locator("#id_name").fill("Mekong Economic Partnership")
    page.locator("#id_parties-0-new_name").fill("Laos again")
    page.locator("#id_parties-0-new_code").fill("LAO")
    page.locator("#id_parties-0-new_time_zone").select_option("Asia/Vientiane")
    page.get_by_role("button", name="Open the agreement").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("An agreement of this name already exists.")
    expect(summary).to_contain_text("Laos (LAO) already has this code")
    summary.get_by_role("link", name="Short name: This field is required.").click()
    expect(page.get_by_label("Short name")).to_be_in_viewport()
    expect(page.locator("#id_parties-0-new_name")).to_have_value("Laos again")
    screenshot(page, "new-refused-390")
    assert fits_the_width(page)
    assert_accessible(page)


@pytest.mark.parametrize("language", ["km", "zh-hans"])
def test_the_workspace_in_khmer_and_chinese(page, live_server, opened, language, assert_accessible):
    sign_in(page, live_server, "sophea", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}{url_of('workspace', opened)}")
    assert page.get_attribute("html", "lang") == language
    expect(page.get_by_role("heading", level=1)).to_have_text("Mekong Economic Partnership")
    screenshot(page, f"workspace-{language}")
    assert fits_the_width(page)
    assert_accessible(page)
