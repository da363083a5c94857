"""A chapter's status changed through the API: the history row, the audit entry naming the
token's person, and the refusal of a change based on a stale version."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEntry
from workinggroups.models import Chapter, ChapterStatusChange


def test_status_change_writes_history_and_audit_in_the_tokens_name(world, api_as):
    api = api_as(world.negotiator)
    read = api.get(f"/api/v1/chapters/{world.chapter.pk}/")
    assert read.status_code == 200
    version = read.json()["version"]
    assert read["ETag"] == f'"{version}"'

    response = api.post(
        f"/api/v1/chapters/{world.chapter.pk}/status/",
        {"to_status": "agreed_in_principle", "note": "After the second round.", "version": version},
    )

    assert response.status_code == 201, response.content
    assert response["ETag"] == f'"{version + 1}"'
    change = ChapterStatusChange.objects.get(chapter=world.chapter)
    assert (change.from_status, change.to_status) == ("under_negotiation", "agreed_in_principle")
    assert change.changed_by == world.negotiator
    assert change.note == "After the second round."
    assert response.json()["id"] == change.pk
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Chapter),
        object_id=str(world.chapter.pk),
        action="update",
    )
    assert entry.actor == world.negotiator
    assert entry.before["status"] == "under_negotiation"
    assert entry.after["status"] == "agreed_in_principle"
    history = api.get(f"/api/v1/chapters/{world.chapter.pk}/history/")
    assert [row["to_status"] for row in history.json()["results"]] == ["agreed_in_principle"]


def test_a_stale_version_is_refused_with_409_and_nothing_is_written(world, api_as):
    url = f"/api/v1/chapters/{world.chapter.pk}/status/"
    chief, negotiator = api_as(world.chief), api_as(world.negotiator)
    seen = world.chapter.version
    assert chief.post(url, {"to_status": "agreed", "version": seen}).status_code == 201
    entries = AuditEntry.objects.count()

    stale = negotiator.post(url, {"to_status": "agreed_in_principle", "version": seen})

    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    problem = stale.json()
    assert problem["status"] == 409
    assert problem["code"] == "edit_conflict"
    assert problem["current_version"] == seen + 1
    assert problem["current"]["status"] == "agreed"
    assert ChapterStatusChange.objects.filter(chapter=world.chapter).count() == 1
    assert AuditEntry.objects.count() == entries
    world.chapter.refresh_from_db()
    assert (world.chapter.status, world.chapter.version) == ("agreed", seen + 1)


def test_the_version_may_come_as_if_match(world, api_as):
    api = api_as(world.chief)
    url = f"/api/v1/chapters/{world.chapter.pk}/"
    etag = api.get(url)["ETag"]
    renamed = api.patch(url, {"title": "Rules of Origin"}, HTTP_IF_MATCH=etag)
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["title"] == "Rules of Origin"
    again = api.patch(url, {"title": "Origin"}, HTTP_IF_MATCH=etag)
    assert again.status_code == 409
    assert again.json()["current"]["title"] == "Rules of Origin"


def test_a_change_without_a_version_is_refused(world, api_as):
    response = api_as(world.chief).post(
        f"/api/v1/chapters/{world.chapter.pk}/status/", {"to_status": "agreed"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "version"
    assert not ChapterStatusChange.objects.exists()


def test_unversioned_records_use_their_fingerprint_as_version(world, api_as):
    api = api_as(world.chief)
    url = f"/api/v1/meetings/{world.meeting.pk}/"
    seen = api.get(url).json()["version"]
    moved = api.patch(url, {"location": "Beijing", "version": seen})
    assert moved.status_code == 200
    assert moved.json()["version"] != seen
    stale = api.patch(url, {"location": "Phnom Penh", "version": seen})
    assert stale.status_code == 409
    assert stale.json()["current"]["location"] == "Beijing"


def test_the_chapter_list_reads_the_past_as_the_page_does(world, api_as):
    ChapterStatusChange.objects.create(
        chapter=world.chapter,
        from_status="not_started",
        to_status="under_negotiation",
        effective_at=dt.datetime(2020, 4, 9, tzinfo=dt.UTC),
    )
    api = api_as(world.official)
    url = f"/api/v1/agreements/{world.agreement.slug}/chapters/"
    before = api.get(url, {"as_of": "2020-04-01"}).json()["results"]
    after = api.get(url, {"as_of": "2020-04-10"}).json()["results"]
    status_then = {row["id"]: row["status_at"] for row in before}
    status_later = {row["id"]: row["status_at"] for row in after}
    assert status_then[world.chapter.pk] == "not_started"
    assert status_later[world.chapter.pk] == "under_negotiation"
    filtered = api.get(url, {"as_of": "2020-04-01", "status": "not_started"}).json()["results"]
    assert world.chapter.pk in [row["id"] for row in filtered]


def test_an_unreadable_as_of_point_is_a_400(world, api_as):
    url = f"/api/v1/agreements/{world.agreement.slug}/chapters/"
    for value in ["round-9", "2999-01-01", "yesterday"]:
        response = api_as(world.official).get(url, {"as_of": value})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "as_of"


def test_the_meeting_list_as_of_a_day_lists_the_meetings_known_then(world, api_as):
    world.other_meeting.announced_on = dt.date(2020, 5, 1)
    world.other_meeting.save()
    url = f"/api/v1/agreements/{world.agreement.slug}/meetings/"
    api = api_as(world.official)
    then = [row["id"] for row in api.get(url, {"as_of": "2020-04-15"}).json()["results"]]
    now = [row["id"] for row in api.get(url).json()["results"]]
    assert world.meeting.pk in then
    assert world.other_meeting.pk not in then
    assert world.other_meeting.pk in now


def test_the_agreement_list_reads_the_portfolio_as_of_a_day(world, api_as):
    from negotiations.models import Agreement, AgreementStatusChange

    for from_status, to_status, day in [
        ("launched", "under_negotiation", dt.date(2020, 1, 20)),
        ("under_negotiation", "concluded", dt.date(2020, 7, 20)),
    ]:
        AgreementStatusChange.objects.create(
            agreement=world.agreement,
            from_status=from_status,
            to_status=to_status,
            effective_on=day,
        )
    Agreement.objects.filter(pk=world.agreement.pk).update(status="concluded")
    api = api_as(world.official)
    then = api.get("/api/v1/agreements/", {"as_of": "2020-05-01"}).json()["results"][0]
    now = api.get("/api/v1/agreements/").json()["results"][0]
    assert then["status_at"] == "under_negotiation"
    assert now["status_at"] == "concluded"
    assert now["contested_count"] == 2
    refused = api.get("/api/v1/agreements/", {"as_of": "round-1"})
    assert refused.status_code == 400
