"""The dashboard says what is true, read as an official reads it aloud: counts as negotiators
speak, the agreement's own status and milestones as of any point, only what was known then."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from negotiations.choices import AgreementStatus, Role
from negotiations.models import AgreementStatusChange
from negotiations.services import update_agreement
from tests.dashboards.test_views import SLUG, section
from tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from workinggroups.models import WorkingGroup

pytestmark = pytest.mark.django_db


def text_of(html):
    """The words of a piece of HTML, as a reader sees them."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).lstrip("> ")


def dashboard(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("dashboards:agreement", args=[SLUG]) + query)
    assert response.status_code == 200
    return response.text


def test_an_agreement_in_force_is_said_to_be_concluded_not_zero_agreed(client, official):
    html = dashboard(client, official)

    headline = text_of(section(html, "headline").split("</p>")[0])
    assert headline.startswith("In force")
    assert "15 of 15 chapters concluded" in headline
    assert "signed Mon 12 Oct 2020" in headline
    assert "in force Sat 1 Jan 2022" in headline
    assert "read only" in headline  # an official changes nothing
    figures = text_of(section(html, "status").split("</p>")[0])
    assert "15 agreed" in figures
    assert "0 agreed" not in figures


def test_as_of_round_two_the_agreement_was_under_negotiation(client, official):
    html = dashboard(client, official, "?as_of=round-2")

    headline = text_of(section(html, "headline").split("</p>")[0])
    assert headline.startswith("Under negotiation")
    # After round 2: 5 agreed, 6 in principle, 4 contested (press release 000).
    assert "11 of 15 chapters agreed or agreed in principle" in headline
    assert "4 contested" in headline
    assert "next round Mon 8 Jun 2020" in headline
    assert "signed" not in headline
    assert "5 agreed" in text_of(section(html, "status").split("</p>")[0])
    # The milestones known then: launched, rounds; not the conclusion or signature.
    milestones = text_of(section(html, "milestones"))
    assert "Launched" in milestones
    assert "Round 3" in milestones
    assert "ahead" in milestones
    assert "Signed" not in milestones
    assert "In force" not in milestones
    assert "days assumed" in milestones


def test_as_of_round_three_the_2024_meeting_was_not_known(client, official):
    html = dashboard(client, official, "?as_of=round-3")
    assert "Prime Ministers" not in section(html, "next")
    assert "No meeting is scheduled." in section(html, "next")
    assert "Prime Ministers" not in section(html, "upcoming")


def test_the_2024_commitments_are_on_the_dashboard(client, official):
    html = dashboard(client, official)
    commitments = section(html, "commitments")
    figures = text_of(commitments.split("</p>")[0])
    assert "10 open" in figures
    assert "0 delivered" in figures
    assert "Diamond Cooperation" in commitments


def test_the_portfolio_and_working_group_pages_count_concluded_as_agreed(client, official):
    client.force_login(official)
    rows = client.get(reverse("dashboards:portfolio"), {"export": "csv"}).text
    rows = rows.lstrip("\ufeff").splitlines()
    header, row = rows[0].split(","), rows[1]
    assert header[:4] == ["Agreement", "Status", "Chapters by status", "Agreed"]
    assert ",In force," in row
    assert ",15," in row

    group = WorkingGroup.objects.get(agreement__slug=SLUG, code="ROO")
    html = client.get(reverse("dashboards:working-group", args=[group.pk])).text
    assert re.search(r"(\d+) of \1 agreed", text_of(html))


def test_a_negotiator_of_a_group_is_not_told_read_only(client, seed):
    negotiator = UserFactory()
    RoleAssignmentFactory(user=negotiator, agreement=seed, role=Role.NEGOTIATOR)
    MembershipFactory(user=negotiator, working_group=seed.working_groups.get(code="ROO"))
    html = dashboard(client, negotiator)
    assert "read only" not in section(html, "headline").split("</p>")[0]


def test_statuses_sort_in_lifecycle_order_and_yes_no_is_in_words(client, official):
    client.force_login(official)
    url = reverse("dashboards:chapter-list", args=[SLUG])
    rows = client.get(url, {"as_of": "round-2", "sort": "status_at", "export": "csv"}).text
    rows = rows.lstrip("\ufeff")
    statuses = [line.split(",")[2] for line in rows.splitlines()[1:]]
    order = ["Under negotiation", "Agreed in principle", "Agreed"]
    assert statuses == sorted(statuses, key=order.index)
    html = client.get(url, {"as_of": "round-2"}).text
    assert "✔" not in html
    assert "✘" not in html
    assert ">yes<" in html
    assert ">no<" in html


def test_one_service_writes_the_agreements_history(seed):
    steps = list(
        AgreementStatusChange.objects.filter(agreement=seed).values_list(
            "to_status", "effective_on"
        )
    )
    assert steps == [
        ("launched", dt.date(2020, 1, 20)),
        ("under_negotiation", dt.date(2020, 1, 20)),
        ("concluded", dt.date(2020, 7, 20)),
        ("signed", dt.date(2020, 10, 12)),
        ("in_force", dt.date(2022, 1, 1)),
    ]


def test_a_milestone_date_corrected_moves_its_step_and_a_status_undone_is_dropped(db):
    from negotiations.services import create_agreement

    officer = UserFactory()
    agreement = create_agreement(
        by=officer, name="Demo FTA", short_name="Demo", launched_on=dt.date(2024, 3, 1)
    )
    update_agreement(
        agreement=agreement,
        by=officer,
        status=AgreementStatus.CONCLUDED,
        concluded_on=dt.date(2025, 6, 1),
    )
    history = lambda: list(  # noqa: E731
        agreement.status_changes.values_list("from_status", "to_status", "effective_on")
    )
    assert history() == [
        ("", "launched", dt.date(2024, 3, 1)),
        ("launched", "under_negotiation", dt.date(2024, 3, 1)),
        ("under_negotiation", "concluded", dt.date(2025, 6, 1)),
    ]
    update_agreement(agreement=agreement, by=officer, concluded_on=dt.date(2025, 6, 3))
    assert history()[-1] == ("under_negotiation", "concluded", dt.date(2025, 6, 3))
    # A step back (the conclusion was announced too early) is a step of its own.
    update_agreement(agreement=agreement, by=officer, status=AgreementStatus.UNDER_NEGOTIATION)
    assert history()[-1][:2] == ("concluded", "under_negotiation")
