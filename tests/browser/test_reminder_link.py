"""A reminder goes out through a real SMTP server, and its link, followed while signed out,
leads through the sign-in page to the page it names."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import fill_sign_in, person, scenario
from tests.factories import PASSWORD, MeetingFactory
from workinggroups.models import WorkingGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEETING = "Rules of Origin working group — video conference"


def test_a_reminders_link_opens_its_page_after_sign_in(page, live_server, inbox, assert_accessible):
    agreement = scenario(rounds=2, open_points=True)
    person("sok", agreement, Role.NEGOTIATOR, party_code="KHM", groups=["ROO"])
    starts_at = timezone.now() + dt.timedelta(days=1, minutes=-1)  # the day-before reminder is due
    meeting = MeetingFactory(
        agreement=agreement,
        title=MEETING,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        time_zone="Asia/Phnom_Penh",
        video_link="https://video.example.org/roo",
    )
    meeting.working_groups.add(WorkingGroup.objects.get(agreement=agreement, code="ROO"))

    call_command("send_due_reminders", stdout=io.StringIO())

    (message,) = [m for m in inbox.messages if m["To"].addresses[0].username == "sok"]
    assert message["Subject"].startswith(f"{MEETING} in 1 day")
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"Open in the tracker: (\S+)", text).group(1)
    assert link == f"{live_server.url}/meetings/{meeting.pk}/"

    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert MEETING not in page.content()
    assert_accessible(page)

    fill_sign_in(page, "sok", PASSWORD)

    assert page.url == link
    expect(page.get_by_role("heading", level=1)).to_have_text(MEETING)
    expect(page.get_by_role("link", name="video link")).to_have_attribute(
        "href", "https://video.example.org/roo"
    )
    assert_accessible(page)
