"""The audit trail reads as people speak: field names in words, related records by name and
linked, choices by their label, moments in the reader's zone, and no keys, versions or
secrets; whatever kind of record changed, and on every page that shows a change log."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.html import strip_tags
from openpyxl import load_workbook

from accounts.services import create_or_regenerate_feed, invite_person, revoke_feed, update_profile
from audit.models import AuditEntry
from negotiations.choices import MeetingKind, Role, RoundMode
from negotiations.services import (
    add_delegation,
    assign_role,
    cancel_meeting,
    create_commitment,
    create_deadline,
    create_meeting,
    create_party,
    create_round,
    mark_commitment_delivered,
    remove_delegation,
    remove_role,
    update_agreement,
    update_commitment,
    update_deadline,
    update_delegation,
    update_meeting,
    update_round,
)
from reminders.services import set_lead_times
from workinggroups.services import (
    add_membership,
    change_chapter_status,
    create_chapter,
    create_working_group,
    delete_chapter,
    delete_working_group,
    escalate_contested_point,
    open_contested_point,
    remove_membership,
    resolve_contested_point,
    update_chapter,
    update_contested_point,
    update_working_group,
)

pytestmark = pytest.mark.django_db

# Every kind of record a service writes an audit entry for.
AUDITED = [
    "accounts.User",
    "accounts.CalendarFeed",
    "negotiations.Party",
    "negotiations.Agreement",
    "negotiations.Delegation",
    "negotiations.RoleAssignment",
    "negotiations.NegotiationRound",
    "negotiations.Meeting",
    "negotiations.Deadline",
    "negotiations.Commitment",
    "workinggroups.WorkingGroup",
    "workinggroups.Chapter",
    "workinggroups.ChapterStatusChange",
    "workinggroups.ContestedPoint",
    "workinggroups.Position",
    "workinggroups.Membership",
    "reminders.LeadTimes",
]

CHANGES = re.compile(r'<ul class="plain audit-changes">(.*?)</ul>', re.S)
LINE = re.compile(r'<li><span class="audit-field">(.*?)</span>: (.*?)</li>', re.S)
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_TIME = re.compile(r"\d{2}:\d{2}:\d{2}|T\d{2}:\d{2}")


class Trail:
    """A record of each audited kind, created, changed and (where it can be) removed."""


@pytest.fixture
def trail(world, django_capture_on_commit_callbacks):
    by = world.chief
    t = Trail()
    t.party = create_party(name="Xeland", code="XEL", capital_time_zone="Asia/Bangkok", by=by)
    other = create_party(name="Yland", code="YLD", capital_time_zone="Asia/Tokyo", by=by)
    agreement = world.agreement
    t.agreement = agreement
    update_agreement(agreement=agreement, by=by, description="Goods and services.")
    update_agreement(agreement=agreement, by=by, launched_on=dt.date(2019, 11, 4))
    t.delegation = add_delegation(agreement=agreement, party=t.party, by=by, head_name="Sok")
    update_delegation(delegation=t.delegation, by=by, head_name="Sok Chan", head_title="Minister")
    spare = add_delegation(agreement=agreement, party=other, by=by)
    remove_delegation(delegation=spare, by=by)

    with django_capture_on_commit_callbacks(execute=False):
        t.invited = invite_person(
            agreement=agreement,
            by=world.secretariat,
            email="dara@example.org",
            first_name="Dara",
            last_name="Keo",
            role=Role.NEGOTIATOR,
            party=t.party,
            working_groups=[world.group],
            time_zone="Asia/Phnom_Penh",
        )
    update_profile(user=t.invited, by=t.invited, language="km", time_zone="Asia/Shanghai")
    assignment = assign_role(agreement=agreement, user=world.outsider, role=Role.OFFICIAL, by=by)
    assign_role(agreement=agreement, user=world.outsider, role=Role.NEGOTIATOR, by=by)
    remove_role(assignment=assignment, by=by)

    create_or_regenerate_feed(user=world.official, by=world.official)
    create_or_regenerate_feed(user=world.official, by=world.official)
    revoke_feed(user=world.official, by=world.official)

    t.round = create_round(
        agreement=agreement,
        by=by,
        starts_on=dt.date(2020, 4, 8),
        ends_on=dt.date(2020, 4, 9),
        mode=RoundMode.VIDEO_CONFERENCE,
    )
    update_round(negotiation_round=t.round, by=by, location="Video conference")
    t.meeting = create_meeting(
        agreement=agreement,
        by=by,
        kind=MeetingKind.ROUND_PLENARY,
        title="Second plenary",
        negotiation_round=t.round,
        starts_at=dt.datetime(2020, 4, 8, 2, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2020, 4, 8, 4, 0, tzinfo=dt.UTC),
        time_zone="Asia/Phnom_Penh",
        host_party=t.party,
    )
    update_meeting(meeting=t.meeting, by=by, ends_at=dt.datetime(2020, 4, 8, 6, 0, tzinfo=dt.UTC))
    cancel_meeting(meeting=t.meeting, by=by)
    deadline = create_deadline(
        agreement=agreement, by=by, title="Product list", due_on=dt.date(2020, 5, 15)
    )
    update_deadline(
        deadline=deadline,
        by=by,
        working_group=world.group,
        title="Product list",
        due_on=dt.date(2020, 5, 20),
        set_at=world.meeting,
        done=True,
        done_on=dt.date(2020, 5, 18),
    )

    t.commitment = create_commitment(
        meeting=world.meeting, by=by, text="Send the product list.", party=t.party
    )
    update_commitment(
        commitment=t.commitment,
        by=by,
        text="Send the product list.",
        party=t.party,
        owner=world.negotiator,
        chapter=world.chapter,
        due_on=dt.date(2020, 5, 15),
        status="in_progress",
    )
    mark_commitment_delivered(commitment=t.commitment, by=by)

    group = create_working_group(agreement=agreement, name="Data Flows", code="df", by=by)
    update_working_group(working_group=group, by=by, name="Data and Flows", code="DF")
    membership = add_membership(working_group=group, user=world.official, party=t.party, by=by)
    add_membership(working_group=group, user=world.official, party=t.party, role="lead", by=by)
    remove_membership(membership=membership, by=by)
    delete_working_group(working_group=group, by=by)
    spare_chapter = create_chapter(working_group=world.group, title="Annex", by=by)
    update_chapter(chapter=spare_chapter, by=by, title="Annex A", working_group=world.other_group)
    delete_chapter(chapter=spare_chapter, by=by)
    t.chapter = world.chapter
    change_chapter_status(
        chapter=world.chapter, to_status="agreed_in_principle", meeting=world.meeting, by=by
    )

    positions = {
        t.party: "Forty per cent.",
        agreement.parties.exclude(pk=t.party.pk).first(): "Ten.",
    }
    t.point = open_contested_point(
        chapter=world.chapter,
        title="Cumulation",
        by=world.negotiator,
        owner=world.negotiator,
        target_date=dt.date(2020, 5, 15),
        raised_at=world.meeting,
        opened_on=dt.date(2020, 4, 8),
        positions=positions,
    )
    first, second = positions
    update_contested_point(
        point=t.point,
        by=world.negotiator,
        title="Cumulation rules",
        owner=world.negotiator,
        target_date=dt.date(2020, 5, 20),
        positions={first: "Thirty-five per cent.", second: ""},
    )
    escalate_contested_point(point=t.point, by=world.negotiator, note="Needs the chiefs.")
    resolve_contested_point(
        point=t.point, by=by, resolution="Thirty-five.", resolved_on=dt.date(2020, 5, 19)
    )

    set_lead_times(
        agreement=agreement,
        by=by,
        meeting_days=[7, 1],
        deadline_days=[14, 3],
        deadline_overdue=True,
    )
    set_lead_times(
        agreement=agreement, by=by, meeting_days=[3], deadline_days=[7], deadline_overdue=False
    )
    return t


def numeric_labels() -> set[str]:
    """Labels of the shown fields whose value is a number (an order, a round's number, days
    before a meeting): there, and only there, a bare number is what the reader needs."""
    from django.apps import apps

    from audit.presentation import field_label, is_hidden

    labels = set()
    for label in AUDITED:
        for field in apps.get_model(label)._meta.concrete_fields:
            numeric = isinstance(field, models.IntegerField | models.JSONField)
            if numeric and not field.is_relation and not is_hidden(field):
                labels.add(field_label(field))
    return labels


def assert_readable(text: str, where: str):
    """Every change list in the page reads as words."""
    lists = CHANGES.findall(text)
    assert lists, f"no change shown on {where}"
    allowed_numbers = numeric_labels()
    for changes in lists:
        lines = LINE.findall(changes)
        assert lines, changes
        for label, values in lines:
            words = html.unescape(strip_tags(values))
            for found in (SNAKE_CASE, ISO_DAY, ISO_TIME):
                assert not found.search(words), f"{where}: {label}: {words}"
                assert not found.search(html.unescape(label)), f"{where}: {label}"
            for value in words.split(" → "):
                assert value.strip() not in ("True", "False", "None"), f"{where}: {label}"
                if value.strip().isdigit():
                    assert html.unescape(label) in allowed_numbers, f"{where}: {label}: {value}"


def test_every_audited_kind_of_record_left_entries(trail):
    written = {
        f"{ct.app_label}.{ct.model_class().__name__}"
        for ct in ContentType.objects.filter(pk__in=AuditEntry.objects.values("content_type_id"))
    }
    assert set(AUDITED) <= written, set(AUDITED) - written


@pytest.mark.parametrize("label", AUDITED)
def test_the_audit_trail_reads_each_kind_of_record_in_words(client, world, trail, label):
    from django.apps import apps

    kind = ContentType.objects.get_for_model(apps.get_model(label))
    # Entries about accounts and parties belong to no one agreement: superusers read them.
    client.force_login(world.superuser)
    response = client.get(reverse("audit:entry-list"), {"content_type": kind.pk})
    assert response.status_code == 200
    text = response.text
    assert_readable(text, label)
    for attname in [f.attname for f in apps.get_model(label)._meta.concrete_fields]:
        assert f">{attname}<" not in text, attname
        assert f" {attname}:" not in text, attname


@pytest.mark.parametrize("page", ["chapter", "point", "commitment"])
def test_each_change_log_reads_in_words(client, world, trail, page):
    url = {
        "chapter": trail.chapter.get_absolute_url(),
        "point": trail.point.get_absolute_url(),
        "commitment": trail.commitment.get_absolute_url(),
    }[page]
    client.force_login(world.official)
    text = client.get(url).text
    assert "Change log" in text
    assert_readable(text, page)


def test_the_trail_names_links_and_translates_what_changed(client, world, trail):
    world.secretariat.time_zone = "Asia/Phnom_Penh"
    world.secretariat.save()
    client.force_login(world.secretariat)
    text = client.get(reverse("audit:entry-list"), {"q": "Second plenary"}).text
    meeting = trail.meeting
    # The record by its kind and name, linked; the actor by their full name.
    assert f'Meeting: <a href="{meeting.get_absolute_url()}">Second plenary</a>' in text
    assert world.chief.get_full_name() in text
    # Moments on the meeting's own clock, a party by its name and linked values.
    assert "Wed 8 Apr 2020, 09:00 Phnom Penh (UTC+7)" in text
    assert "Wed 8 Apr 2020, 11:00 Phnom Penh (UTC+7) → Wed 8 Apr 2020, 13:00" in text
    assert '<span class="audit-field">Host</span>: Xeland' in text
    assert '<span class="audit-field">Cancelled</span>: No → Yes' in text
    assert f'<a href="{trail.round.get_absolute_url()}">' in text
    assert "Phnom Penh, UTC+7" in text  # the time zone, as readers know it
    assert "XEL" not in text


def test_a_status_reads_by_its_label_and_the_version_is_left_out(client, world, trail):
    client.force_login(world.official)
    text = client.get(trail.chapter.get_absolute_url()).text
    assert '<span class="audit-field">Status</span>: Under negotiation → Agreed in principle' in (
        text
    )
    assert "Version" not in strip_tags(text.split("Change log", 1)[1])


def test_a_points_change_log_holds_its_positions_named_by_party(client, world, trail):
    client.force_login(world.official)
    text = client.get(trail.point.get_absolute_url()).text
    log = text.split("Change log", 1)[1]
    other = world.agreement.parties.exclude(pk=trail.party.pk).first()
    point_url = trail.point.get_absolute_url()
    assert f'Created · Position: <a href="{point_url}">Xeland on Cumulation' in log
    assert f'Changed · Position: <a href="{point_url}">Xeland on Cumulation' in log
    assert f'Deleted · Position: <a href="{point_url}">{other.name} on Cumulation' in log
    assert "Forty per cent. → Thirty-five per cent." in log
    assert '<span class="audit-field">Party</span>: Xeland' in log
    assert "XEL" not in log


def test_secrets_and_bookkeeping_are_never_shown(client, world, trail):
    client.force_login(world.superuser)
    kind = ContentType.objects.get(app_label="accounts", model="calendarfeed")
    text = client.get(reverse("audit:entry-list"), {"content_type": kind.pk}).text
    assert "Calendar feed of" in text
    assert "…" not in strip_tags(text.split("<tbody", 1)[1])  # not even the masked secret
    assert "Secret" not in text
    feeds = reverse("accounts:calendar-feed", kwargs={"token": "x"}).rsplit("x", 1)[0]
    assert feeds not in text


def test_the_trail_is_narrowed_by_agreement_person_kind_action_and_period(client, world, trail):
    other = world.elsewhere_agreement
    create_chapter(
        working_group=world.elsewhere_chapter.working_group, title="Far", by=world.elsewhere
    )
    client.force_login(world.secretariat)
    url = reverse("audit:entry-list")
    page = client.get(url)
    form = page.context["filter"].form
    assert list(form.fields["agreement"].queryset) == [world.agreement]
    assert other not in form.fields["agreement"].queryset
    kinds = dict(form.fields["content_type"].choices)
    assert "Contested point" in kinds.values()
    assert "Position" in kinds.values()
    chapter_kind = ContentType.objects.get(app_label="workinggroups", model="chapter")

    def rows(**params):
        return client.get(url, params).context["table"].paginator.count

    everything = rows()
    # The secretariat's trail is its own agreement's: entries about accounts and parties,
    # which belong to no one agreement, are the superusers'.
    assert rows(agreement=world.agreement.pk) == everything
    assert (
        rows(actor=world.negotiator.pk) == AuditEntry.objects.filter(actor=world.negotiator).count()
    )
    assert (
        rows(content_type=chapter_kind.pk)
        == AuditEntry.objects.filter(content_type=chapter_kind, agreement=world.agreement).count()
    )
    assert (
        rows(action="delete")
        == AuditEntry.objects.filter(
            action="delete", pk__in=page.context["filter"].qs.values("pk")
        ).count()
    )
    today = dt.date.today()
    assert (
        rows(since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1)) == everything
    )
    assert rows(until=today - dt.timedelta(days=2)) == 0
    # Another agreement's trail is not offered, nor shown when asked for.
    assert client.get(url, {"agreement": other.pk}).context["table"].paginator.count == 0


def test_the_download_holds_what_is_shown_and_runs_no_formula(client, world, trail):
    world.negotiator.first_name, world.negotiator.last_name = "=SUM(1)", "Keo"
    world.negotiator.save()
    update_contested_point(
        point=trail.point, by=world.negotiator, title='=HYPERLINK("http://example.org")'
    )
    client.force_login(world.secretariat)
    url = reverse("audit:entry-list")
    response = client.get(url, {"q": "HYPERLINK", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "Who", "What", "Agreement", "Record", "Before → after"]
    (row,) = rows[1:]
    assert row[1] == "'=SUM(1) Keo"
    assert row[2:5] == ["Changed", world.agreement.short_name,
                        'Contested point: =HYPERLINK("http://example.org")']  # fmt: skip
    assert 'Title: Cumulation rules → =HYPERLINK("http://example.org")' in row[5]

    xlsx = client.get(url, {"q": "HYPERLINK", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert "'=SUM(1) Keo" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_a_cell_that_would_run_as_a_formula_is_kept_as_text():
    from audit.exports import safe_cell

    for dangerous in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Rules of Origin") == "Rules of Origin"
    assert safe_cell("−3 (a true minus sign)") == "−3 (a true minus sign)"
