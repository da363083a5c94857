"""A chief negotiator in Beijing is reminded of a plenary held in Phnom Penh, through a real
SMTP server; the link in the email, followed after signing in, opens the meeting's page, which
says the meeting's time in the very words of the email, and fits a phone's width."""

import datetime as dt
import io
import re
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from negotiations.choices import MeetingKind, Role
from tests.browser.conftest import ARTIFACTS, fill_sign_in
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    MeetingFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHNOM_PENH = zoneinfo.ZoneInfo("Asia/Phnom_Penh")
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
MEETING = "Round 4 — plenary"


def next_nine_in_phnom_penh(now: dt.datetime) -> dt.datetime:
    """The next 09:00 in Phnom Penh: within a day, so the day-before reminder is due now."""
    local = now.astimezone(PHNOM_PENH)
    nine = dt.datetime.combine(local.date(), dt.time(9), tzinfo=PHNOM_PENH)
    if nine <= local:
        nine += dt.timedelta(days=1)
    return nine.astimezone(dt.UTC)


def test_a_chief_negotiator_in_beijing_reads_the_time_the_email_gave(page, live_server, inbox):
    cambodia = PartyFactory(code="KHM", name="Cambodia", capital_time_zone="Asia/Phnom_Penh")
    china = PartyFactory(code="CHN", name="China", capital_time_zone="Asia/Shanghai")
    agreement = AgreementFactory(
        name="Cambodia–China FTA", short_name="CCFTA", parties=[cambodia, china]
    )
    chief = UserFactory(username="wang", time_zone="Asia/Shanghai", language="en")
    RoleAssignmentFactory(user=chief, agreement=agreement, role=Role.CHIEF_NEGOTIATOR, party=china)
    starts_at = next_nine_in_phnom_penh(timezone.now())
    meeting = MeetingFactory(
        agreement=agreement,
        kind=MeetingKind.ROUND_PLENARY,
        title=MEETING,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        time_zone="Asia/Phnom_Penh",
        location="Peace Palace, Phnom Penh",
    )

    call_command("send_due_reminders", stdout=io.StringIO())

    (message,) = [m for m in inbox.messages if m["To"].addresses[0].username == "wang"]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    when = re.search(r"^Starts in [^:\n]*: (.+)$", text, re.MULTILINE).group(1)
    link = re.search(r"^Open in the tracker: (\S+)$", text, re.MULTILINE).group(1)
    assert link == f"{live_server.url}{meeting.get_absolute_url()}"
    # What the email said: 09:00–12:00 on the meeting's clock, and in Beijing an hour later.
    clocks = when.split(" · ")
    in_phnom_penh, yours = clocks[0], next(c for c in clocks if "your time" in c)
    beijing_start, beijing_end = starts_at.astimezone(BEIJING), meeting.ends_at.astimezone(BEIJING)
    assert in_phnom_penh.endswith(", 09:00–12:00 Phnom Penh (UTC+7)")
    assert yours == (f"{beijing_start:%H:%M}–{beijing_end:%H:%M} your time (Beijing, UTC+8)")
    assert yours == "10:00–13:00 your time (Beijing, UTC+8)"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    fill_sign_in(page, "wang", PASSWORD)

    assert page.url == link
    expect(page.get_by_role("heading", level=1)).to_have_text(MEETING)
    shown = page.locator(".page-header time").first
    expect(shown).to_be_visible()
    on_page = " ".join(shown.text_content().split())
    assert on_page == when
    assert in_phnom_penh in on_page
    assert yours in on_page
    # The meeting's moment, for machines: the same instant the email announced.
    assert dt.datetime.fromisoformat(shown.get_attribute("datetime")) == starts_at

    (ARTIFACTS / "meetings").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "meetings" / "beijing-journey-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the meeting's page scrolls sideways at 390 px"
    )
