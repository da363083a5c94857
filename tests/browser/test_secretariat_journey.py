"""The whole set-up of an RCEP-sized negotiation, as a secretariat officer does it: fifteen
parties, the standard twenty chapters, six people in six time zones, a round and a meeting, in
the product's own pages, on an account without the staff flag, without ever opening /admin/.
The agreement's dashboard then shows it."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Agreement, Meeting, NegotiationRound, RoleAssignment
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, RoleAssignmentFactory, UserFactory
from workinggroups.models import Chapter, Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTIES = [
    ("Australia", "AUS", "Australia/Sydney"),
    ("Brunei Darussalam", "BRN", "Asia/Brunei"),
    ("Cambodia", "KHM", "Asia/Phnom_Penh"),
    ("China", "CHN", "Asia/Shanghai"),
    ("Indonesia", "IDN", "Asia/Jakarta"),
    ("Japan", "JPN", "Asia/Tokyo"),
    ("Korea", "KOR", "Asia/Seoul"),
    ("Lao PDR", "LAO", "Asia/Vientiane"),
    ("Malaysia", "MYS", "Asia/Kuala_Lumpur"),
    ("Myanmar", "MMR", "Asia/Yangon"),
    ("New Zealand", "NZL", "Pacific/Auckland"),
    ("Philippines", "PHL", "Asia/Manila"),
    ("Singapore", "SGP", "Asia/Singapore"),
    ("Thailand", "THA", "Asia/Bangkok"),
    ("Viet Nam", "VNM", "Asia/Ho_Chi_Minh"),
]
# (email, first, last, role label, party, working groups, time zone): six zones, one a
# half-hour zone (Yangon, UTC+6:30) and two under daylight saving (Sydney, Auckland).
PEOPLE = [
    ("sok.dara@mfa.gov.kh", "Dara", "Sok", "Chief negotiator", "Cambodia", [], "Asia/Phnom_Penh"),
    ("li.wei@mofcom.gov.cn", "Wei", "Li", "Chief negotiator", "China", [], "Asia/Shanghai"),
    ("aung.kyaw@commerce.gov.mm", "Kyaw", "Aung", "Negotiator", "Myanmar",
     ["Rules of Origin (ROO)"], "Asia/Yangon"),
    ("sato.yuki@meti.go.jp", "Yuki", "Sato", "Negotiator", "Japan",
     ["Rules of Origin (ROO)", "Trade in Services (TIS)"], "Asia/Tokyo"),
    ("j.smith@dfat.gov.au", "Jane", "Smith", "Official", "Australia", [], "Australia/Sydney"),
    ("t.ngata@mfat.govt.nz", "Tama", "Ngata", "Negotiator", "New Zealand",
     ["Trade in Services (TIS)"], "Pacific/Auckland"),
]  # fmt: skip
NAME = "Regional Comprehensive Economic Partnership"
MEETING = "Rules of Origin and Services intersessional"


@pytest.fixture
def officer(settings):
    """A secretariat officer of an earlier negotiation, in Phnom Penh, without the staff flag;
    invitations are sent as soon as they are queued."""
    from config.celery import app

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    user = UserFactory(
        username="sophea",
        first_name="Sophea",
        last_name="Chan",
        time_zone="Asia/Phnom_Penh",
        is_staff=False,
    )
    RoleAssignmentFactory(user=user, role=Role.SECRETARIAT)
    mail.outbox = []
    yield user
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def never_the_admin(page):
    """Every address the browser asks for, to prove none was the administration site's."""
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


def test_a_secretariat_sets_up_a_fifteen_party_agreement_without_the_admin(
    page, live_server, officer, assert_accessible
):
    asked = never_the_admin(page)
    sign_in(page, live_server, "sophea", PASSWORD)

    # 1. The agreement, its fifteen parties and the standard chapters: one page.
    page.get_by_role("link", name="New agreement").click()
    page.locator("#id_name").fill(NAME)
    page.get_by_label("Short name").fill("RCEP")
    page.get_by_label("Kind").select_option(label="Plurilateral")
    page.get_by_label("Launched on").fill("2012-11-20")
    for index, (name, code, zone) in enumerate(PARTIES):
        if not page.locator(f"#id_parties-{index}-new_name").count():
            page.get_by_role("button", name="Add another party").click()
        page.locator(f"#id_parties-{index}-new_name").fill(name)
        page.locator(f"#id_parties-{index}-new_code").fill(code)
        page.locator(f"#id_parties-{index}-new_time_zone").select_option(zone)
    expect(page.locator("#id_name")).to_have_value(NAME)  # kept across the added rows
    expect(page.get_by_label("The standard set of FTA chapters")).to_be_checked()
    page.get_by_role("button", name="Open the agreement").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.locator("[data-figure=parties]")).to_have_text("15 parties at the table")
    expect(page.locator("[data-figure=chapters]")).to_have_text("20 chapters")
    agreement = Agreement.objects.get(short_name="RCEP")
    assert RoleAssignment.objects.get(agreement=agreement, user=officer).role == Role.SECRETARIAT

    # 2. Six people in six time zones, each with a role, a party and working groups.
    page.goto(f"{live_server.url}/agreements/{agreement.slug}/people/")
    for email, first, last, role, party, groups, zone in PEOPLE:
        form = page.locator("#invite")
        form.get_by_label("Email address").fill(email)
        form.get_by_label("First name").fill(first)
        form.get_by_label("Last name").fill(last)
        form.get_by_label("Role").select_option(label=role)
        form.get_by_label("Party").select_option(label=party)
        for group in groups:
            form.get_by_label(group).check()
        form.get_by_label("Time zone").select_option(zone)
        form.get_by_role("button", name="Invite").click()
        expect(page.get_by_role("status")).to_contain_text(f"{first} {last}")
    people = RoleAssignment.objects.filter(agreement=agreement).exclude(user=officer)
    assert sorted(people.values_list("user__time_zone", flat=True)) == sorted(
        person[-1] for person in PEOPLE
    )
    assert Membership.objects.filter(working_group__agreement=agreement).count() == 4
    assert len(mail.outbox) == 6  # one invitation each
    assert_accessible(page)

    # 3. A round, and a two-day meeting of two groups typed on Brunei's clock from Phnom Penh.
    start = timezone.localdate() + dt.timedelta(days=10)
    page.goto(f"{live_server.url}/agreements/{agreement.slug}/manage/")
    page.get_by_role("link", name="New round").click()
    page.get_by_label("Starts on").fill(start.isoformat())
    page.get_by_label("Ends on").fill((start + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Mode").select_option(label="In person")
    page.get_by_label("Host").select_option(label="Brunei Darussalam")
    page.get_by_label("Place").fill("Bandar Seri Begawan")
    page.get_by_role("button", name="Save round").click()
    expect(page.get_by_text("Round 1 saved.")).to_be_visible()
    first_round = NegotiationRound.objects.get(agreement=agreement, number=1)

    page.goto(f"{live_server.url}/agreements/{agreement.slug}/manage/")
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Kind").select_option(label="Intersessional")
    page.get_by_label("Title").fill(MEETING)
    page.get_by_label("Round").select_option(str(first_round.pk))
    page.get_by_label("Host").select_option(label="Brunei Darussalam")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End date").fill((start + dt.timedelta(days=1)).isoformat())
    page.get_by_label("End time").fill("17:00")
    page.get_by_label("Rules of Origin (ROO)").check()
    page.get_by_label("Trade in Services (TIS)").check()
    page.get_by_role("button", name="Save meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MEETING)
    meeting = Meeting.objects.get(agreement=agreement, title=MEETING)
    # The host's capital's zone, without choosing one; 09:00 in Brunei is 01:00 UTC.
    assert meeting.time_zone == "Asia/Brunei"
    assert meeting.starts_at == dt.datetime.combine(start, dt.time(1, 0), tzinfo=dt.UTC)
    assert sorted(g.code for g in meeting.working_groups.all()) == ["ROO", "TIS"]

    # 4. The dashboard shows it all.
    page.goto(f"{live_server.url}/dashboard/{agreement.slug}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(page.locator("main")).to_contain_text(MEETING)
    expect(page.locator("main")).to_contain_text(re.compile(r"\b20 chapters\b"))
    assert Chapter.objects.filter(working_group__agreement=agreement).count() == 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "journey-rcep-dashboard.png", full_page=True)

    assert not [url for url in asked if "/admin/" in url]
    officer.refresh_from_db()
    assert not officer.is_staff
