"""The seed scenario matches the press releases and the public record, round by round."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from negotiations.choices import MeetingKind
from negotiations.demo import DEMO_SLUG
from negotiations.models import Agreement, Commitment, Deadline, Meeting
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint, WorkingGroup
from workinggroups.selectors import chapters_as_of

AGREED_AFTER_ROUND_2 = {"INV", "ETC", "BRI", "ECOM"}  # the five areas: ETC holds two chapters
IN_PRINCIPLE_AFTER_ROUND_2 = {"ROO", "CPTF", "SPS", "NTB"}
UNDER_NEGOTIATION_AFTER_ROUND_2 = {"TIG", "TIS"}


def statuses_after_round(agreement, number):
    plenary = Meeting.objects.get(
        negotiation_round__agreement=agreement, negotiation_round__number=number
    )
    chapters = chapters_as_of(
        Chapter.objects.filter(working_group__agreement=agreement).select_related("working_group"),
        plenary.ends_at,
    )
    return {chapter.title: chapter for chapter in chapters}


def groups_at(chapters, status):
    return {c.working_group.code for c in chapters.values() if c.status_then == status}


def test_ten_working_groups_and_two_parties(seed):
    assert WorkingGroup.objects.filter(agreement=seed).count() == 10
    assert sorted(seed.parties.values_list("code", flat=True)) == ["CHN", "KHM"]
    heads = dict(seed.delegations.values_list("party__code", "head_name"))
    assert heads == {"KHM": "Dr. Sok Sopheak", "CHN": "Yang Zhengwei"}


def test_rounds_one_to_three_with_their_dates_and_modes(seed):
    rounds = list(seed.rounds.values_list("number", "starts_on", "mode", "host_party__code"))
    assert rounds == [
        (1, dt.date(2020, 1, 20), "in_person", "CHN"),
        (2, dt.date(2020, 4, 8), "video_conference", None),
        (3, dt.date(2020, 6, 8), "video_conference", None),
    ]


def test_after_round_one_every_chapter_is_under_negotiation(seed):
    chapters = statuses_after_round(seed, 1)
    assert len(chapters) == 15
    assert {c.status_then for c in chapters.values()} == {"under_negotiation"}
    assert not any(c.contested_then for c in chapters.values())


def test_after_round_two_as_press_release_000_says(seed):
    chapters = statuses_after_round(seed, 2)
    assert groups_at(chapters, "agreed") == AGREED_AFTER_ROUND_2
    assert {"Investment Cooperation", "Economic Cooperation", "Technical Cooperation",
            "Belt and Road Initiative Cooperation", "E-commerce"} == {
        title for title, c in chapters.items() if c.status_then == "agreed"
    }  # fmt: skip
    assert groups_at(chapters, "agreed_in_principle") == IN_PRINCIPLE_AFTER_ROUND_2
    assert groups_at(chapters, "under_negotiation") == UNDER_NEGOTIATION_AFTER_ROUND_2
    contested = {c.working_group.code for c in chapters.values() if c.contested_then}
    assert contested == IN_PRINCIPLE_AFTER_ROUND_2


def test_contested_points_after_round_two_are_due_mid_may_2020(seed):
    points = ContestedPoint.objects.filter(chapter__working_group__agreement=seed)
    assert points.count() == 4
    assert set(points.values_list("target_date", flat=True)) == {dt.date(2020, 5, 15)}
    assert set(points.values_list("raised_at__negotiation_round__number", flat=True)) == {2}


def test_after_round_three_text_agreed_and_market_access_in_principle(seed):
    chapters = statuses_after_round(seed, 3)
    assert groups_at(chapters, "agreed") == AGREED_AFTER_ROUND_2 | IN_PRINCIPLE_AFTER_ROUND_2
    assert groups_at(chapters, "agreed_in_principle") == UNDER_NEGOTIATION_AFTER_ROUND_2
    assert not any(c.contested_then for c in chapters.values())


def test_concluded_signed_and_in_force(seed):
    assert (seed.status, seed.concluded_on, seed.signed_on, seed.in_force_on) == (
        "in_force",
        dt.date(2020, 7, 20),
        dt.date(2020, 10, 12),
        dt.date(2022, 1, 1),
    )
    statuses = Chapter.objects.filter(working_group__agreement=seed).values_list(
        "status", flat=True
    )
    assert set(statuses) == {"concluded"}


def test_the_june_meeting_comes_next_after_round_two(seed):
    after = Meeting.objects.get(
        negotiation_round__agreement=seed, negotiation_round__number=2
    ).ends_at
    following = (
        Meeting.objects.filter(agreement=seed, starts_at__gt=after).order_by("starts_at").first()
    )
    assert following.negotiation_round.number == 3
    assert (following.starts_at.year, following.starts_at.month) == (2020, 6)


def test_deadlines_named_by_the_press_release(seed):
    deadlines = Deadline.objects.filter(agreement=seed)
    mid_may = deadlines.filter(due_on=dt.date(2020, 5, 15))
    assert set(mid_may.values_list("working_group__code", flat=True)) == IN_PRINCIPLE_AFTER_ROUND_2
    assert deadlines.filter(working_group=None, due_on=dt.date(2020, 12, 31)).exists()
    assert deadlines.filter(working_group=None, due_on__month=6, due_on__year=2020).exists()


def test_leaders_meeting_2024_and_its_commitments(seed):
    meeting = Meeting.objects.get(agreement=seed, kind=MeetingKind.LEADERS)
    assert meeting.starts_at.astimezone(meeting.tzinfo).date() == dt.date(2024, 10, 10)
    assert "Vientiane" in meeting.location
    commitments = Commitment.objects.filter(meeting=meeting)
    # Every undertaking press release 003 states, each with the sentence it comes from.
    assert commitments.count() == 10
    china = commitments.get(party__code="CHN")
    assert "agricultural products" in china.text
    texts = " ".join(commitments.values_list("text", flat=True))
    for phrase in ["Diamond Cooperation", "Community with a Shared Future",
                   "Industrial and Technological Corridor", "Fish and Rice Corridor", "solar",
                   "hydropower", "high-level visits", "regional and multilateral fora", "tourism",
                   "security and defence", "online scams"]:  # fmt: skip
        assert phrase in texts
    sources = dict(commitments.values_list("text", "source"))
    assert all(source.endswith(".") for source in sources.values())
    assert "pledged to increase the import" in sources[china.text]
    headline = next(text for text in sources if "Diamond" in text)
    assert "Cambodia-China Community with a Shared Future" in sources[headline]


def test_loading_twice_changes_nothing(seed):
    def census():
        return Counter(
            {
                "history": ChapterStatusChange.objects.count(),
                "points": ContestedPoint.objects.count(),
                "meetings": Meeting.objects.count(),
                "deadlines": Deadline.objects.count(),
                "commitments": Commitment.objects.count(),
                "chapters": Chapter.objects.count(),
            }
        )

    before = census()
    call_command("load_scenario", verbosity=0)
    assert census() == before
    assert before["history"] == 55


@pytest.mark.django_db
def test_demo_accounts_are_never_created_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", verbosity=0)
    assert not Agreement.objects.filter(slug=DEMO_SLUG).exists()


@pytest.mark.django_db
def test_demo_has_meetings_and_deadlines_in_the_coming_days(settings, django_user_model):
    settings.DEBUG = True
    call_command("load_scenario", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent too

    demo = Agreement.objects.get(slug=DEMO_SLUG)
    assert demo.is_demo
    today = dt.date.today()
    upcoming = Meeting.objects.filter(agreement=demo, starts_at__date__gt=today)
    assert upcoming.filter(starts_at__date__lte=today + dt.timedelta(days=7)).exists()
    assert Deadline.objects.filter(agreement=demo, due_on__gt=today, done=False).exists()
    assert Deadline.objects.filter(agreement=demo, due_on__lt=today, done=False).exists()
    assert set(django_user_model.objects.values_list("username", flat=True)) == {
        "secretariat", "chief", "negotiator", "official"
    }  # fmt: skip
    negotiator = django_user_model.objects.get(username="negotiator")
    assert negotiator.roles.count() == 2
    assert set(negotiator.memberships.values_list("working_group__code", flat=True)) == {"ROO"}
