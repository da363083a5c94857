"""One door for every write: the administration site edits chapters, contested points and
commitments (every record with a version column) through the services the pages use, with the
version its form showed, so a save based on an older version is refused with both versions
shown and nothing written.

The other doors have their own stale-edit tests, referenced rather than repeated here: the
chapter and point pages (tests/workinggroups/test_views.py, test_concurrency.py), the
commitment page (tests/negotiations/test_commitment_page.py), the meeting outcome screen
(tests/negotiations/test_outcome.py), the structure editor (tests/secretariat/test_structure.py)
and the records without a version column (tests/test_stale_edits.py). The last section proves,
for every model with a version column, that no door writes it without the version.
"""

import ast
import datetime as dt
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from negotiations.admin.versions import VersionCheckedAdmin, VersionCheckedForm
from negotiations.models import Commitment, CommitmentStatusChange
from negotiations.services import mark_commitment_delivered, update_commitment
from tests.factories import CommitmentFactory
from tests.test_stale_edits import _Forms
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint, Position
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    escalate_contested_point,
    resolve_contested_point,
    update_chapter,
    update_contested_point,
)

pytestmark = pytest.mark.django_db

REFUSAL = "Not saved: someone changed this meanwhile."


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)


@pytest.fixture
def signed_in(client, root):
    client.force_login(root)
    return client


def admin_form(response) -> dict:
    """The page's admin form as a browser posts it: every field, the hidden version and the
    values the page showed (`initial-…`), as a dict of lists."""
    parser = _Forms()
    parser.feed(response.content.decode())
    for fields in parser.forms:
        data = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        if any(name == "version" or name.endswith("-version") for name in data):
            return data
    raise AssertionError("no form carrying a version on the page")


def typed(data: dict, **changes) -> dict:
    return {**data, **{name: [value] for name, value in changes.items()}}


def change_url(record) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


def written() -> tuple:
    """What a refused save must leave as it was: the audit trail and both histories."""
    return (
        AuditEntry.objects.count(),
        ChapterStatusChange.objects.count(),
        CommitmentStatusChange.objects.count(),
    )


# --- A stale save is refused for each versioned model -------------------------------------------


@dataclass
class Case:
    """A versioned record, someone else's change through a page's service, and the admin's
    own edit made on a form opened before it."""

    record: Callable
    theirs: Callable
    mine: dict
    saved_now: str
    yours: str
    unchanged: Callable


def _chapter_case(world):
    return Case(
        record=lambda: world.chapter,
        # The negotiator moves the chapter on its page.
        theirs=lambda chapter: change_chapter_status(
            chapter=chapter,
            to_status="agreed_in_principle",
            by=world.negotiator,
            note="Agreed in principle at the second round.",
            expected_version=1,
        ),
        mine={"title": "Renamed in the admin"},
        saved_now="Agreed in principle",
        yours="Under negotiation",
        unchanged=lambda chapter: (chapter.status, chapter.title != "Renamed in the admin"),
    )


def _point_case(world):
    return Case(
        record=lambda: world.point,
        theirs=lambda point: update_contested_point(
            point=point,
            by=world.negotiator,
            title="Their title",
            description=point.description,
            owner=point.owner,
            target_date=point.target_date,
            expected_version=1,
        ),
        mine={"description": "Typed in the admin"},
        saved_now="Their title",
        yours=world.point.title,
        unchanged=lambda point: (point.title, point.description),
    )


def _commitment_case(world):
    commitment = CommitmentFactory(meeting=world.meeting)
    return Case(
        record=lambda: commitment,
        theirs=lambda c: mark_commitment_delivered(
            commitment=c, by=world.chief, expected_version=1
        ),
        mine={"text": "Typed in the admin"},
        saved_now="Delivered",
        yours="Pledged",
        unchanged=lambda c: (c.status, c.text),
    )


CASES = {"chapter": _chapter_case, "point": _point_case, "commitment": _commitment_case}


@pytest.mark.parametrize("kind", CASES)
def test_a_stale_admin_save_is_refused_with_both_versions_and_nothing_written(
    signed_in, world, kind
):
    case = CASES[kind](world)
    record = case.record()
    url = change_url(record)
    mine = admin_form(signed_in.get(url))
    assert mine["version"] == ["1"]
    case.theirs(type(record).objects.get(pk=record.pk))
    saved = type(record).objects.get(pk=record.pk)
    before = written()

    response = signed_in.post(url, typed(mine, **case.mine))

    assert response.status_code == 200
    page = response.content.decode()
    assert REFUSAL in page
    assert "Saved now: version 2; yours was based on version 1. Nothing was written." in page
    assert f"saved now: {case.saved_now}; yours: {case.yours}" in page
    after = type(record).objects.get(pk=record.pk)
    assert after.version == 2
    assert case.unchanged(after) == case.unchanged(saved)
    assert written() == before
    # The form shown again carries the saved version and keeps what was typed.
    again = admin_form(response)
    assert again["version"] == ["2"]
    for name, value in case.mine.items():
        assert again[name] == [value]


def test_the_issue_a_title_edit_on_an_old_admin_form_no_longer_puts_the_status_back(
    signed_in, world
):
    """The report: an admin form opened before a negotiator's status change, saved after it
    with only the title edited, put the chapter back to its old status with a canned note."""
    url = change_url(world.chapter)
    mine = admin_form(signed_in.get(url))
    change_chapter_status(
        chapter=world.chapter, to_status="agreed", by=world.negotiator, expected_version=1
    )

    refused = signed_in.post(url, typed(mine, title="Trade in Goods"))
    assert refused.status_code == 200
    # Saving the form shown again applies the title on top of the negotiator's status.
    response = signed_in.post(url, admin_form(refused))

    assert response.status_code == 302
    chapter = Chapter.objects.get(pk=world.chapter.pk)
    assert (chapter.title, chapter.status, chapter.version) == ("Trade in Goods", "agreed", 3)
    history = list(chapter.status_changes.values_list("to_status", "changed_by"))
    assert history == [("agreed", world.negotiator.pk)]
    assert not ChapterStatusChange.objects.filter(note__icontains="administration").exists()


def test_a_stale_chapter_row_on_the_working_groups_page_is_refused(signed_in, world):
    url = change_url(world.group)
    mine = admin_form(signed_in.get(url))
    update_chapter(chapter=world.chapter, by=world.chief, title="Their title", expected_version=1)
    before = written()

    response = signed_in.post(url, typed(mine, **{"chapters-0-title": "My title"}))

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert "saved now: Their title; yours: My title" in response.content.decode()
    assert Chapter.objects.get(pk=world.chapter.pk).title == "Their title"
    assert written() == before


def test_a_stale_commitment_row_on_the_meetings_page_is_refused(signed_in, world):
    commitment = CommitmentFactory(meeting=world.meeting)
    url = change_url(world.meeting)
    mine = admin_form(signed_in.get(url))
    mark_commitment_delivered(commitment=commitment, by=world.chief, expected_version=1)
    before = written()

    response = signed_in.post(url, typed(mine, **{"commitments-0-text": "My text"}))

    assert response.status_code == 200
    assert "saved now: Delivered; yours: Pledged" in response.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).text == commitment.text
    assert written() == before


def test_a_save_that_loses_the_race_after_its_form_was_checked_is_refused(
    signed_in, world, monkeypatch
):
    """Someone saves between the form's check and the service's: the service refuses, the
    admin's whole save is rolled back and the form is shown again."""
    import workinggroups.admin as chapter_admin

    def someone_first(**kwargs):
        chapter = Chapter.objects.get(pk=kwargs["chapter"].pk)
        change_chapter_status(chapter=chapter, to_status="agreed", by=world.negotiator)
        return update_chapter(**kwargs)

    monkeypatch.setattr(chapter_admin, "update_chapter", someone_first)
    url = change_url(world.chapter)
    mine = admin_form(signed_in.get(url))
    before = written()

    response = signed_in.post(url, typed(mine, title="Mine", status="concluded"))

    assert response.status_code == 200
    assert "Not saved: someone changed" in response.content.decode()
    chapter = Chapter.objects.get(pk=world.chapter.pk)
    assert (chapter.title, chapter.status, chapter.version) == (
        world.chapter.title,
        "under_negotiation",
        1,
    )
    assert written() == before


# --- A fresh save goes through the service: history and audit -----------------------------------


def test_a_status_changed_in_the_admin_writes_its_history_and_audit(signed_in, world, root):
    url = change_url(world.chapter)
    mine = admin_form(signed_in.get(url))

    response = signed_in.post(url, typed(mine, status="agreed", note="Agreed at the third round."))

    assert response.status_code == 302
    chapter = Chapter.objects.get(pk=world.chapter.pk)
    assert (chapter.status, chapter.version) == ("agreed", 2)
    change = chapter.status_changes.get()
    assert (change.from_status, change.to_status) == ("under_negotiation", "agreed")
    assert (change.note, change.changed_by) == ("Agreed at the third round.", root)
    entries = AuditEntry.objects.filter(actor=root)
    assert {(e.content_type.model, e.action) for e in entries} == {
        ("chapter", "update"),
        ("chapterstatuschange", "create"),
    }


def test_a_backward_move_without_a_note_is_refused_on_the_form_as_on_the_page(signed_in, world):
    url = change_url(world.chapter)
    mine = admin_form(signed_in.get(url))
    before = written()

    response = signed_in.post(url, typed(mine, status="not_started", title="Renamed"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["note"] == ["Moving a chapter backwards needs a note saying why."]
    chapter = Chapter.objects.get(pk=world.chapter.pk)
    assert (chapter.status, chapter.version) == ("under_negotiation", 1)
    assert chapter.title != "Renamed"
    assert written() == before


def test_a_commitment_edited_in_the_admin_keeps_its_status_history(signed_in, world, root):
    commitment = CommitmentFactory(meeting=world.meeting)
    url = change_url(commitment)

    response = signed_in.post(url, typed(admin_form(signed_in.get(url)), status="delivered"))

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == ("delivered", 2)
    move = commitment.status_changes.get()
    assert (move.from_status, move.to_status, move.changed_by) == ("pledged", "delivered", root)
    assert AuditEntry.objects.get(actor=root).action == "update"


def test_a_commitments_source_is_corrected_in_the_admin_through_its_service(signed_in, world, root):
    commitment = CommitmentFactory(meeting=world.meeting, source="Joint press relase")
    url = change_url(commitment)

    response = signed_in.post(
        url, typed(admin_form(signed_in.get(url)), source="Joint press release, 8 April 2020")
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.source, commitment.version) == ("Joint press release, 8 April 2020", 2)
    entry = AuditEntry.objects.get(actor=root)
    assert entry.action == "update"
    assert ("source", "Joint press relase", "Joint press release, 8 April 2020") in entry.changes()


def test_a_point_resolved_in_the_admin_with_a_position_goes_through_its_services(
    signed_in, world, root
):
    party = world.agreement.parties.order_by("pk").first()
    url = change_url(world.point)
    mine = admin_form(signed_in.get(url))

    response = signed_in.post(
        url,
        typed(
            mine,
            state="resolved",
            resolution="Split the difference.",
            **{
                "positions-TOTAL_FORMS": "1",
                "positions-0-party": str(party.pk),
                "positions-0-text": "Ten years.",
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    point = ContestedPoint.objects.get(pk=world.point.pk)
    assert (point.state, point.resolution, point.version) == (
        "resolved",
        "Split the difference.",
        3,
    )
    assert point.resolved_on == timezone.localdate()
    assert Position.objects.get(contested_point=point).text == "Ten years."
    actions = set(
        AuditEntry.objects.filter(actor=root).values_list("content_type__model", "action")
    )
    assert actions == {("contestedpoint", "update"), ("position", "create")}


def test_records_added_in_the_admin_are_created_by_their_services(signed_in, world, root):
    party = world.agreement.parties.order_by("pk").first()

    chapter = signed_in.post(
        reverse("admin:workinggroups_chapter_add"),
        {"working_group": world.group.pk, "title": "Digital Trade", "order": 9},
    )
    point = signed_in.post(
        reverse("admin:workinggroups_contestedpoint_add"),
        {
            "chapter": world.chapter.pk,
            "title": "Data localisation",
            "description": "",
            "owner": "",
            "target_date": "",
            "raised_at": "",
            "opened_on": "2020-04-02",
            "positions-TOTAL_FORMS": "1",
            "positions-INITIAL_FORMS": "0",
            "positions-0-party": str(party.pk),
            "positions-0-text": "No localisation.",
        },
    )

    assert chapter.status_code == 302, chapter.context["adminform"].form.errors
    assert point.status_code == 302, point.context["adminform"].form.errors
    added = Chapter.objects.get(title="Digital Trade")
    opened = ContestedPoint.objects.get(title="Data localisation")
    assert (added.status, added.version) == ("not_started", 1)
    assert (opened.opened_on, opened.state) == (dt.date(2020, 4, 2), "open")
    assert opened.positions.get().text == "No localisation."
    actions = sorted(
        AuditEntry.objects.filter(actor=root).values_list("content_type__model", "action")
    )
    assert actions == [("chapter", "create"), ("contestedpoint", "create"), ("position", "create")]


def test_a_working_group_renamed_in_the_admin_is_audited_once_by_its_service(
    signed_in, world, root
):
    url = change_url(world.group)

    response = signed_in.post(url, typed(admin_form(signed_in.get(url)), name="Rules of Origin"))

    assert response.status_code == 302
    world.group.refresh_from_db()
    assert world.group.name == "Rules of Origin"
    entry = AuditEntry.objects.get(actor=root)
    assert (entry.content_type.model, entry.action) == ("workinggroup", "update")


def test_a_point_offers_only_the_moves_its_services_make(signed_in, world):
    escalate_contested_point(point=world.point, by=world.negotiator, note="Stuck.")
    form = signed_in.get(change_url(world.point)).context["adminform"].form

    assert [value for value, _label in form.fields["state"].choices] == ["escalated", "resolved"]


def test_an_admin_save_that_changes_nothing_writes_nothing(signed_in, world):
    commitment = CommitmentFactory(meeting=world.meeting)
    before = written()

    for record in (world.chapter, world.point, commitment):
        url = change_url(record)
        assert signed_in.post(url, admin_form(signed_in.get(url))).status_code == 302
        assert type(record).objects.get(pk=record.pk).version == 1

    assert written() == before


# --- No door writes a versioned record without its version ---------------------------------------


def versioned_models():
    return [
        model
        for model in apps.get_models()
        if any(field.name == "version" for field in model._meta.concrete_fields)
    ]


def test_the_versioned_models_are_known():
    assert {Chapter, ContestedPoint, Commitment} <= set(versioned_models())


@pytest.mark.parametrize("model", versioned_models(), ids=lambda m: m._meta.label)
def test_every_versioned_model_has_a_version_checked_admin(model, world, root):
    model_admin = admin.site._registry.get(model)
    assert isinstance(model_admin, VersionCheckedAdmin), model
    record = model._default_manager.first() or CommitmentFactory(meeting=world.meeting)
    record = model._default_manager.get(pk=record.pk)
    request = RequestFactory().get("/admin/")
    request.user = root
    assert "version" in model_admin.get_fields(request, record)
    form = model_admin.get_form(request, record)(instance=record)
    assert isinstance(form, VersionCheckedForm)
    assert form.fields["version"].required
    assert form.initial["version"] == record.version


def test_every_inline_of_a_versioned_model_is_version_checked_or_read_only(root):
    request = RequestFactory().get("/admin/")
    request.user = root
    versioned = set(versioned_models())
    seen = 0
    for model_admin in admin.site._registry.values():
        for inline_class in model_admin.inlines:
            inline = inline_class(model_admin.model, admin.site)
            if inline.model not in versioned:
                continue
            seen += 1
            if not inline.has_change_permission(request) and not inline.has_add_permission(
                request, None
            ):
                continue
            assert issubclass(inline.form, VersionCheckedForm), type(inline)
            assert "version" in inline.get_fields(request), type(inline)
            assert isinstance(model_admin, VersionCheckedAdmin), type(model_admin)
    assert seen >= 2  # the chapters of a group, the commitments of a meeting


def _stale_calls(world):
    """Each service that changes a versioned record, called with the version before the last
    change: model -> [(service name, call)]."""
    commitment = CommitmentFactory(meeting=world.meeting)
    update_commitment(
        commitment=commitment, text="Now version 2", status="pledged", expected_version=1
    )
    update_chapter(chapter=world.chapter, title="Now version 2", expected_version=1)
    update_contested_point(point=world.point, title="Now version 2", expected_version=1)
    chapter, point = world.chapter, world.point
    return {
        Chapter: [
            (
                "update_chapter",
                lambda: update_chapter(chapter=chapter, title="X", expected_version=1),
            ),
            (
                "change_chapter_status",
                lambda: change_chapter_status(
                    chapter=chapter, to_status="agreed", expected_version=1
                ),
            ),
        ],
        ContestedPoint: [
            (
                "update_contested_point",
                lambda: update_contested_point(point=point, title="X", expected_version=1),
            ),
            (
                "resolve_contested_point",
                lambda: resolve_contested_point(point=point, expected_version=1),
            ),
            (
                "escalate_contested_point",
                lambda: escalate_contested_point(point=point, expected_version=1),
            ),
        ],
        Commitment: [
            (
                "update_commitment",
                lambda: update_commitment(
                    commitment=commitment, text="X", status="dropped", expected_version=1
                ),
            ),
            (
                "mark_commitment_delivered",
                lambda: mark_commitment_delivered(commitment=commitment, expected_version=1),
            ),
        ],
    }


def test_every_service_writing_a_versioned_record_refuses_a_stale_version(world):
    calls = _stale_calls(world)
    assert set(calls) == set(versioned_models()), "a versioned model without its service checks"
    for model, services in calls.items():
        for name, call in services:
            states = list(model._default_manager.order_by("pk").values())
            before = written()
            with pytest.raises(EditConflict) as refused:
                call()
            assert refused.value.current.version == 2, name
            assert list(model._default_manager.order_by("pk").values()) == states, name
            assert written() == before, name


# The services that change a record with a version column, and take the version seen.
VERSIONED_WRITES = {
    "change_chapter_status",
    "update_chapter",
    "update_contested_point",
    "resolve_contested_point",
    "escalate_contested_point",
    "update_commitment",
    "mark_commitment_delivered",
}
# Writers that edit no version a person was shown, each with the reason.
SYSTEM_WRITERS = {
    # The seed scenario writes the public record into its own agreement; run again, it
    # changes nothing (tests/test_scenario.py).
    "negotiations/scenario.py",
}
# Calls that pass on arguments built elsewhere (`**arguments`), with the test showing that
# the version travels in them.
FORWARDED = {
    # Each row of the outcome screen carries its version:
    # tests/negotiations/test_outcome.py::test_a_row_changed_meanwhile_is_refused_with_both_...
    "negotiations/services/outcome.py:change_chapter_status",
    "negotiations/services/outcome.py:resolve_contested_point",
    # `CommitmentEditForm.service_fields()` holds it: tests/negotiations/
    # test_commitment_page.py::test_the_second_of_two_editors_is_refused_sees_both_and_can_...
    "negotiations/views/commitments.py:update_commitment",
}


def _versioned_write(call) -> str | None:
    """The versioned-write service a call makes: called by name, or handed to a helper that
    calls it (`self.write(services.update_commitment, ..., expected_version=...)`)."""
    for node in [call.func, *call.args]:
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if name in VERSIONED_WRITES:
            return name
    return None


def test_every_door_passes_the_version_it_showed():
    """Every call of those services outside the services themselves, in every app of the
    project (pages, admin, outcome screen, import, API), names `expected_version`."""
    root = pathlib.Path(settings.BASE_DIR).resolve()
    ours = [
        pathlib.Path(config.path).resolve()
        for config in apps.get_app_configs()
        if pathlib.Path(config.path).resolve().parent == root
    ]
    missing, calls = [], 0
    for path in sorted(path for app in ours for path in app.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] == "benchmarks" or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = _versioned_write(node) if isinstance(node, ast.Call) else None
            if name is None:
                continue
            calls += 1
            keywords = {keyword.arg for keyword in node.keywords}
            if relative in SYSTEM_WRITERS or "expected_version" in keywords:
                continue
            if None in keywords and f"{relative}:{name}" in FORWARDED:
                continue
            missing.append(f"{relative}:{node.lineno} {name}")
    assert calls > 10
    assert missing == []
