"""The dashboards show the figures the history gives, to the people who may see them."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from negotiations.choices import Role
from negotiations.models import Agreement, Meeting
from tests.factories import RoleAssignmentFactory, UserFactory
from workinggroups.models import WorkingGroup

SLUG = "cambodia-china-fta"
AGREED_AFTER_ROUND_2 = {
    "Investment Cooperation",
    "Economic Cooperation",
    "Technical Cooperation",
    "Belt and Road Initiative Cooperation",
    "E-commerce",
}
IN_PRINCIPLE_AFTER_ROUND_2 = {
    "Rules of Origin",
    "Product-Specific Rules",
    "Customs Procedures and Trade Facilitation",
    "Sanitary and Phytosanitary Measures",
    "Technical Barriers to Trade",
    "Non-Tariff Measures",
}
CONTESTED_AFTER_ROUND_2 = {
    "Rules of Origin",
    "Customs Procedures and Trade Facilitation",
    "Sanitary and Phytosanitary Measures",
    "Technical Barriers to Trade",
}
UNDER_NEGOTIATION_AFTER_ROUND_2 = {
    "Trade in Goods",
    "Schedules of Tariff Commitments",
    "Trade in Services",
    "Schedules of Specific Commitments",
}
# Hand-counted from the fixture: chapters at each status after each round.
PROGRESS = {
    1: {"not_started": 0, "under_negotiation": 15, "agreed_in_principle": 0, "agreed": 0,
        "concluded": 0},
    2: {"not_started": 0, "under_negotiation": 4, "agreed_in_principle": 6, "agreed": 5,
        "concluded": 0},
    3: {"not_started": 0, "under_negotiation": 0, "agreed_in_principle": 4, "agreed": 11,
        "concluded": 0},
}  # fmt: skip


def cells(html):
    """{chapter title: (status, contested)} from the dashboard's matrix."""
    found = re.findall(
        r'<span class="cell cell-status-(\w+)( cell-contested)?" data-chapter="([^"]+)"', html
    )
    return {title: (status, bool(contested)) for status, contested, title in found}


def progress_rows(html, chart_id="progress-chart"):
    table = html.split(f'id="{chart_id}-data"')[1].split("</table>")[0]
    rows = {}
    for number, body in re.findall(r'<th scope="row">Round (\d+)</th>(.*?)</tr>', table):
        rows[int(number)] = dict(re.findall(r'data-status="(\w+)">(\d+)<', body))
    return {n: {s: int(c) for s, c in row.items()} for n, row in rows.items()}


def section(html, element_id):
    return html.split(f'id="{element_id}"')[1].split("</section>")[0]


# ---------------------------------------------------------------------------------------------
# The agreement dashboard, against the press release
# ---------------------------------------------------------------------------------------------
def test_dashboard_after_round_two_shows_what_the_press_release_says(client, official):
    client.force_login(official)
    response = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": "round-2"})
    assert response.status_code == 200
    html = response.text
    matrix = cells(html)
    assert {t for t, (s, _) in matrix.items() if s == "agreed"} == AGREED_AFTER_ROUND_2
    assert {
        t for t, (s, _) in matrix.items() if s == "agreed_in_principle"
    } == IN_PRINCIPLE_AFTER_ROUND_2
    assert {
        t for t, (s, _) in matrix.items() if s == "under_negotiation"
    } == UNDER_NEGOTIATION_AFTER_ROUND_2
    assert {t for t, (_, contested) in matrix.items() if contested} == CONTESTED_AFTER_ROUND_2
    assert ">5 agreed</a>" in section(html, "status")
    assert '<span data-figure="contested">4 contested</span>' in html

    points = section(html, "contested")
    assert points.count("<tr data-point=") == 4
    assert points.count('datetime="2020-05-15"') == 4
    assert "overdue" not in points.split("<tbody>")[1]

    next_meeting = section(html, "next")
    assert "Third round of negotiations" in next_meeting
    # The meeting's own clock, its last day kept; the reader's (UTC) beside it.
    assert "Mon 8 Jun 2020, 09:00 – Wed 10 Jun 2020, 17:00 Phnom Penh (UTC+7)" in next_meeting


def test_progress_over_rounds_counts_the_history(client, official):
    client.force_login(official)
    response = client.get(reverse("dashboards:agreement", args=[SLUG]))
    assert progress_rows(response.text) == PROGRESS
    as_of_round_2 = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": "round-2"})
    assert progress_rows(as_of_round_2.text) == {n: PROGRESS[n] for n in (1, 2)}


def test_dashboard_now_shows_every_chapter_concluded(client, official):
    client.force_login(official)
    html = client.get(reverse("dashboards:agreement", args=[SLUG])).text
    assert set(cells(html).values()) == {("concluded", False)}
    assert "No contested point is open." in html
    assert "No meeting is scheduled." in html  # the leaders' meeting of 2024 is past


def test_as_of_a_day_reads_the_history_of_that_day(client, official):
    client.force_login(official)
    # After the mid-May deadline: the points are still open and now overdue.
    html = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": "2020-05-20"}).text
    points = section(html, "contested")
    assert points.count('<tr class="overdue"') == 4
    # The June plenary is within the next 30 days.
    assert "Third round of negotiations" in section(html, "upcoming")
    # The deadline of 8 June was met on 10 June: overdue on 9 June.
    html = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": "2020-06-09"}).text
    assert "Complete more chapters before the next meeting" in section(html, "overdue")


def test_unknown_as_of_falls_back_to_now(client, official):
    client.force_login(official)
    for value in ["round-9", "yesterday", "2999-01-01"]:
        html = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": value}).text
        assert "Showing: now." in html


def test_dashboard_shows_overdue_items_of_the_demo_now(client, settings, db):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    user = UserFactory()
    demo = Agreement.objects.get(is_demo=True)
    RoleAssignmentFactory(user=user, agreement=demo, role=Role.OFFICIAL)
    client.force_login(user)
    html = client.get(reverse("dashboards:agreement", args=[demo.slug])).text
    overdue = section(html, "overdue")
    assert "Circulate the list of regulated pests" in overdue
    assert "Share import statistics" in overdue
    upcoming = section(html, "upcoming")
    assert "Rules of Origin working group — video conference" in upcoming
    assert "Exchange revised product-specific rules" in upcoming
    points = section(html, "contested")
    assert points.index("Recognition of pest-free areas") < points.index("De minimis threshold")


# ---------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------
def test_home_is_the_portfolio(client, official):
    client.force_login(official)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("dashboards:portfolio")


def test_portfolio_shows_only_the_agreements_of_the_person(client, official, negotiations):
    _, (other,) = negotiations(1)
    client.force_login(official)
    html = client.get(reverse("dashboards:portfolio")).text
    assert "Cambodia–China Free Trade Agreement" in html
    assert other.name not in html


def test_portfolio_figures_as_of_a_day(client, official):
    client.force_login(official)
    response = client.get(reverse("dashboards:portfolio"), {"as_of": "2020-04-10"})
    row = response.context["table"].rows[0].record
    assert (row.count_agreed, row.count_agreed_in_principle, row.count_under_negotiation) == (
        5,
        6,
        4,
    )
    assert row.contested_count == 4
    assert row.next_meeting_title.startswith("Third round")
    assert (row.nearest_deadline_on, row.overdue_deadlines) == (dt.date(2020, 5, 15), 0)
    assert "5 agreed" in response.text


def test_portfolio_counts_overdue_deadlines_and_commitments(client, negotiations):
    user, _ = negotiations(1, groups=3)
    client.force_login(user)
    response = client.get(reverse("dashboards:portfolio"))
    row = response.context["table"].rows[0].record
    assert (row.overdue_deadlines, row.overdue_commitments) == (3, 2)
    assert row.count_agreed == 6
    assert row.contested_count == 6


# ---------------------------------------------------------------------------------------------
# Round, meeting and working group pages
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("number", "moved"), [(1, 15), (2, 11), (3, 10)])
def test_round_page_shows_each_chapter_before_and_after(client, official, number, moved):
    client.force_login(official)
    response = client.get(reverse("dashboards:round", args=[SLUG, number]))
    assert response.context["moved_count"] == moved
    rows = re.findall(
        r'data-chapter="([^"]+)" data-before="(\w+)" data-after="(\w+)"', response.text
    )
    assert len(rows) == 15
    if number == 2:
        moves = {title: (before, after) for title, before, after in rows}
        assert moves["E-commerce"] == ("under_negotiation", "agreed")
        assert moves["Rules of Origin"] == ("under_negotiation", "agreed_in_principle")
        assert moves["Trade in Goods"] == ("under_negotiation", "under_negotiation")


def test_round_that_does_not_exist_is_404(client, official):
    client.force_login(official)
    assert client.get(reverse("dashboards:round", args=[SLUG, 7])).status_code == 404


def test_working_group_page_as_of_round_two(client, official, seed):
    group = WorkingGroup.objects.get(agreement=seed, code="ROO")
    client.force_login(official)
    response = client.get(
        reverse("dashboards:working-group", args=[group.pk]), {"as_of": "round-2"}
    )
    statuses = re.findall(r'data-chapter="([^"]+)" data-status="(\w+)"', response.text)
    assert set(statuses) >= {
        ("Rules of Origin", "agreed_in_principle"),
        ("Product-Specific Rules", "agreed_in_principle"),
    }
    assert response.context["counts"]["contested"] == 1
    assert [p.title for p in response.context["open_points"]] == [
        "Most controversial points on rules of origin"
    ]


def test_brief_fits_the_essentials(client, official):
    client.force_login(official)
    response = client.get(reverse("dashboards:brief", args=[SLUG]), {"as_of": "round-2"})
    html = response.text
    assert 'class="brief"' in html
    assert "Dr. Sok Sopheak" in html
    assert '<span data-status="agreed">5 agreed</span>' in html
    assert "Third round of negotiations" in html
    assert html.count("due Fri 15 May 2020") == 4


def test_brief_lists_figures_without_stray_separators(client, official):
    client.force_login(official)
    html = client.get(reverse("dashboards:brief", args=[SLUG]), {"as_of": "round-1"}).text
    figures = html.split('class="figures">')[1].split("</p>")[0]
    assert figures.startswith('<span data-status="under_negotiation">15 under negotiation</span>')
    assert "· —" not in figures
    assert "· ·" not in figures
    assert "After round 1: 15 under negotiation</li>" in html


def test_charts_keep_a_decimal_point_in_every_language(client, official):
    """Khmer writes decimals with a comma; SVG coordinates must not."""
    client.force_login(official)
    html = client.get(
        reverse("dashboards:agreement", args=[SLUG]),
        {"as_of": "round-2"},
        headers={"accept-language": "km"},
    ).text
    assert 'lang="km"' in html
    numbers = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)"', html)
    assert numbers
    for triple in numbers:
        for number in triple:
            float(number)
    portfolio = client.get(reverse("dashboards:portfolio"), headers={"accept-language": "km"})
    bars = re.findall(r'<rect x="([^"]+)" y="0" width="([^"]+)"', portfolio.text)
    assert bars
    for pair in bars:
        for number in pair:
            float(number)


# ---------------------------------------------------------------------------------------------
# Who may see what
# ---------------------------------------------------------------------------------------------
def agreement_pages(seed):
    plenary = Meeting.objects.get(agreement=seed, negotiation_round__number=2)
    group = WorkingGroup.objects.get(agreement=seed, code="ROO")
    return [
        reverse("dashboards:agreement", args=[SLUG]),
        reverse("dashboards:brief", args=[SLUG]),
        reverse("dashboards:round", args=[SLUG, 2]),
        reverse("dashboards:chapter-list", args=[SLUG]),
        reverse("dashboards:contested-points", args=[SLUG]),
        reverse("dashboards:commitments", args=[SLUG]),
        reverse("dashboards:commitments", args=[SLUG]) + "?export=csv",
        reverse("meetings:detail", args=[plenary.pk]),
        reverse("dashboards:working-group", args=[group.pk]),
    ]


def test_anonymous_people_are_sent_to_sign_in(client, seed):
    for url in [reverse("dashboards:portfolio"), *agreement_pages(seed)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_people_without_a_role_are_refused(client, seed):
    client.force_login(UserFactory())
    for url in agreement_pages(seed):
        assert client.get(url).status_code == 403, url
    portfolio = client.get(reverse("dashboards:portfolio")).text
    assert "Cambodia–China Free Trade Agreement" not in portfolio
    assert "China</option>" not in portfolio  # not even as a filter choice


def test_a_role_in_another_agreement_only_is_refused(client, seed, outsider):
    client.force_login(outsider)
    for url in agreement_pages(seed):
        assert client.get(url).status_code == 403, url


def test_officials_see_every_page(client, seed, official):
    client.force_login(official)
    for url in agreement_pages(seed):
        assert client.get(url).status_code == 200, url
