"""The structure editor: working groups and chapters added, renamed, reordered, moved and
removed, each action a small form; refusals come back as a message with the page still usable,
a stale edit names both versions, and a moved chapter keeps its whole history."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.choices import Role
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from tests.secretariat.test_setup import census, count_queries
from workinggroups.models import Chapter, ChapterStatusChange, WorkingGroup
from workinggroups.services import change_chapter_status, update_chapter

pytestmark = pytest.mark.django_db


def url_of(agreement):
    return reverse("secretariat:structure", args=[agreement.slug])


def post(client, agreement, **data):
    return client.post(url_of(agreement), {key: str(value) for key, value in data.items()})


def shown_messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def three(world):
    """Three fresh chapters, in order, in the world's first working group (after its own)."""
    return [
        ChapterFactory(working_group=world.group, title=title, order=order)
        for order, title in enumerate(["Alpha", "Bravo", "Charlie"], start=10)
    ]


def titles_in(group):
    return list(group.chapters.order_by("order", "title").values_list("title", flat=True))


# (action, data built from the world)
ACTIONS = [
    ("add_group", lambda w: {"name": "Digital Trade", "code": "DIG"}),
    ("rename_group", lambda w: {"group": w.group.pk, "name": "Renamed", "code": "REN"}),
    ("remove_group", lambda w: {"group": w.group.pk}),
    ("add_chapter", lambda w: {"group": w.group.pk, "title": "New chapter"}),
    (
        "rename_chapter",
        lambda w: {"chapter": w.chapter.pk, "version": w.chapter.version, "title": "Renamed"},
    ),
    ("move_up", lambda w: {"chapter": w.chapter.pk, "version": w.chapter.version}),
    ("move_down", lambda w: {"chapter": w.chapter.pk, "version": w.chapter.version}),
    (
        "move_to_group",
        lambda w: {
            "chapter": w.chapter.pk,
            "version": w.chapter.version,
            "working_group": w.other_group.pk,
        },
    ),
    ("remove_chapter", lambda w: {"chapter": w.chapter.pk}),
]


# --- Permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_posts_are_sent_to_sign_in(client, world, action, data):
    before = census()
    response = post(client, world.agreement, action=action, **data(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert census() == before


@pytest.mark.parametrize(("action", "data"), ACTIONS)
@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere"])
def test_people_who_do_not_steer_the_agreement_change_nothing(client, world, who, action, data):
    client.force_login(getattr(world, who))
    before = census()
    assert post(client, world.agreement, action=action, **data(world)).status_code == 403
    assert census() == before


def test_the_page_shows_groups_in_order_with_their_chapters(client, world, three):
    WorkingGroup.objects.filter(pk=world.group.pk).update(order=2)
    WorkingGroup.objects.filter(pk=world.other_group.pk).update(order=1)
    client.force_login(world.chief)
    response = client.get(url_of(world.agreement))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g.pk for g in groups] == [world.other_group.pk, world.group.pk]
    assert [c.title for c in groups[1].chapter_list] == [
        world.chapter.title,
        *titles_in(world.group)[1:],
    ]
    content = response.content.decode()
    assert 'class="badge badge-status-under_negotiation"' in content
    # A chapter with a history offers no "Remove"; a fresh one does.
    assert "has a history: cannot be removed" in content
    assert f'name="chapter" value="{three[0].pk}">' in content


# --- Working groups ----------------------------------------------------------------------------


def test_a_working_group_is_added(client, world):
    client.force_login(world.secretariat)
    response = post(client, world.agreement, action="add_group", name="Digital Trade", code="dig")
    group = WorkingGroup.objects.get(agreement=world.agreement, code="DIG")
    assert response.status_code == 302
    assert response["Location"] == f"{url_of(world.agreement)}#group-{group.pk}"
    assert AuditEntry.objects.filter(object_id=str(group.pk), action="create").exists()
    page = client.get(response["Location"])
    assert "Working group Digital Trade added." in shown_messages(page)


def test_a_working_group_whose_code_is_taken_is_refused_keeping_what_was_typed(client, world):
    client.force_login(world.secretariat)
    before = census()
    response = post(
        client, world.agreement, action="add_group", name="Digital Trade", code=world.group.code
    )
    assert response.status_code == 400
    assert census() == before
    assert shown_messages(response)
    content = response.content.decode()
    assert 'value="Digital Trade"' in content
    assert 'id="new-group-name"' in content  # the page is whole, and usable again


def test_a_working_group_without_a_name_is_refused_saying_which_field(client, world):
    client.force_login(world.secretariat)
    response = post(client, world.agreement, action="add_group", name="", code="DIG")
    assert response.status_code == 400
    assert shown_messages(response) == ["Name: This field is required."]


def test_a_working_group_is_renamed(client, world):
    client.force_login(world.secretariat)
    response = post(
        client,
        world.agreement,
        action="rename_group",
        group=world.group.pk,
        name="Rules of Origin",
        code="roo",
    )
    assert response.status_code == 302
    world.group.refresh_from_db()
    assert (world.group.name, world.group.code) == ("Rules of Origin", "ROO")


def test_a_clashing_rename_keeps_what_was_typed(client, world):
    client.force_login(world.secretariat)
    before = census()
    response = post(
        client,
        world.agreement,
        action="rename_group",
        group=world.group.pk,
        name=world.other_group.name,
        code="NEW",
    )
    assert response.status_code == 400
    assert census() == before
    assert 'value="NEW"' in response.content.decode()


def test_an_empty_working_group_is_removed(client, world):
    empty = WorkingGroupFactory(agreement=world.agreement)
    client.force_login(world.secretariat)
    response = post(client, world.agreement, action="remove_group", group=empty.pk)
    assert response.status_code == 302
    assert not WorkingGroup.objects.filter(pk=empty.pk).exists()


def test_a_working_group_holding_chapters_is_not_removed(client, world):
    client.force_login(world.secretariat)
    before = census()
    response = post(client, world.agreement, action="remove_group", group=world.group.pk)
    assert response.status_code == 400
    assert census() == before
    assert shown_messages(response) == [
        f"Move or remove the chapters of {world.group.name} before removing it."
    ]


# --- Chapters ----------------------------------------------------------------------------------


def test_a_chapter_is_added_at_the_end_of_its_group(client, world, three):
    client.force_login(world.secretariat)
    response = post(
        client, world.agreement, action="add_chapter", group=world.group.pk, title="Delta"
    )
    assert response.status_code == 302
    assert titles_in(world.group)[-1] == "Delta"


def test_a_chapter_title_taken_in_its_group_is_refused_keeping_what_was_typed(client, world):
    client.force_login(world.secretariat)
    before = census()
    response = post(
        client,
        world.agreement,
        action="add_chapter",
        group=world.group.pk,
        title=world.chapter.title,
    )
    assert response.status_code == 400
    assert census() == before
    content = response.content.decode()
    assert f'id="new-chapter-{world.group.pk}" name="title" value="{world.chapter.title}"' in (
        content
    )


def test_a_chapter_is_renamed(client, world):
    client.force_login(world.secretariat)
    response = post(
        client,
        world.agreement,
        action="rename_chapter",
        chapter=world.chapter.pk,
        version=world.chapter.version,
        title="Rules of Origin",
    )
    assert response.status_code == 302
    world.chapter.refresh_from_db()
    assert world.chapter.title == "Rules of Origin"
    assert world.chapter.version == 2


def test_a_stale_rename_is_refused_naming_both_versions(client, world):
    seen = world.chapter.version
    update_chapter(chapter=world.chapter, title="Saved meanwhile", by=world.chief)
    client.force_login(world.secretariat)
    before = census()

    response = post(
        client,
        world.agreement,
        action="rename_chapter",
        chapter=world.chapter.pk,
        version=seen,
        title="Mine",
    )

    assert response.status_code == 409
    assert census() == before
    (message,) = shown_messages(response)
    assert f"Saved now: version {seen + 1}, “Saved meanwhile”" in message
    assert f"Yours: version {seen}, renamed “Mine”" in message
    # The page shows the saved version, to start again from.
    content = response.content.decode()
    assert f'name="version" value="{seen + 1}"' in content
    world.chapter.refresh_from_db()
    assert world.chapter.title == "Saved meanwhile"


def test_chapters_move_up_and_down_within_their_group(client, world, three):
    alpha, _, charlie = three
    client.force_login(world.secretariat)

    response = post(
        client, world.agreement, action="move_down", chapter=alpha.pk, version=alpha.version
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#chapter-{alpha.pk}")
    assert titles_in(world.group)[1:] == ["Bravo", "Alpha", "Charlie"]

    charlie.refresh_from_db()
    post(client, world.agreement, action="move_up", chapter=charlie.pk, version=charlie.version)
    assert titles_in(world.group)[1:] == ["Bravo", "Charlie", "Alpha"]


def test_chapters_of_equal_order_still_move(client, world):
    group = WorkingGroupFactory(agreement=world.agreement)
    _, second = (ChapterFactory(working_group=group, title=t, order=0) for t in "AB")
    client.force_login(world.secretariat)
    post(client, world.agreement, action="move_up", chapter=second.pk, version=second.version)
    assert titles_in(group) == ["B", "A"]


def test_the_top_chapter_cannot_move_up(client, world, three):
    first = Chapter.objects.filter(working_group=world.group).order_by("order", "title").first()
    client.force_login(world.secretariat)
    before = census()
    response = post(
        client, world.agreement, action="move_up", chapter=first.pk, version=first.version
    )
    assert response.status_code == 400
    assert census() == before
    assert "already at the top" in shown_messages(response)[0]


def test_a_stale_move_is_refused_naming_both_versions(client, world, three):
    alpha = three[0]
    update_chapter(chapter=alpha, title="Alpha prime", by=world.chief)
    client.force_login(world.secretariat)
    before = census()
    response = post(client, world.agreement, action="move_down", chapter=alpha.pk, version=1)
    assert response.status_code == 409
    assert census() == before
    (message,) = shown_messages(response)
    assert "Saved now: version 2" in message
    assert "Yours: version 1, moved down" in message


def test_a_chapter_moved_to_another_group_keeps_its_history(client, world):
    chapter = world.chapter
    change_chapter_status(chapter=chapter, to_status="agreed_in_principle", by=world.chief)
    chapter.refresh_from_db()
    history = list(chapter.status_changes.values_list("pk", flat=True))
    points = list(chapter.contested_points.values_list("pk", flat=True))
    assert history
    assert points
    client.force_login(world.secretariat)
    dashboard = reverse("dashboards:agreement", args=[world.agreement.slug])
    total_before = client.get(dashboard).context["counts"]["total"]

    response = post(
        client,
        world.agreement,
        action="move_to_group",
        chapter=chapter.pk,
        version=chapter.version,
        working_group=world.other_group.pk,
    )

    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.working_group == world.other_group
    assert titles_in(world.other_group)[-1] == chapter.title
    assert list(chapter.status_changes.values_list("pk", flat=True)) == history
    assert ChapterStatusChange.objects.filter(pk__in=history, chapter=chapter).count() == len(
        history
    )
    assert list(chapter.contested_points.values_list("pk", flat=True)) == points
    page = client.get(dashboard)
    assert page.context["counts"]["total"] == total_before
    shown = next(c for c in page.context["chapters"] if c.pk == chapter.pk)
    assert shown.working_group == world.other_group
    assert shown.status_at == "agreed_in_principle"


def test_a_chapter_cannot_move_to_another_agreements_group(client, world):
    elsewhere = WorkingGroup.objects.filter(agreement=world.elsewhere_agreement).first()
    client.force_login(world.secretariat)
    before = census()
    response = post(
        client,
        world.agreement,
        action="move_to_group",
        chapter=world.chapter.pk,
        version=world.chapter.version,
        working_group=elsewhere.pk,
    )
    assert response.status_code == 400
    assert census() == before
    assert "no longer there" in shown_messages(response)[0]


def test_another_agreements_chapter_cannot_be_touched(client, world):
    client.force_login(world.secretariat)
    before = census()
    chapter = world.elsewhere_chapter
    for action in ("rename_chapter", "move_up", "remove_chapter"):
        response = post(
            client,
            world.agreement,
            action=action,
            chapter=chapter.pk,
            version=chapter.version,
            title="Hijacked",
        )
        assert response.status_code == 400
        assert "This chapter is no longer there" in shown_messages(response)[0]
    assert census() == before


def test_a_chapter_without_history_is_removed(client, world, three):
    client.force_login(world.secretariat)
    response = post(client, world.agreement, action="remove_chapter", chapter=three[1].pk)
    assert response.status_code == 302
    assert not Chapter.objects.filter(pk=three[1].pk).exists()


def test_a_chapter_with_history_is_not_removed(client, world):
    client.force_login(world.secretariat)
    before = census()
    response = post(client, world.agreement, action="remove_chapter", chapter=world.chapter.pk)
    assert response.status_code == 400
    assert census() == before
    assert shown_messages(response) == [
        f"{world.chapter.title} has a history: it can be renamed or moved, not removed."
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "explode"},
        {},
    ],
)
def test_an_unknown_action_is_a_bad_request(client, world, data):
    client.force_login(world.secretariat)
    assert client.post(url_of(world.agreement), data).status_code == 400


@pytest.mark.parametrize(
    "data",
    [
        {"action": "rename_chapter", "chapter": "x", "version": "1", "title": "T"},
        {"action": "rename_chapter", "chapter": "1", "version": "old", "title": "T"},
        {"action": "move_to_group", "chapter": "1", "version": "1", "working_group": "-1"},
        {"action": "remove_group", "group": "9999999"},
    ],
)
def test_tampered_posts_are_refused_with_a_message(client, world, data):
    client.force_login(world.secretariat)
    before = census()
    response = client.post(url_of(world.agreement), data)
    assert response.status_code == 400
    assert shown_messages(response)
    assert census() == before


def test_hostile_titles_are_shown_as_text(client, world):
    hostile = '<script>alert("x")</script>'
    client.force_login(world.secretariat)
    post(client, world.agreement, action="add_chapter", group=world.group.pk, title=hostile)
    content = client.get(url_of(world.agreement)).content.decode()
    assert hostile not in content
    assert "&lt;script&gt;" in content


def test_the_editor_runs_a_fixed_number_of_queries_with_histories(client, db):
    def build(size):
        user = UserFactory()
        agreement = AgreementFactory()
        RoleAssignmentFactory(agreement=agreement, user=user, role=Role.CHIEF_NEGOTIATOR)
        for g in range(size):
            group = WorkingGroupFactory(agreement=agreement, order=g)
            for c in range(size):
                chapter = ChapterFactory(working_group=group, order=c)
                if c % 2:
                    change_chapter_status(chapter=chapter, to_status="under_negotiation")
        return user, agreement

    counts = []
    for size in (1, 8):
        user, agreement = build(size)
        client.force_login(user)
        counts.append(count_queries(client, url_of(agreement)))
    assert counts[0] == counts[1]
