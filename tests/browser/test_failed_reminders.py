"""The secretariat finds the reminders that could not be delivered, on a phone, a tablet and a
desktop screen, and sends one again; the page reads in Khmer and Chinese too."""

import datetime as dt
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from negotiations.choices import Role
from reminders.choices import ReminderKind, ReminderStatus
from reminders.models import Reminder
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    CommitmentFactory,
    DeadlineFactory,
    MeetingFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOMENT = dt.datetime(2026, 6, 8, 2, tzinfo=dt.UTC)


@pytest.fixture
def failed_reminders():
    """A secretariat with failed and unsent reminders of each kind in their agreement."""
    agreement = AgreementFactory(
        name="Cambodia–China Free Trade Agreement", short_name="CCFTA", slug="ccfta"
    )
    person("secretariat", agreement, Role.SECRETARIAT, first_name="Chan", last_name="Thida")
    sok = person("sok", agreement, Role.NEGOTIATOR, first_name="Sok", last_name="Dara")
    li = person("li", agreement, Role.NEGOTIATOR, first_name="Li", last_name="Wei")
    meeting = MeetingFactory(
        agreement=agreement, title="Rules of Origin working group — video conference"
    )
    deadline = DeadlineFactory(agreement=agreement, title="Exchange of revised tariff offers")
    commitment = CommitmentFactory(
        meeting=meeting,
        text="China circulates its draft product-specific rules before the next round",
    )
    rows = [
        (sok, ReminderKind.MEETING, meeting.pk, 7, ReminderStatus.FAILED, "550 5.1.1 no mailbox"),
        (li, ReminderKind.DEADLINE, deadline.pk, -1, ReminderStatus.SKIPPED, "deadline passed"),
        (li, ReminderKind.COMMITMENT, commitment.pk, 0, ReminderStatus.FAILED, "451 try later"),
    ]
    for recipient, kind, target_id, offset, status, note in rows:
        Reminder.objects.create(
            agreement=agreement,
            recipient=recipient,
            kind=kind,
            target_id=target_id,
            offset_days=offset,
            target_at=MOMENT,
            due_at=MOMENT,
            send_after=MOMENT,
            status=status,
            attempts=8 if status == ReminderStatus.FAILED else 0,
            note=note,
        )
    return Reminder.objects.get(recipient=sok)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_secretariat_sends_a_failed_reminder_again_on_any_screen(
    page, live_server, failed_reminders, assert_accessible
):
    sign_in(page, live_server, "secretariat", PASSWORD)
    page.get_by_role("link", name="Failed reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders that need attention")

    for width in (390, 768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        expect(page.get_by_role("cell", name=re.compile("550 5.1.1 no mailbox"))).to_be_visible()
        assert fits_the_screen(page), f"wider than the screen at {width}px"
        assert_accessible(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"failed-reminders-{width}.png", full_page=True)

    page.get_by_role("checkbox", name=re.compile("Sok Dara")).check()
    page.get_by_role("button", name="Send the ticked reminders again").click()

    expect(page.get_by_role("status")).to_have_text(
        "1 reminder will be sent again within a minute."
    )
    expect(page.get_by_role("checkbox")).to_have_count(2)
    assert fits_the_screen(page)
    assert_accessible(page)
    failed_reminders.refresh_from_db()
    assert (failed_reminders.status, failed_reminders.attempts) == (ReminderStatus.PENDING, 0)


@pytest.mark.parametrize("language", ["km", "zh-hans"])
def test_the_page_in_khmer_and_chinese(
    page, live_server, failed_reminders, assert_accessible, language
):
    sign_in(page, live_server, "secretariat", PASSWORD)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/reminders/failed/")

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("checkbox")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"failed-reminders-{language}.png", full_page=True)
    assert_accessible(page)
    assert fits_the_screen(page), f"wider than a phone's screen in {language}"
