"""A commitment's own page: read by everyone who may see the agreement, changed (in place, from
the version seen) by those who may, linked from wherever commitments are listed."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.choices import Role
from negotiations.models import Commitment, CommitmentStatusChange
from negotiations.services import create_commitment, update_commitment
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    MeetingFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment(world):
    """Cambodia's commitment at the group's meeting, about the group's chapter, owned by the
    negotiator, moved once from pledged to in progress."""
    world.secretariat.is_staff = False
    world.secretariat.save()
    party = world.agreement.parties.order_by("name").first()
    made = create_commitment(
        meeting=world.meeting,
        by=world.chief,
        text="Send the product-specific rules still in brackets.",
        party=party,
        owner=world.negotiator,
        chapter=world.chapter,
        due_on=dt.date(2020, 5, 15),
    )
    update_commitment(
        commitment=made,
        by=world.negotiator,
        text=made.text,
        party=party,
        owner=world.negotiator,
        chapter=world.chapter,
        due_on=made.due_on,
        status="in_progress",
        expected_version=1,
    )
    # When it moved, so that the page can be checked to show it in the reader's zone.
    CommitmentStatusChange.objects.filter(commitment=made).update(
        effective_at=dt.datetime(2020, 5, 1, 3, 0, tzinfo=dt.UTC)
    )
    made.refresh_from_db()
    return made


def page_of(commitment):
    return reverse("negotiations:commitment-detail", args=[commitment.pk])


def deliver_url(commitment):
    return reverse("negotiations:commitment-deliver", args=[commitment.pk])


def edit_data(commitment, **typed):
    """What the edit form sends: the values the person started from (in the hidden
    `initial-` fields), and what they typed over them."""
    seen = {
        "text": commitment.text,
        "party": commitment.party_id or "",
        "owner": commitment.owner_id or "",
        "chapter": commitment.chapter_id or "",
        "due_on": commitment.due_on.isoformat() if commitment.due_on else "",
        "status": commitment.status,
    }
    return {
        **seen,
        **typed,
        **{f"initial-{name}": value for name, value in seen.items()},
        "version": commitment.version,
    }


def state():
    return (
        list(Commitment.objects.order_by("pk").values_list()),
        CommitmentStatusChange.objects.count(),
        AuditEntry.objects.count(),
    )


# --- Who may -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, commitment):
    before = state()
    assert client.get(page_of(commitment)).url.startswith(reverse("login"))
    assert client.post(page_of(commitment), edit_data(commitment)).url.startswith(reverse("login"))
    assert client.post(deliver_url(commitment), {"version": 2}).url.startswith(reverse("login"))
    assert state() == before


@pytest.mark.parametrize("who", ["outsider", "elsewhere"])
def test_people_without_a_role_in_the_agreement_get_403(client, world, commitment, who):
    client.force_login(getattr(world, who))
    before = state()
    assert client.get(page_of(commitment)).status_code == 403
    assert client.post(page_of(commitment), edit_data(commitment, text="X")).status_code == 403
    assert client.post(deliver_url(commitment), {"version": 2}).status_code == 403
    assert state() == before


@pytest.mark.parametrize("who", ["official", "other_negotiator"])
def test_readers_see_the_page_read_only(client, world, commitment, who):
    client.force_login(getattr(world, who))
    before = state()
    response = client.get(page_of(commitment))
    assert response.status_code == 200
    assert commitment.text in response.text
    assert "read only" in response.text
    assert "Mark delivered" not in response.text
    assert 'name="version"' not in response.text
    assert client.post(page_of(commitment), edit_data(commitment, text="X")).status_code == 403
    assert client.post(deliver_url(commitment), {"version": 2}).status_code == 403
    assert state() == before


@pytest.mark.parametrize("who", ["negotiator", "chief", "secretariat"])
def test_those_who_may_change_it_get_the_forms(client, world, commitment, who):
    client.force_login(getattr(world, who))
    response = client.get(page_of(commitment))
    assert response.status_code == 200
    assert "Mark delivered" in response.text
    assert 'name="version" value="2"' in response.text
    assert 'name="initial-text"' in response.text


# --- What it shows -----------------------------------------------------------------------------


def test_the_page_shows_the_commitment_its_history_in_the_readers_zone_and_its_log(
    client, world, commitment
):
    world.official.time_zone = "Asia/Phnom_Penh"
    world.official.save()
    client.force_login(world.official)
    text = client.get(page_of(commitment)).text
    for expected in [
        commitment.text,
        commitment.party.name,
        str(world.negotiator),
        "Fri 15 May 2020",
        "In progress",
        f'href="{world.chapter.get_absolute_url()}"',
        f'href="{world.meeting.get_absolute_url()}"',
        "Pledged → In progress",
        # 03:00 UTC, read in Phnom Penh (UTC+7).
        "Fri 1 May 2020, 10:00 Phnom Penh (UTC+7)",
        "Change log",
        '<span class="audit-field">Status</span>: Pledged → In progress',
    ]:
        assert expected in text, expected


def test_a_joint_commitment_says_all_parties(client, world):
    joint = CommitmentFactory(meeting=world.meeting, text="Meet again in June.")
    client.force_login(world.official)
    text = client.get(page_of(joint)).text
    assert "All parties" in text
    assert "No status change yet" in text


# --- Mark delivered ----------------------------------------------------------------------------


def test_mark_delivered_from_the_version_seen(client, world, commitment):
    client.force_login(world.negotiator)
    response = client.post(deliver_url(commitment), {"version": 2})
    assert response.url == page_of(commitment)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == ("delivered", 3)
    last = CommitmentStatusChange.objects.filter(commitment=commitment).last()
    assert (last.from_status, last.to_status, last.changed_by) == (
        "in_progress",
        "delivered",
        world.negotiator,
    )
    assert "Mark delivered" not in client.get(page_of(commitment)).text


def test_mark_delivered_on_a_stale_version_is_refused(client, world, commitment):
    client.force_login(world.chief)
    before = state()
    response = client.post(deliver_url(commitment), {"version": 1})
    assert response.status_code == 409
    assert "Not marked delivered: someone changed this commitment meanwhile" in response.text
    assert state() == before
    response = client.post(deliver_url(commitment), {})
    assert response.status_code == 400
    assert state() == before


# --- Editing, and two people editing at once ---------------------------------------------------


def test_editing_a_commitment(client, world, commitment):
    client.force_login(world.chief)
    other_chapter = world.other_chapter
    response = client.post(
        page_of(commitment),
        edit_data(commitment, text="Send the full list.", chapter=other_chapter.pk, party=""),
    )
    assert response.url == page_of(commitment)
    commitment.refresh_from_db()
    assert (commitment.text, commitment.chapter, commitment.party, commitment.version) == (
        "Send the full list.",
        other_chapter,
        None,
        3,
    )


@pytest.mark.parametrize(
    ("field", "value_of"),
    [
        ("chapter", lambda w: w.elsewhere_chapter.pk),
        ("party", lambda w: w.elsewhere_agreement.parties.first().pk),
        ("owner", lambda w: w.elsewhere.pk),
    ],
)
def test_another_agreements_choice_is_refused_keeping_what_was_typed(
    client, world, commitment, field, value_of
):
    client.force_login(world.chief)
    before = state()
    response = client.post(
        page_of(commitment), edit_data(commitment, text="Typed", **{field: value_of(world)})
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert "Typed</textarea>" in response.text
    assert state() == before


def test_the_second_of_two_editors_is_refused_sees_both_and_can_apply_theirs_on_top(
    client, world, commitment
):
    """The chief and the negotiator open the page at version 2; the negotiator saves first
    (status); the chief's save (text) is refused, nothing is overwritten, both versions are
    shown, and the chief's form keeps their text on top of the negotiator's status."""
    seen_by_chief = Commitment.objects.get(pk=commitment.pk)
    client.force_login(world.negotiator)
    assert (
        client.post(page_of(commitment), edit_data(commitment, status="dropped")).status_code == 302
    )

    client.force_login(world.chief)
    response = client.post(
        page_of(commitment), edit_data(seen_by_chief, text="Send it by the next round.")
    )
    assert response.status_code == 409
    commitment.refresh_from_db()
    assert (commitment.text, commitment.status, commitment.version) == (
        seen_by_chief.text,
        "dropped",
        3,
    )
    text = response.text
    assert "Not saved: someone changed this commitment" in text
    assert "Your version (not saved)" in text
    assert "Send it by the next round." in text
    assert "Dropped" in text
    form = response.context["form"]
    assert form["text"].value() == "Send it by the next round."
    assert form["status"].value() == "dropped"
    assert str(form["version"].value()) == "3"

    response = client.post(page_of(commitment), dict(form.data.items()))
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.text, commitment.status, commitment.version) == (
        "Send it by the next round.",
        "dropped",
        4,
    )


# --- Recording one outside the outcome screen --------------------------------------------------


def create_url(world):
    return reverse("negotiations:commitment-create", args=[world.agreement.slug])


def create_data(world, **changes):
    data = {
        "meeting": world.meeting.pk,
        "text": "Publish the joint statement.",
        "party": "",
        "owner": world.chief.pk,
        "chapter": "",
        "due_on": "2020-06-01",
    }
    data.update(changes)
    return data


def test_creating_a_commitment_permission_cases(client, world):
    world.secretariat.is_staff = False
    world.secretariat.save()
    url = create_url(world)
    assert client.get(url).url.startswith(reverse("login"))
    for who in ["outsider", "official", "negotiator", "elsewhere"]:
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 403, who
        assert client.post(url, create_data(world)).status_code == 403, who
    assert not Commitment.objects.exists()
    for who in ["chief", "secretariat"]:
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 200, who


def test_creating_a_commitment(client, world):
    client.force_login(world.chief)
    page = client.get(f"{create_url(world)}?meeting={world.other_meeting.pk}")
    assert page.context["form"]["meeting"].value() == world.other_meeting.pk
    response = client.post(create_url(world), create_data(world, chapter=world.chapter.pk))
    made = Commitment.objects.get(text="Publish the joint statement.")
    assert response.url == page_of(made)
    assert (made.meeting, made.chapter, made.party, made.status) == (
        world.meeting,
        world.chapter,
        None,
        "pledged",
    )
    assert AuditEntry.objects.filter(object_id=str(made.pk), action="create").exists()


@pytest.mark.parametrize(
    ("field", "value_of"),
    [
        ("meeting", lambda w: w.elsewhere_meeting.pk),
        ("chapter", lambda w: w.elsewhere_chapter.pk),
        ("due_on", lambda w: "2020-01-01"),
    ],
)
def test_creating_refuses_on_the_field_concerned(client, world, field, value_of):
    client.force_login(world.chief)
    response = client.post(create_url(world), create_data(world, **{field: value_of(world)}))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert "Publish the joint statement." in response.text
    assert not Commitment.objects.exists()


# --- Linked from wherever commitments are listed -----------------------------------------------


def test_every_list_of_commitments_links_to_their_pages(client, world, commitment):
    overdue = CommitmentFactory(
        meeting=world.other_meeting, text="Overdue one", due_on=dt.date(2020, 1, 1)
    )
    client.force_login(world.official)
    agreement = client.get(world.agreement.get_absolute_url()).text
    panel = agreement.split('id="commitments"')[1]
    assert panel.index(page_of(overdue)) < panel.index(page_of(commitment))
    assert "2 open commitments" in panel
    assert page_of(commitment) in client.get(world.meeting.get_absolute_url()).text
    assert page_of(commitment) in client.get(world.chapter.get_absolute_url()).text
    table = client.get(reverse("dashboards:commitments", args=[world.agreement.slug])).text
    assert page_of(commitment) in table
    assert page_of(overdue) in table


def test_the_chapter_page_lists_its_own_commitments(client, world):
    # Made at the other group's meeting, about this chapter: it is this chapter's.
    mine = CommitmentFactory(meeting=world.other_meeting, chapter=world.chapter, text="Mine")
    # Made at this group's meeting, about the other chapter: it is not.
    theirs = CommitmentFactory(meeting=world.meeting, chapter=world.other_chapter, text="Theirs")
    client.force_login(world.official)
    text = client.get(world.chapter.get_absolute_url()).text
    assert page_of(mine) in text
    assert page_of(theirs) not in text


# --- Queries -----------------------------------------------------------------------------------


def grown(size):
    """A commitment with `size` status moves (and log entries) in an agreement with `size`
    chapters and people; its chief negotiator and an official."""
    agreement = AgreementFactory()
    chief, official = UserFactory(), UserFactory()
    RoleAssignmentFactory(user=chief, agreement=agreement, role=Role.CHIEF_NEGOTIATOR)
    RoleAssignmentFactory(user=official, agreement=agreement, role=Role.OFFICIAL)
    group = WorkingGroupFactory(agreement=agreement)
    chapters = [ChapterFactory(working_group=group) for _ in range(size)]
    for _ in range(size):
        RoleAssignmentFactory(agreement=agreement, role=Role.NEGOTIATOR)
    meeting = MeetingFactory(agreement=agreement)
    made = create_commitment(meeting=meeting, by=chief, text="Size it", chapter=chapters[0])
    for step in range(size):
        update_commitment(
            commitment=made,
            by=chief,
            text=made.text,
            chapter=chapters[0],
            status="in_progress" if step % 2 == 0 else "pledged",
        )
    return made, chief, official


@pytest.mark.parametrize("viewer", ["chief", "official"])
def test_the_page_runs_a_fixed_number_of_queries(client, viewer):
    counts = []
    for size in (1, 15):
        made, chief, official = grown(size)
        assert made.status_changes.count() == size
        client.force_login(chief if viewer == "chief" else official)
        client.get(page_of(made))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_of(made)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 14


def test_the_dashboard_panel_shows_what_was_open_at_the_as_of_point(client, world, commitment):
    """Delivered since, but open (in progress) on 2 May 2020; made after, so not listed then."""
    update_commitment(
        commitment=commitment,
        by=world.chief,
        text=commitment.text,
        party=commitment.party,
        owner=commitment.owner,
        chapter=commitment.chapter,
        due_on=commitment.due_on,
        status="delivered",
    )
    later = MeetingFactory(
        agreement=world.agreement,
        starts_at=dt.datetime(2020, 6, 1, 2, tzinfo=dt.UTC),
        ends_at=dt.datetime(2020, 6, 1, 4, tzinfo=dt.UTC),
    )
    CommitmentFactory(meeting=later, text="Made in June")
    client.force_login(world.official)
    url = world.agreement.get_absolute_url()
    now = client.get(url).text.split('id="commitments"')[1]
    assert page_of(commitment) not in now
    assert "Made in June" in now
    then = client.get(url, {"as_of": "2020-05-02"}).text.split('id="commitments"')[1]
    assert page_of(commitment) in then
    assert "In progress" in then.split("</ul>")[0]
    assert "Made in June" not in then
