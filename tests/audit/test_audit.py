"""Every change is kept in the audit trail, whatever door it came through, and the secretariat
reads it."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.models import Meeting
from workinggroups.models import Chapter
from workinggroups.services import change_chapter_status, update_contested_point

pytestmark = pytest.mark.django_db


def test_a_status_change_keeps_who_when_before_and_after(world):
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    entry = AuditEntry.objects.get(content_type__model="chapter")
    assert entry.actor == world.negotiator
    assert entry.agreement_id == world.agreement.pk
    assert ("status", "under_negotiation", "agreed") in entry.changes()
    assert AuditEntry.objects.filter(content_type__model="chapterstatuschange").exists()


def test_a_refused_change_leaves_no_audit_entry(world):
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal
        update_contested_point(point=world.point, title="x", expected_version=99)
    assert not AuditEntry.objects.exists()


def test_edits_in_the_administration_site_are_audited(client, django_user_model, world):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(admin)
    meeting = world.meeting
    url = reverse("admin:negotiations_meeting_change", args=[meeting.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "title": "Renamed in the admin",
            "starts_at_0": "2020-04-08",
            "starts_at_1": "02:00:00",
            "ends_at_0": "2020-04-08",
            "ends_at_1": "04:00:00",
            "working_groups": [world.group.pk],
            "commitments-TOTAL_FORMS": 1,
            "commitments-INITIAL_FORMS": 0,
            "commitments-0-text": "Added inline.",
            "commitments-0-status": "pledged",
        }
    )
    data.pop("starts_at"), data.pop("ends_at")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Meeting.objects.get(pk=meeting.pk).title == "Renamed in the admin"
    entry = AuditEntry.objects.get(content_type__model="meeting")
    assert entry.actor == admin
    assert entry.before["title"] == meeting.title
    assert entry.after["title"] == "Renamed in the admin"
    assert AuditEntry.objects.filter(content_type__model="commitment", action="create").exists()


def test_a_status_edited_in_the_admin_goes_through_the_service(client, django_user_model, world):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(admin)
    url = reverse("admin:workinggroups_chapter_change", args=[world.chapter.pk])
    client.post(
        url,
        {"working_group": world.group.pk, "title": world.chapter.title, "order": 0,
         "status": "agreed", "version": 1, "status_changes-TOTAL_FORMS": 0,
         "status_changes-INITIAL_FORMS": 0},
    )  # fmt: skip
    chapter = Chapter.objects.get(pk=world.chapter.pk)
    assert (chapter.status, chapter.version) == ("agreed", 2)
    assert chapter.status_changes.get().changed_by == admin
    assert AuditEntry.objects.filter(content_type__model="chapter", actor=admin).exists()


def test_the_audit_list_four_cases(client, world):
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    change_chapter_status(chapter=world.elsewhere_chapter, to_status="agreed", by=world.elsewhere)
    url = reverse("audit:entry-list")
    assert client.get(url).url.startswith(reverse("login"))
    for who in ["official", "negotiator", "chief", "elsewhere"]:
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 403, who
    client.force_login(world.secretariat)
    response = client.get(url)
    assert response.status_code == 200
    assert world.chapter.title in response.text
    assert world.elsewhere_chapter.title not in response.text  # another agreement's trail


def test_the_chapter_page_shows_its_change_log(client, world):
    change_chapter_status(
        chapter=world.chapter, to_status="agreed", by=world.negotiator, note="<b>bold</b>"
    )
    client.force_login(world.official)
    text = client.get(reverse("workinggroups:chapter-detail", args=[world.chapter.pk])).text
    assert "Change log" in text
    assert '<span class="audit-field">Status</span>: Under negotiation → Agreed' in text
    assert "under_negotiation" not in text.split("Change log", 1)[1]
    assert "<b>bold</b>" not in text
