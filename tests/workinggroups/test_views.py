"""Chapter and contested-point pages and actions: the four permission cases for each, conflicts,
bad input and hostile text."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from workinggroups.choices import ContestedPointState
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint, Position

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def census():
    """Everything an action could change, to assert that a refusal changed nothing."""
    return (
        list(Chapter.objects.order_by("pk").values_list("status", "version")),
        ChapterStatusChange.objects.count(),
        list(ContestedPoint.objects.order_by("pk").values_list("title", "state", "version")),
        Position.objects.count(),
        AuditEntry.objects.count(),
    )


# (name, method, url of the world, POST data of the world)
ACTIONS = [
    (
        "chapter-status",
        "post",
        lambda w: reverse("workinggroups:chapter-status", args=[w.chapter.pk]),
        lambda w: {"to_status": "agreed", "version": w.chapter.version, "note": "Closed."},
    ),
    (
        "contestedpoint-create",
        "post",
        lambda w: reverse("workinggroups:contestedpoint-create", args=[w.chapter.pk]),
        lambda w: {"title": "Cumulation", "target_date": ""},
    ),
    (
        "contestedpoint-update",
        "post",
        lambda w: reverse("workinggroups:contestedpoint-update", args=[w.point.pk]),
        lambda w: {"title": "Renamed", "version": w.point.version},
    ),
    (
        "contestedpoint-resolve",
        "post",
        lambda w: reverse("workinggroups:contestedpoint-resolve", args=[w.point.pk]),
        lambda w: {
            "resolution": "Split the difference.",
            "resolved_on": "2020-06-10",
            "version": w.point.version,
        },
    ),
    (
        "contestedpoint-escalate",
        "post",
        lambda w: reverse("workinggroups:contestedpoint-escalate", args=[w.point.pk]),
        lambda w: {"note": "Stuck.", "version": w.point.version},
    ),
]
PAGES = [
    ("chapter-detail", lambda w: reverse("workinggroups:chapter-detail", args=[w.chapter.pk])),
    (
        "contestedpoint-detail",
        lambda w: reverse("workinggroups:contestedpoint-detail", args=[w.point.pk]),
    ),
    (
        "contestedpoint-create",
        lambda w: reverse("workinggroups:contestedpoint-create", args=[w.chapter.pk]),
    ),
    (
        "contestedpoint-update",
        lambda w: reverse("workinggroups:contestedpoint-update", args=[w.point.pk]),
    ),
]
ACTION_IDS = [name for name, *_ in ACTIONS]


@pytest.mark.parametrize(("name", "method", "url", "data"), ACTIONS, ids=ACTION_IDS)
def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, world, name, method, url, data):
    before = census()
    response = client.post(url(world), data(world))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert census() == before


@pytest.mark.parametrize("who", ["official", "outsider"])
@pytest.mark.parametrize(("name", "method", "url", "data"), ACTIONS, ids=ACTION_IDS)
def test_signed_in_without_permission_gets_403_and_nothing_changes(
    client, world, who, name, method, url, data
):
    before = census()
    client.force_login(getattr(world, who))
    assert client.post(url(world), data(world)).status_code == 403
    assert census() == before


@pytest.mark.parametrize("who", ["other_negotiator", "elsewhere"])
@pytest.mark.parametrize(("name", "method", "url", "data"), ACTIONS, ids=ACTION_IDS)
def test_permission_on_another_group_or_agreement_only_gets_403(
    client, world, who, name, method, url, data
):
    before = census()
    client.force_login(getattr(world, who))
    assert client.post(url(world), data(world)).status_code == 403
    assert census() == before


@pytest.mark.parametrize("who", ["negotiator", "chief", "secretariat"])
@pytest.mark.parametrize(("name", "method", "url", "data"), ACTIONS, ids=ACTION_IDS)
def test_with_permission_the_action_works(client, world, who, name, method, url, data):
    before = census()
    client.force_login(getattr(world, who))
    response = client.post(url(world), data(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert census() != before
    assert AuditEntry.objects.filter(actor=getattr(world, who)).exists()


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[name for name, _ in PAGES])
def test_pages_four_cases(client, world, name, url):
    assert client.get(url(world)).url.startswith(reverse("login"))
    client.force_login(world.outsider)
    assert client.get(url(world)).status_code == 403
    client.force_login(world.elsewhere)
    assert client.get(url(world)).status_code == 403
    client.force_login(world.negotiator)
    assert client.get(url(world)).status_code == 200


def test_official_reads_the_chapter_but_gets_no_form(client, world):
    client.force_login(world.official)
    response = client.get(reverse("workinggroups:chapter-detail", args=[world.chapter.pk]))
    assert response.status_code == 200
    assert world.chapter.title in response.text
    assert 'name="to_status"' not in response.text
    response = client.get(reverse("workinggroups:contestedpoint-update", args=[world.point.pk]))
    assert response.status_code == 403


def test_chapter_page_shows_history_points_positions_meetings_and_log(client, world):
    from tests.factories import CommitmentFactory, DeadlineFactory

    Position.objects.create(
        contested_point=world.point, party=world.agreement.parties.first(), text="Keep 40% RVC."
    )
    DeadlineFactory(agreement=world.agreement, working_group=world.group, title="Close by May")
    CommitmentFactory(meeting=world.meeting, text="Send the product list.")
    client.force_login(world.negotiator)
    client.post(
        reverse("workinggroups:chapter-status", args=[world.chapter.pk]),
        {"to_status": "agreed_in_principle", "version": 1, "meeting": world.meeting.pk,
         "note": "Key elements agreed."},
    )  # fmt: skip
    response = client.get(reverse("workinggroups:chapter-detail", args=[world.chapter.pk]))
    text = response.text
    for expected in ["Key elements agreed.", world.meeting.title, "Under negotiation → Agreed in "
                     "principle", world.point.title, "Keep 40% RVC.", "Close by May",
                     "Send the product list.", "Change log"]:  # fmt: skip
        assert expected in text


def test_status_change_in_place_returns_only_the_panel_to_htmx(client, world):
    client.force_login(world.negotiator)
    response = client.post(
        reverse("workinggroups:chapter-status", args=[world.chapter.pk]),
        {"to_status": "agreed", "version": 1, "note": "Closed ad referendum."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="status-panel"' in response.text
    assert "Closed ad referendum." in response.text
    world.chapter.refresh_from_db()
    assert (world.chapter.status, world.chapter.version) == ("agreed", 2)


def test_moving_backwards_without_a_note_is_refused_with_a_message(client, world):
    client.force_login(world.negotiator)
    url = reverse("workinggroups:chapter-status", args=[world.chapter.pk])
    response = client.post(
        url, {"to_status": "not_started", "version": 1}, headers={"HX-Request": "true"}
    )
    assert "Moving a chapter backwards needs a note" in response.text
    world.chapter.refresh_from_db()
    assert world.chapter.status == "under_negotiation"
    response = client.post(url, {"to_status": "not_started", "version": 1, "note": "Reopened."})
    assert response.status_code == 302
    world.chapter.refresh_from_db()
    assert world.chapter.status == "not_started"


def test_second_save_of_a_chapter_is_refused_showing_both_versions(client, world):
    url = reverse("workinggroups:chapter-status", args=[world.chapter.pk])
    client.force_login(world.chief)
    client.post(url, {"to_status": "agreed", "version": 1, "note": "Chief: agreed."})

    client.force_login(world.negotiator)
    response = client.post(
        url,
        {"to_status": "agreed_in_principle", "version": 1, "note": "Mine: in principle."},
        headers={"HX-Request": "true"},
    )

    text = response.text
    assert "Not saved" in text
    assert "Your version (not saved)" in text
    assert "Saved version" in text
    assert "Agreed in principle" in text
    assert "Chief: agreed." in text
    assert "Mine: in principle." in text  # what was typed is kept
    world.chapter.refresh_from_db()
    assert (world.chapter.status, world.chapter.version) == ("agreed", 2)
    assert ChapterStatusChange.objects.filter(chapter=world.chapter).count() == 1
    # Without htmx the page says so with 409.
    response = client.post(url, {"to_status": "concluded", "version": 1, "note": "x"})
    assert response.status_code == 409


def test_second_save_of_a_contested_point_is_refused_showing_both_versions(client, world):
    url = reverse("workinggroups:contestedpoint-update", args=[world.point.pk])
    party = world.agreement.parties.first()
    client.force_login(world.chief)
    client.post(url, {"title": "Chief's title", "version": 1, f"position_{party.pk}": "Theirs"})

    client.force_login(world.negotiator)
    response = client.post(url, {"title": "My title", "version": 1, f"position_{party.pk}": "Mine"})

    assert response.status_code == 409
    assert "Chief&#x27;s title" in response.text
    assert "My title" in response.text
    assert "Theirs" in response.text
    assert "Mine" in response.text
    world.point.refresh_from_db()
    assert (world.point.title, world.point.version) == ("Chief's title", 2)
    assert Position.objects.get(contested_point=world.point).text == "Theirs"


def test_after_a_conflict_saving_again_keeps_what_the_other_person_changed(client, world):
    """The form re-shown after a conflict lays the person's own changes over the saved
    version, so saving it again does not undo the other person's edit of another field."""
    url = reverse("workinggroups:contestedpoint-update", args=[world.point.pk])
    cambodia, china = world.agreement.parties.order_by("code")
    started_from = {
        "title": world.point.title,
        "description": "",
        "owner": "",
        "target_date": "",
        f"position_{cambodia.pk}": "",
        f"position_{china.pk}": "",
    }
    form = {**started_from, **{f"initial-{k}": v for k, v in started_from.items()}, "version": 1}
    client.force_login(world.chief)
    assert client.post(url, {**form, f"position_{china.pk}": "China's text"}).status_code == 302

    client.force_login(world.negotiator)
    refused = client.post(url, {**form, f"position_{cambodia.pk}": "Cambodia's text"})
    assert refused.status_code == 409
    again = refused.context["form"]
    assert again[f"position_{cambodia.pk}"].value() == "Cambodia's text"
    assert again[f"position_{china.pk}"].value() == "China's text"
    assert again["version"].value() == 2

    # Saving what was shown again keeps both parties' texts.
    resubmitted = {name: again[name].value() or "" for name in again.fields}
    resubmitted.update(
        {
            again[name].html_initial_name: again.data[again[name].html_initial_name]
            for name in again.editable_fields()
        }
    )
    assert client.post(url, resubmitted).status_code == 302
    texts = dict(
        Position.objects.filter(contested_point=world.point).values_list("party__code", "text")
    )
    assert texts == {cambodia.code: "Cambodia's text", china.code: "China's text"}


def test_resolving_a_point_changed_meanwhile_is_refused(client, world):
    client.force_login(world.negotiator)
    client.post(
        reverse("workinggroups:contestedpoint-escalate", args=[world.point.pk]),
        {"version": 1},
    )
    client.force_login(world.chief)
    response = client.post(
        reverse("workinggroups:contestedpoint-resolve", args=[world.point.pk]),
        {"version": 1, "resolved_on": "2020-06-10", "resolution": "Typed resolution"},
    )
    assert response.status_code == 409
    assert "Typed resolution" in response.text
    world.point.refresh_from_db()
    assert world.point.state == ContestedPointState.ESCALATED


def test_an_escalated_point_is_the_chief_negotiators_to_resolve(client, world):
    client.force_login(world.negotiator)
    escalate = reverse("workinggroups:contestedpoint-escalate", args=[world.point.pk])
    resolve = reverse("workinggroups:contestedpoint-resolve", args=[world.point.pk])
    client.post(escalate, {"version": 1, "note": "Needs a political decision."})
    response = client.post(resolve, {"version": 2, "resolved_on": "2020-06-10"})
    assert response.status_code == 403
    client.force_login(world.chief)
    assert client.post(resolve, {"version": 2, "resolved_on": "2020-06-10"}).status_code == 302
    world.point.refresh_from_db()
    assert world.point.state == ContestedPointState.RESOLVED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_status": "signed"}, "not (or no longer) available"),
        ({"to_status": "agreed", "note": "x" * 2001}, "at most 2000 characters"),
        ({"to_status": "agreed", "meeting": "elsewhere"}, "Choose a meeting of this agreement"),
    ],
    ids=["stale-choice", "over-long-note", "meeting-of-another-agreement"],
)
def test_bad_status_input_gets_a_clear_message_and_keeps_what_was_typed(
    client, world, data, message
):
    if data.get("meeting") == "elsewhere":
        data["meeting"] = world.elsewhere_meeting.pk
    client.force_login(world.negotiator)
    before = census()
    response = client.post(
        reverse("workinggroups:chapter-status", args=[world.chapter.pk]),
        {"version": 1, "note": "Typed note", **data},
    )
    assert response.status_code == 400
    assert message in response.text
    assert ("Typed note" in response.text) or ("xxxxxxxx" in response.text)
    assert census() == before


def test_contested_point_dates_out_of_order_are_refused(client, world):
    client.force_login(world.negotiator)
    response = client.post(
        reverse("workinggroups:contestedpoint-update", args=[world.point.pk]),
        {"title": "Typed title", "version": 1, "target_date": "2020-01-01"},
    )
    assert response.status_code == 400
    assert "before the point was opened" in response.text
    assert "Typed title" in response.text
    response = client.post(
        reverse("workinggroups:contestedpoint-resolve", args=[world.point.pk]),
        {"version": 1, "resolved_on": "2019-01-01", "resolution": "Typed"},
    )
    assert response.status_code == 400
    assert "cannot be resolved before it was opened" in response.text
    world.point.refresh_from_db()
    assert world.point.state == ContestedPointState.OPEN


def test_hostile_text_in_notes_and_positions_is_shown_as_text(client, world):
    party = world.agreement.parties.first()
    client.force_login(world.negotiator)
    client.post(
        reverse("workinggroups:chapter-status", args=[world.chapter.pk]),
        {"to_status": "agreed", "version": 1, "note": HOSTILE},
    )
    client.post(
        reverse("workinggroups:contestedpoint-update", args=[world.point.pk]),
        {"title": HOSTILE[:200], "description": HOSTILE, "version": 1,
         f"position_{party.pk}": HOSTILE},
    )  # fmt: skip
    for url in [
        reverse("workinggroups:chapter-detail", args=[world.chapter.pk]),
        reverse("workinggroups:contestedpoint-detail", args=[world.point.pk]),
    ]:
        text = client.get(url).text
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "&lt;script&gt;alert" in text


def test_opening_a_point_records_positions_of_each_party(client, world):
    khm, chn = world.agreement.parties.all()[:2]
    client.force_login(world.negotiator)
    response = client.post(
        reverse("workinggroups:contestedpoint-create", args=[world.chapter.pk]),
        {"title": "De minimis", "target_date": (dt.date.today() + dt.timedelta(days=30)),
         "meeting": world.meeting.pk, f"position_{khm.pk}": "10%", f"position_{chn.pk}": "7%"},
    )  # fmt: skip
    point = ContestedPoint.objects.get(title="De minimis")
    assert response.url == point.get_absolute_url()
    assert dict(point.positions.values_list("party_id", "text")) == {khm.pk: "10%", chn.pk: "7%"}
    assert point.raised_at == world.meeting
