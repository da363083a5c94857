"""What a person chooses on their profile is what their next reminder speaks: the language it
is written in and the clock "your time" is."""

import datetime as dt
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext

from negotiations.choices import Role
from reminders import services
from tests.factories import (
    AgreementFactory,
    MeetingFactory,
    MembershipFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

# The loopback SMTP server the reminder tests send to.
from tests.reminders.conftest import sink, smtp_server  # noqa: F401  (fixtures used below)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Tue 9 June 2026, 09:00–11:00 in Phnom Penh (UTC+7): 11:00–13:00 in Tokyo (UTC+9).
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
PROFILE = "/profile/"


@pytest.fixture
def sok(db):
    """A Cambodian negotiator of the Rules of Origin group, reading English in Phnom Penh."""
    cambodia = PartyFactory(code="KHM", name="Cambodia", capital_time_zone="Asia/Phnom_Penh")
    china = PartyFactory(code="CHN", name="China", capital_time_zone="Asia/Shanghai")
    agreement = AgreementFactory(
        name="Cambodia–China FTA", short_name="CCFTA", slug="ccfta", parties=[cambodia, china]
    )
    group = WorkingGroupFactory(agreement=agreement, name="Rules of Origin", code="ROO")
    user = UserFactory(username="sok", language="en", time_zone="Asia/Phnom_Penh")
    RoleAssignmentFactory(user=user, agreement=agreement, role=Role.NEGOTIATOR, party=cambodia)
    MembershipFactory(working_group=group, user=user, party=cambodia)
    meeting = MeetingFactory(
        agreement=agreement,
        title="Rules of Origin working group",
        starts_at=MEETING_AT,
        ends_at=MEETING_AT + dt.timedelta(hours=2),
        time_zone="Asia/Phnom_Penh",
    )
    meeting.working_groups.add(group)
    return user


def run(now):
    """One scan and the sending of what it found, as the worker does it."""
    for ids in services.scan(now=now):
        services.send_reminders(reminder_ids=ids, now=now)


def choose_on_profile(client, user, **choices):
    """Open the profile page and save it with these choices, as the browser posts it."""
    client.force_login(user)
    page = client.get(PROFILE).content.decode()
    seen = re.search(r'<input type="hidden" name="seen" value="([^"]*)"', page)
    assert seen, "the profile form carries the fingerprint of what it showed"
    response = client.post(PROFILE, {"action": "profile", "seen": seen.group(1), **choices})
    assert response.status_code == 302, response.content.decode()


def bodies(message):
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


def test_the_next_reminder_comes_in_the_language_and_zone_chosen_on_the_profile(
    client,
    sok,
    sink,  # noqa: F811
):
    run(MEETING_AT - dt.timedelta(days=7))
    (before,) = sink.messages
    assert before["Subject"].endswith("in 7 days, Tue 9 Jun, 09:00 Phnom Penh (UTC+7)")
    sink.reset()

    choose_on_profile(client, sok, language="zh-hans", time_zone="Asia/Tokyo")
    run(MEETING_AT - dt.timedelta(days=1))

    (message,) = sink.messages
    text, html = bodies(message)
    with translation.override("zh-hans"):
        tokyo = gettext("%(place)s, %(offset)s") % {"place": gettext("Tokyo"), "offset": "UTC+9"}
        hours = pgettext("from an hour to another", "%(start)s–%(end)s") % {
            "start": "11:00",
            "end": "13:00",
        }
        yours = gettext("%(when)s your time (%(clock)s)")
        your_hours = yours % {"when": hours, "clock": tokyo}
        your_start = yours % {"when": "11:00", "clock": tokyo}
        footer = gettext("Each time names its clock; “your time” is %(zone)s.") % {"zone": tokyo}
        dear = gettext("Dear %(name)s,") % {"name": sok}
        product = gettext("Negotiation tracker")
    assert "Tokyo" not in tokyo  # the catalogue does translate these
    # In Chinese: the weekday ("Tuesday" is 星期二), the greeting, the product's band.
    assert "星期二" in message["Subject"]
    assert "星期二" in text
    assert "星期二" in html
    assert dear in text
    assert product in html
    assert '<html lang="zh-hans">' in html
    # On the Tokyo clock: the reader's hours beside the meeting's own, and the footer says so.
    assert your_start in message["Subject"]
    assert your_hours in text
    assert your_hours in html
    assert footer in text
    assert footer in html
    assert "Phnom Penh" not in footer
