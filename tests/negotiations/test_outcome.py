"""The one-screen meeting outcome: permissions, all-or-nothing, conflicts, and the replay of the
second round of the Cambodia–China talks."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from negotiations.models import Commitment, Meeting
from negotiations.scenario import load_scenario
from tests.test_scenario import statuses_after_round
from workinggroups.choices import ContestedPointState
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint

pytestmark = pytest.mark.django_db


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def outcome_data(*, statuses=(), resolutions=(), points=(), commitments=(), note=""):
    """POST data as the outcome screen sends it; each row is a dict of its fields."""
    data = {"outcome-note": note}
    for prefix, rows in [
        ("statuses", statuses),
        ("resolutions", resolutions),
        ("points", points),
        ("commitments", commitments),
    ]:
        data.update(management(prefix, len(rows), len(rows) if prefix in
                               ("statuses", "resolutions") else 0))  # fmt: skip
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def census():
    return (
        list(Chapter.objects.order_by("pk").values_list("status", "version")),
        ChapterStatusChange.objects.count(),
        list(ContestedPoint.objects.order_by("pk").values_list("state", "version")),
        Commitment.objects.count(),
    )


def a_full_outcome(w):
    return outcome_data(
        statuses=[{"chapter": w.chapter.pk, "version": 1, "to_status": "agreed_in_principle"}],
        resolutions=[{"point": w.point.pk, "version": 1, "resolve": "on", "resolution": "Done"}],
        points=[{"chapter": w.chapter.pk, "title": "Cumulation", "target_date": "2020-05-15"}],
        commitments=[{"text": "Exchange tariff lines.", "due_on": "2020-05-01"}],
        note="Reported after the meeting.",
    )


def url_of(meeting):
    return reverse("meetings:outcome", args=[meeting.pk])


def test_anonymous_is_sent_to_sign_in(client, world):
    before = census()
    for response in [
        client.get(url_of(world.meeting)),
        client.post(url_of(world.meeting), a_full_outcome(world)),
    ]:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert census() == before


@pytest.mark.parametrize("who", ["official", "outsider"])
def test_signed_in_without_permission_gets_403_and_nothing_changes(client, world, who):
    before = census()
    client.force_login(getattr(world, who))
    assert client.get(url_of(world.meeting)).status_code == 403
    assert client.post(url_of(world.meeting), a_full_outcome(world)).status_code == 403
    assert census() == before


@pytest.mark.parametrize("who", ["other_negotiator", "elsewhere"])
def test_permission_on_another_group_or_agreement_only_gets_403(client, world, who):
    before = census()
    client.force_login(getattr(world, who))
    assert client.get(url_of(world.meeting)).status_code == 403
    assert client.post(url_of(world.meeting), a_full_outcome(world)).status_code == 403
    assert census() == before


@pytest.mark.parametrize("who", ["negotiator", "chief", "secretariat"])
def test_with_permission_everything_is_saved_together(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(url_of(world.meeting)).status_code == 200

    response = client.post(url_of(world.meeting), a_full_outcome(world))

    assert response.status_code == 302, response.content.decode()[:3000]
    world.chapter.refresh_from_db()
    assert world.chapter.status == "agreed_in_principle"
    change = world.chapter.status_changes.get()
    assert (change.meeting, change.note) == (world.meeting, "Reported after the meeting.")
    assert change.effective_at == world.meeting.ends_at
    world.point.refresh_from_db()
    assert world.point.state == ContestedPointState.RESOLVED
    assert world.point.resolved_on == dt.date(2020, 4, 8)
    new = ContestedPoint.objects.get(title="Cumulation")
    assert (new.raised_at, new.opened_on) == (world.meeting, dt.date(2020, 4, 8))
    commitment = Commitment.objects.get(meeting=world.meeting)
    assert commitment.party is None


def test_a_negotiator_sees_and_may_change_only_the_chapters_of_their_group(client, world):
    world.meeting.working_groups.add(world.other_group)  # a meeting of both groups
    client.force_login(world.negotiator)
    page = client.get(url_of(world.meeting)).text
    assert world.chapter.title in page
    assert world.other_chapter.title not in page

    before = census()
    data = outcome_data(
        statuses=[
            {"chapter": world.chapter.pk, "version": 1, "to_status": "agreed"},
            {"chapter": world.other_chapter.pk, "version": 1, "to_status": "agreed"},
        ]
    )
    response = client.post(url_of(world.meeting), data)
    assert response.status_code == 400
    assert "not (or no longer) available" in response.text
    assert census() == before


def test_one_refused_row_saves_nothing_at_all(client, world):
    client.force_login(world.chief)
    before = census()
    data = a_full_outcome(world)
    # A backwards move without a note is refused, after the other rows were tried.
    data["outcome-note"] = ""
    data["statuses-0-to_status"] = "not_started"
    response = client.post(url_of(world.meeting), data)
    assert response.status_code == 400
    assert "Moving a chapter backwards needs a note" in response.text
    assert census() == before
    assert "Exchange tariff lines." in response.text  # what was typed is kept


def test_a_row_changed_meanwhile_is_refused_with_both_versions_and_nothing_saved(client, world):
    from workinggroups.services import change_chapter_status

    client.force_login(world.negotiator)
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.chief)
    before = census()

    response = client.post(url_of(world.meeting), a_full_outcome(world))

    assert response.status_code == 409
    assert "Saved now: “Agreed” (version 2)" in response.text
    assert "Yours: “Agreed in principle” (on version 1)" in response.text
    assert census() == before
    assert 'name="statuses-0-version" value="2"' in response.text


def test_dates_out_of_order_and_empty_outcomes_are_refused_clearly(client, world):
    client.force_login(world.negotiator)
    data = outcome_data(
        points=[{"chapter": world.chapter.pk, "title": "Old", "target_date": "2019-01-01"}],
        commitments=[{"text": "Late", "due_on": "2019-01-01"}],
    )
    response = client.post(url_of(world.meeting), data)
    assert "The target date is before the meeting" in response.text
    assert "The due date is before the meeting" in response.text
    assert Commitment.objects.count() == 0
    response = client.post(url_of(world.meeting), outcome_data())
    assert "Nothing to save" in response.text


def test_htmx_adds_a_row_and_bumps_the_form_count(client, world):
    client.force_login(world.negotiator)
    response = client.get(
        url_of(world.meeting), {"add": "commitments", "index": 2}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text
    assert 'name="commitments-2-text"' in response.text
    assert 'id="id_commitments-TOTAL_FORMS"' in response.text
    assert 'value="3"' in response.text


def test_the_outcome_page_has_no_inline_script(client, world):
    client.force_login(world.chief)
    response = client.get(url_of(world.meeting))
    assert "<script>" not in response.text
    assert " onclick=" not in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- The seed replayed through the outcome screen ------------------------------------------------


def fixture_data():
    return json.loads(
        (Path(settings.BASE_DIR) / "fixtures" / "cambodia_china_fta.json").read_text("utf-8")
    )


def per_chapter(agreement, number):
    return {
        title: (chapter.status_then, chapter.contested_then)
        for title, chapter in statuses_after_round(agreement, number).items()
    }


def test_round_two_replayed_through_the_outcome_screen_matches_the_fixture(client, db):
    from django.contrib.auth import get_user_model

    data = fixture_data()
    # What the fixture has after round 2, measured and then rolled back.
    with transaction.atomic():
        expected = per_chapter(load_scenario(data), 2)
        transaction.set_rollback(True)

    # The state after round 1: its history only, nothing raised yet.
    after_round_one = {
        **data,
        "status_history": data["status_history"][:1],
        "contested_points": [],
        "deadlines": [],
        "commitments": [],
    }
    agreement = load_scenario(after_round_one)
    chief = get_user_model().objects.create_user("chief", "chief@example.org", "x" * 16)
    agreement.roles.create(user=chief, role="chief_negotiator")
    meeting = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)

    client.force_login(chief)
    page = client.get(url_of(meeting))
    assert page.status_code == 200
    chapters = list(page.context["forms"].chapters)
    moves = {
        code: to_status
        for to_status, codes in data["status_history"][1]["moves"].items()
        for code in codes
    }
    statuses = [
        {"chapter": c.pk, "version": c.version, "to_status": moves.get(c.working_group.code, "")}
        for c in chapters
    ]
    points = [
        {"chapter": Chapter.objects.get(title=item["chapter"]).pk, "title": item["title"],
         "target_date": item["target_date"]}
        for item in data["contested_points"]
    ]  # fmt: skip
    response = client.post(
        url_of(meeting),
        outcome_data(statuses=statuses, points=points, note=data["status_history"][1]["note"]),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert per_chapter(agreement, 2) == expected
