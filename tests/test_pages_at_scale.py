"""Three pages whose cost followed the size of the whole portfolio rather than of what they show:
the round page (a query more when its round was hosted), the chapter page (its commitments) and
the agreement list (the parties its filter offers). Each shows the same content as the plain
reading of the data, with the same number of queries whatever the data."""

import datetime as dt

import pytest
from django.urls import reverse

from negotiations.choices import RoundMode
from negotiations.models import Commitment, NegotiationRound, Party
from tests.dashboards.conftest import build_negotiation
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    MeetingFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from tests.negotiations.test_queries_flat import queries_of
from workinggroups.models import Chapter

pytestmark = pytest.mark.django_db


# --- The round page ----------------------------------------------------------------------------


def _host(negotiation_round, party):
    NegotiationRound.objects.filter(pk=negotiation_round.pk).update(
        mode=RoundMode.IN_PERSON, host_party=party, location="Phnom Penh"
    )


def test_round_page_runs_the_same_queries_whether_or_not_its_round_was_hosted(
    client, no_page_cache
):
    user = UserFactory()
    unhosted = build_negotiation(user, groups=1, chapters=1, rounds=2)
    hosted = build_negotiation(user, groups=1, chapters=1, rounds=2)
    host = hosted.parties.order_by("pk").first()
    _host(hosted.rounds.get(number=1), host)
    client.force_login(user)

    without_host, plain = queries_of(client, reverse("dashboards:round", args=[unhosted.slug, 1]))
    with_host, shown = queries_of(client, reverse("dashboards:round", args=[hosted.slug, 1]))

    assert with_host == without_host
    assert f"hosted by {host.name}" in shown.text
    assert "hosted by" not in plain.text


def test_round_page_names_the_host_of_its_own_round_only(client, no_page_cache):
    user = UserFactory()
    agreement = build_negotiation(user, groups=1, chapters=1, rounds=2)
    first, second = agreement.parties.order_by("pk")[:2]
    _host(agreement.rounds.get(number=1), first)
    _host(agreement.rounds.get(number=2), second)
    client.force_login(user)

    page = client.get(reverse("dashboards:round", args=[agreement.slug, 2])).text

    assert f"hosted by {second.name}" in page
    assert f"hosted by {first.name}" not in page


# --- The chapter page's commitments ------------------------------------------------------------


def _meeting(agreement, groups, day):
    meeting = MeetingFactory(
        agreement=agreement,
        starts_at=dt.datetime(2020, 3, day, 2, tzinfo=dt.UTC),
        ends_at=dt.datetime(2020, 3, day, 4, tzinfo=dt.UTC),
    )
    meeting.working_groups.set(groups)
    return meeting


def _chapter_page_commitments(client, chapter):
    response = client.get(reverse("workinggroups:chapter-detail", args=[chapter.pk]))
    assert response.status_code == 200
    return [commitment.text for commitment in response.context["commitments"]]


def test_chapter_page_lists_its_own_commitments_and_its_groups_unassigned_ones(client):
    user = UserFactory()
    agreement = AgreementFactory()
    RoleAssignmentFactory(user=user, agreement=agreement)
    group, other_group = (WorkingGroupFactory(agreement=agreement) for _ in range(2))
    chapter = ChapterFactory(working_group=group)
    sibling = ChapterFactory(working_group=group)
    elsewhere = ChapterFactory(working_group=other_group)
    ours = _meeting(agreement, [group], 3)
    shared = _meeting(agreement, [group, other_group], 2)  # joint meeting of both groups
    theirs = _meeting(agreement, [other_group], 1)
    for meeting, tied_to, text in [
        (ours, chapter, "Own, at our meeting"),
        (theirs, chapter, "Own, at their meeting"),
        (ours, None, "Unassigned, at our meeting"),
        (shared, None, "Unassigned, at the joint meeting"),
        (ours, sibling, "Of the sibling chapter"),
        (shared, elsewhere, "Of the other group's chapter"),
        (theirs, None, "Unassigned, at their meeting"),
    ]:
        CommitmentFactory(meeting=meeting, chapter=tied_to, text=text)
    client.force_login(user)

    listed = _chapter_page_commitments(client, chapter)

    # Once each (the joint meeting belongs to two groups), by meeting start.
    assert listed == [
        "Own, at their meeting",
        "Unassigned, at the joint meeting",
        "Own, at our meeting",
        "Unassigned, at our meeting",
    ]
    assert _chapter_page_commitments(client, elsewhere) == [
        "Unassigned, at their meeting",
        "Unassigned, at the joint meeting",
        "Of the other group's chapter",
    ]


def test_chapter_page_runs_the_same_queries_with_and_without_commitments(client):
    user = UserFactory()
    bare = build_negotiation(user, groups=1, chapters=1, rounds=1)
    busy = build_negotiation(user, groups=3, chapters=3, rounds=3)
    bare_chapter = Chapter.objects.filter(working_group__agreement=bare).first()
    busy_chapter = Chapter.objects.filter(working_group__agreement=busy).first()
    Commitment.objects.filter(meeting__agreement=bare).delete()
    for day in range(1, 5):
        meeting = _meeting(busy, [busy_chapter.working_group], day)
        CommitmentFactory(meeting=meeting, chapter=busy_chapter)
        CommitmentFactory(meeting=meeting)
    client.force_login(user)

    without, empty = queries_of(
        client, reverse("workinggroups:chapter-detail", args=[bare_chapter.pk])
    )
    with_some, full = queries_of(
        client, reverse("workinggroups:chapter-detail", args=[busy_chapter.pk])
    )

    assert list(empty.context["commitments"]) == []
    assert len(list(full.context["commitments"])) == 8
    assert without == with_some


# --- The agreement list's party filter ---------------------------------------------------------


def _offered(response):
    return sorted(party.code for party in response.context["filter"].form["party"].field.queryset)


def test_agreement_list_offers_the_parties_of_the_agreements_one_sees(client):
    seen = AgreementFactory(parties=[PartyFactory(code="SA"), PartyFactory(code="SB")])
    AgreementFactory(parties=[PartyFactory(code="SB"), PartyFactory(code="UC")])
    PartyFactory(code="ND")  # at no table
    person = RoleAssignmentFactory(agreement=seen).user
    admin = UserFactory(is_superuser=True, is_staff=True)

    client.force_login(person)
    for_person = client.get(reverse("negotiations:agreement-list"))
    client.force_login(admin)
    for_admin = client.get(reverse("negotiations:agreement-list"))

    assert _offered(for_person) == ["SA", "SB"]
    assert _offered(for_admin) == ["SA", "SB", "UC"]
    offered = list(for_admin.context["filter"].form["party"].field.queryset)
    assert offered == sorted(offered, key=lambda party: party.name)


def test_agreement_list_filters_by_an_offered_party_and_refuses_another(client):
    home = PartyFactory(code="HM")
    stranger = PartyFactory(code="ST")
    with_home = AgreementFactory(name="With home", parties=[home, PartyFactory()])
    without = AgreementFactory(name="Without home")
    AgreementFactory(name="Not mine", parties=[stranger])
    person = UserFactory()
    for agreement in (with_home, without):
        RoleAssignmentFactory(user=person, agreement=agreement)
    client.force_login(person)

    chosen = client.get(reverse("negotiations:agreement-list"), {"party": home.pk})
    refused = client.get(reverse("negotiations:agreement-list"), {"party": stranger.pk})

    assert [row.record.name for row in chosen.context["table"].page.object_list] == ["With home"]
    assert "party" in refused.context["filter"].form.errors


def test_agreement_list_runs_the_same_queries_for_one_agreement_and_many(client):
    """Seen by someone who sees every agreement, the case where the parties offered were
    counted over every delegation of every agreement."""
    admin = UserFactory(is_superuser=True, is_staff=True)
    build_negotiation(UserFactory(), groups=1, chapters=1, rounds=1)
    url = reverse("negotiations:agreement-list")
    client.force_login(admin)
    for_one, _ = queries_of(client, url)

    for _ in range(6):
        build_negotiation(UserFactory(), groups=2, chapters=2, rounds=2)
    for_many, response = queries_of(client, url)

    assert for_one == for_many
    at_a_table = Party.objects.filter(delegations__isnull=False).distinct()
    assert _offered(response) == sorted(party.code for party in at_a_table)
    assert len(_offered(response)) == 14
