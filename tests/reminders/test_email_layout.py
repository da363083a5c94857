"""The reminder and invitation emails look like the product: its header band, one column a phone
can read, a button to the very item, the agreement's full name, and nothing that does not apply;
the plain-text part says the same."""

import datetime as dt
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from accounts.tasks import build_invitation
from negotiations.choices import Role
from reminders import links, services
from reminders.choices import Delivery
from reminders.models import LeadTimes
from tests.factories import (
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    DeadlineFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.reminders.conftest import ROOT, make_meeting

UTC = dt.UTC
# Tue 9 June 2026, 09:00 in Phnom Penh (UTC+7), 10:00 in Beijing (UTC+8).
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
ONE_DAY_BEFORE = MEETING_AT - dt.timedelta(days=1)
BAND = "#1d4f91"
FULL_NAME = "Cambodia–China FTA"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.django_db


def run(now):
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def to(sink, username):
    (message,) = [m for m in sink.messages if m["To"].addresses[0].username == username]
    return message


def text_and_html(message):
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


class Email(HTMLParser):
    """What a reader's email program is given: every tag with its attributes, the text of each
    table cell, and each link with its text and the cell around it."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.cells, self.links = [], [], []
        self._cells, self._link = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "td":
            self._cells.append({"attrs": attrs, "text": ""})
            self.cells.append(self._cells[-1])
        elif tag == "a":
            cell = self._cells[-1]["attrs"] if self._cells else {}
            self._link = {**attrs, "text": "", "cell": cell}
            self.links.append(self._link)

    def handle_endtag(self, tag):
        if tag == "td" and self._cells:
            self._cells.pop()
        elif tag == "a":
            self._link = None

    def handle_data(self, data):
        if self._cells:
            self._cells[-1]["text"] += data
        if self._link is not None:
            self._link["text"] += data

    def buttons(self):
        """Links drawn as buttons: a block link filling a cell of the band's colour."""
        return [
            link
            for link in self.links
            if "display: inline-block" in link.get("style", "")
            and link["cell"].get("bgcolor") == BAND
        ]


def assert_layout(html, language="en"):
    """The product's frame, built as email programs (Outlook included) need it."""
    email = Email(html)
    with translation.override(language):
        product = gettext("Negotiation tracker")
    # The band comes first; the other cells of its colour are buttons.
    band = next(cell for cell in email.cells if cell["attrs"].get("bgcolor") == BAND)
    assert band["text"].strip() == product
    assert f"background-color: {BAND}" in band["attrs"]["style"]
    assert "'Noto Sans', 'Noto Sans Khmer', 'Noto Sans SC'" in band["attrs"]["style"]
    # One column, at most 600px wide, laid out by tables.
    assert any("max-width: 600px" in attrs.get("style", "") for tag, attrs in email.tags)
    tables = [attrs for tag, attrs in email.tags if tag == "table"]
    assert tables
    assert all(attrs.get("role") == "presentation" for attrs in tables)
    # Every style inline: no style sheet (Outlook's font hint is in a comment only it reads),
    # no classes, nothing fetched.
    assert not [tag for tag, _ in email.tags if tag in ("style", "link", "script", "img")]
    assert not [attrs for _, attrs in email.tags if "class" in attrs]
    assert f'<html lang="{language}">' in html
    return email


def test_a_meeting_reminder_wears_the_layout_with_every_fact_and_a_button_to_the_meeting(fta, sink):
    meeting = make_meeting(fta, MEETING_AT, location="Peace Palace, Phnom Penh")

    run(ONE_DAY_BEFORE)

    text, html = text_and_html(to(sink, "sok"))
    email = assert_layout(html)
    url = links.meeting_url(meeting)
    (button,) = email.buttons()
    assert (button["href"], button["text"]) == (url, "Open in the tracker")
    # The agreement by its full name, the working group beside it; the short name nowhere.
    assert f"{FULL_NAME} — Rules of Origin" in html
    assert f"{FULL_NAME} — Rules of Origin" in text
    assert "CCFTA" not in html
    assert "CCFTA" not in text
    # The same facts in both parts: the meeting's own clock, each party's, place and link.
    when = "Tue 9 Jun, 09:00–11:00 Phnom Penh (UTC+7) · 02:00–04:00 UTC"
    assert f"Starts in 1 day: {when}" in html
    assert f"Starts in 1 day: {when}" in text
    for party, local in [("Cambodia", "09:00 Phnom Penh (UTC+7)"), ("China", "10:00 Beijing")]:
        assert party in html
        assert local in html
        assert f"{party}: Tue 9 Jun, {local}" in text
    assert "Place:</span> Peace Palace, Phnom Penh" in html
    assert "Place: Peace Palace, Phnom Penh" in text
    assert '<a href="https://video.example.org/roo"' in html
    assert "Video link: https://video.example.org/roo" in text
    assert f"Open in the tracker: {url}" in text
    # It shows hours, so it says whose clock "your time" is; and where to change what comes.
    assert "“your time” is Phnom Penh, UTC+7." in html
    assert "“your time” is Phnom Penh, UTC+7." in text
    settings_link = [link for link in email.links if link["href"] == links.settings_url()]
    assert settings_link
    assert "daily digest" in settings_link[0]["text"]


def test_a_deadline_only_email_does_not_explain_your_time(fta, sink):
    deadline = DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 6, 10)
    )

    run(dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC))

    text, html = text_and_html(to(sink, "sok"))
    email = assert_layout(html)
    (button,) = email.buttons()
    assert button["href"] == links.deadline_url(deadline)
    assert FULL_NAME in html
    assert FULL_NAME in text
    assert "Due Wed 10 Jun (in 1 day)." in html
    assert "Due Wed 10 Jun (in 1 day)." in text
    for part in (text, html):
        assert "your time" not in part
        assert "Each time names its clock" not in part
        assert "daily digest" in part  # the settings link stays


def test_an_overdue_deadline_says_so_in_red(fta, sink):
    DeadlineFactory(agreement=fta.agreement, working_group=fta.group, due_on=dt.date(2026, 6, 8))

    run(dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC))

    text, html = text_and_html(to(sink, "sok"))
    assert "Was due Mon 8 Jun (1 day ago)." in text
    assert '<p style="margin: 0; color: #a4262c;"><strong>Was due Mon 8 Jun' in html
    assert "your time" not in html


def digest_for_sok(fta, sink, *, with_meeting):
    """Sok's digest at 10:00 in Phnom Penh on 9 June: a deadline due the next day, a commitment
    and a contested point due that day, and (or not) the meeting of 10 June, 09:00 there."""
    LeadTimes.objects.create(agreement=fta.agreement, meeting_days=[1], deadline_days=[1])
    services.set_preference(
        user=fta.sok,
        meetings=Delivery.DIGEST,
        deadlines=Delivery.DIGEST,
        commitments=Delivery.DIGEST,
        contested_points=Delivery.DIGEST,
        digest_hour=10,
    )
    due = dt.date(2026, 6, 9)
    DeadlineFactory(
        agreement=fta.agreement, working_group=fta.group, due_on=due + dt.timedelta(days=1)
    )
    CommitmentFactory(
        meeting=make_meeting(fta, dt.datetime(2026, 5, 1, 2, tzinfo=UTC), title="Round 2"),
        owner=fta.sok,
        due_on=due,
    )
    ContestedPointFactory(
        chapter=ChapterFactory(working_group=fta.group),
        owner=fta.sok,
        opened_on=dt.date(2026, 5, 1),
        target_date=due,
    )
    if with_meeting:
        make_meeting(fta, MEETING_AT + dt.timedelta(days=1))
    # Every hour from just after the digest of 8 June to the digest of 9 June (03:00 UTC).
    moment = dt.datetime(2026, 6, 8, 4, tzinfo=UTC)
    while moment <= dt.datetime(2026, 6, 9, 3, tzinfo=UTC):
        run(moment)
        moment += dt.timedelta(hours=1)
    return to(sink, "sok")


@pytest.mark.parametrize("with_meeting", [False, True])
def test_a_digest_explains_your_time_only_when_it_shows_an_hour(fta, sink, with_meeting):
    message = digest_for_sok(fta, sink, with_meeting=with_meeting)

    text, html = text_and_html(message)
    email = assert_layout(html)
    kinds = ["Deadline", "Commitment", "Contested point"] + (["Meeting"] if with_meeting else [])
    for kind in kinds:
        assert f">{kind}</p>" in html
        assert f"{kind}: " in text
    assert len(email.buttons()) == len(kinds)
    assert text.count("Open in the tracker: https://tracker.example.org/") == len(kinds)
    assert ("your time" in html) is with_meeting
    assert ("your time" in text) is with_meeting


def test_an_escalation_says_who_and_why_and_explains_your_time(fta, sink):
    from workinggroups.services import escalate_contested_point

    point = ContestedPointFactory(
        chapter=ChapterFactory(working_group=fta.group),
        title="Cumulation with ASEAN materials",
        owner=fta.sok,
        target_date=dt.date(2027, 1, 15),
    )
    point = escalate_contested_point(
        point=point, by=fta.sok, note="Needs a political decision.\nBefore the next round."
    )

    run(point.escalated_at)

    text, html = text_and_html(to(sink, "chief"))
    email = assert_layout(html)
    (button,) = email.buttons()
    assert button["href"] == links.contested_point_url(point)
    for part in (text, html):
        assert FULL_NAME in part
        assert "only they can now resolve it" in part
        assert f"Escalated by {fta.sok}." in part
        assert "Target date: Fri 15 Jan 2027." in part
        assert "“your time” is Phnom Penh, UTC+7." in part
    assert "Needs a political decision.<br>Before the next round." in html
    assert "Why: Needs a political decision.\nBefore the next round." in text


def test_notices_show_what_changed_and_a_cancellation(fta, sink):
    meeting = make_meeting(fta, MEETING_AT, location="Peace Palace")
    run(MEETING_AT - dt.timedelta(days=10))
    meeting.starts_at += dt.timedelta(days=1)
    meeting.ends_at += dt.timedelta(days=1)
    meeting.location = "Sokha Hotel"
    meeting.save()
    run(MEETING_AT - dt.timedelta(days=9))

    text, html = text_and_html(to(sink, "sok"))
    assert_layout(html)
    was = "Tue 9 Jun, 09:00–11:00 Phnom Penh (UTC+7) · 02:00–04:00 UTC"
    now = "Wed 10 Jun, 09:00–11:00 Phnom Penh (UTC+7) · 02:00–04:00 UTC"
    for part in (text, html):
        assert f"Time: was {was}; now {now}" in part
        assert "Place: was Peace Palace; now Sokha Hotel" in part
        assert "The attached file updates your calendar." in part
        assert "“your time” is" in part

    sink.reset()
    meeting.is_cancelled = True
    meeting.save()
    run(MEETING_AT - dt.timedelta(days=8))

    text, html = text_and_html(to(sink, "sok"))
    email = assert_layout(html)
    (button,) = email.buttons()
    assert button["href"] == links.meeting_url(meeting)
    for part in (text, html):
        assert f"CANCELLED. It was to be held {now}." in part
        assert "Your calendar entry for it is withdrawn by the attached file." in part
    assert "border-left: 4px solid #a4262c" in html


def test_a_chinese_reader_gets_the_layout_in_chinese(fta, sink):
    make_meeting(fta, MEETING_AT)

    run(ONE_DAY_BEFORE)

    text, html = text_and_html(to(sink, "li"))
    assert_layout(html, language="zh-hans")
    with translation.override("zh-hans"):
        open_label = gettext("Open in the tracker")
    (button,) = Email(html).buttons()
    assert button["text"] == open_label
    assert "星期二" in html
    assert "星期二" in text


def test_the_invitation_wears_the_same_layout(fta, settings):
    settings.SITE_URL = "https://tracker.example.org"
    newcomer = UserFactory(username="dara", password=None)
    RoleAssignmentFactory(
        user=newcomer, agreement=fta.agreement, role=Role.NEGOTIATOR, party=fta.cambodia
    )

    message = build_invitation(user=newcomer, agreement=fta.agreement, invited_by=fta.chief)

    html = message.alternatives[0].content
    email = assert_layout(html)
    (button,) = email.buttons()
    assert button["text"] == "Choose your password"
    assert button["href"].startswith("https://tracker.example.org/accounts/invitation/")
    assert button["href"] in message.body
    assert FULL_NAME in html
    assert FULL_NAME in message.body
    assert "your time" not in html
    assert "reset your password" in html

    added = build_invitation(user=fta.sok, agreement=fta.agreement, added=True)
    email = assert_layout(added.alternatives[0].content)
    (button,) = email.buttons()
    assert button["href"] == links.agreement_url(fta.agreement)
    assert links.settings_url() in [link["href"] for link in email.links]
    assert links.settings_url() in added.body


@pytest.mark.browser
def test_a_reminder_reads_on_a_phone_and_a_desktop(fta, sink):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    make_meeting(fta, MEETING_AT, location="Peace Palace, Phnom Penh")
    run(ONE_DAY_BEFORE)
    _, html = text_and_html(to(sink, "sok"))
    folder = ROOT / "test-artifacts" / "email"
    folder.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in (390, 600):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_content(html)
                page.screenshot(path=folder / f"meeting-reminder-{width}.png", full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                button = page.get_by_role("link", name="Open in the tracker")
                box = button.bounding_box()
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= width
                assert box["height"] >= 36  # a target a thumb can hit
                band = page.get_by_text("Negotiation tracker", exact=True).bounding_box()
                assert band["y"] < box["y"]
                page.close()
        finally:
            browser.close()
