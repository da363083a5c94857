"""A meeting's page, at its own address, for the people who may see it; its old address
forwards there."""

import datetime as dt

import pytest
from django.urls import reverse

from negotiations.choices import Role
from negotiations.models import Meeting
from tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from workinggroups.models import WorkingGroup


@pytest.fixture
def plenary(seed):
    return Meeting.objects.get(agreement=seed, negotiation_round__number=2)


def test_meeting_addresses_live_together():
    assert reverse("meetings:detail", args=[7]) == "/meetings/7/"
    assert reverse("meetings:outcome", args=[7]) == "/meetings/7/outcome/"
    assert reverse("meetings:ics", args=[7]) == "/meetings/7.ics"
    assert Meeting(pk=7).get_absolute_url() == "/meetings/7/"


def test_meeting_page_shows_its_outcome(client, official, plenary):
    client.force_login(official)
    response = client.get(reverse("meetings:detail", args=[plenary.pk]))
    assert response.status_code == 200
    assert len(response.context["status_changes"]) == 11
    assert len(response.context["points_raised"]) == 4
    assert len(response.context["deadlines_set"]) == 6
    assert "Record the outcome" not in response.text  # officials see, not change


def test_meeting_page_gives_the_utc_time_whatever_the_readers_zone(client, official, plenary):
    official.time_zone = "Asia/Shanghai"
    official.save()
    client.force_login(official)
    html = client.get(reverse("meetings:detail", args=[plenary.pk])).text
    header = html.split('class="page-header"')[1].split("</time>")[0]
    assert "Phnom Penh (UTC+7)" in header
    assert "your time (Beijing, UTC+8)" in header
    on_utc = header.rsplit(" · ", 1)[1]
    utc = plenary.starts_at.astimezone(dt.UTC)
    assert on_utc.endswith(" UTC")
    assert f"{utc:%-d %b %Y}, {utc:%H:%M} – " in on_utc  # it lasts two days
    shanghai = plenary.starts_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"{shanghai:%-d %b %Y}, {shanghai:%H:%M} – " not in on_utc


def test_everyone_who_sees_the_page_gets_the_calendar_file(client, official, plenary):
    client.force_login(official)
    html = client.get(reverse("meetings:detail", args=[plenary.pk])).text
    assert f'href="{reverse("meetings:ics", args=[plenary.pk])}" download>Add to calendar' in html


def test_negotiators_of_a_group_that_met_get_the_outcome_link(client, seed, plenary):
    group = WorkingGroup.objects.get(agreement=seed, code="ROO")
    negotiator = RoleAssignmentFactory(agreement=seed, role=Role.NEGOTIATOR).user
    MembershipFactory(working_group=group, user=negotiator)
    client.force_login(negotiator)
    html = client.get(reverse("meetings:detail", args=[plenary.pk])).text
    assert reverse("meetings:outcome", args=[plenary.pk]) in html


def test_those_who_steer_get_the_outcome_link(client, seed, plenary):
    chief = RoleAssignmentFactory(agreement=seed, role=Role.CHIEF_NEGOTIATOR).user
    client.force_login(chief)
    html = client.get(reverse("meetings:detail", args=[plenary.pk])).text
    assert reverse("meetings:outcome", args=[plenary.pk]) in html
    assert reverse("negotiations:meeting-update", args=[plenary.pk]) in html


# ---------------------------------------------------------------------------------------------
# Who may see what
# ---------------------------------------------------------------------------------------------
def meeting_addresses(meeting):
    return [
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:detail", args=[meeting.pk]) + "?as_of=round-1",
        reverse("meetings:ics", args=[meeting.pk]),
    ]


def test_anonymous_people_are_sent_to_sign_in(client, plenary):
    for url in [*meeting_addresses(plenary), reverse("meetings:outcome", args=[plenary.pk])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_people_without_a_role_are_refused(client, plenary):
    client.force_login(UserFactory())
    for url in [*meeting_addresses(plenary), reverse("meetings:outcome", args=[plenary.pk])]:
        assert client.get(url).status_code == 403, url


def test_a_role_in_another_agreement_only_is_refused(client, plenary, outsider):
    client.force_login(outsider)
    for url in [*meeting_addresses(plenary), reverse("meetings:outcome", args=[plenary.pk])]:
        assert client.get(url).status_code == 403, url


def test_officials_see_the_page_and_its_file_but_not_the_outcome_screen(client, official, plenary):
    client.force_login(official)
    for url in meeting_addresses(plenary):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("meetings:outcome", args=[plenary.pk])).status_code == 403


def test_a_meeting_that_does_not_exist_is_404(client, official):
    client.force_login(official)
    assert client.get(reverse("meetings:detail", args=[999_999])).status_code == 404
    assert client.get(reverse("meetings:ics", args=[999_999])).status_code == 404


# ---------------------------------------------------------------------------------------------
# The old address
# ---------------------------------------------------------------------------------------------
def test_the_old_address_forwards_for_good_keeping_the_query(client, official, plenary):
    client.force_login(official)
    response = client.get(f"/dashboard/meetings/{plenary.pk}/?as_of=round-1&lang=km")
    assert response.status_code == 301
    assert response.url == f"/meetings/{plenary.pk}/?as_of=round-1&lang=km"
    assert client.get(response.url).status_code == 200


def test_a_link_from_an_old_email_asks_for_sign_in_on_the_new_address(client, plenary):
    response = client.get(f"/dashboard/meetings/{plenary.pk}/", follow=True)
    first, second = response.redirect_chain
    assert first == (f"/meetings/{plenary.pk}/", 301)
    assert second[1] == 302
    assert second[0].startswith(reverse("login"))
    assert f"next=/meetings/{plenary.pk}/" in second[0]


def test_the_dashboard_offers_each_upcoming_meeting_for_the_calendar(client, world):
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    world.meeting.starts_at, world.meeting.ends_at = soon, soon + dt.timedelta(hours=2)
    world.meeting.save()
    client.force_login(world.official)
    html = client.get(reverse("dashboards:agreement", args=[world.agreement.slug])).text
    assert f'href="{reverse("meetings:ics", args=[world.meeting.pk])}" download' in html
