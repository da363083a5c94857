"""Errors a client can act on: every refusal is an RFC 9457 problem document."""

import pytest

from workinggroups.models import ChapterStatusChange

PROBLEM = "application/problem+json"


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert "detail" in body
    return body


def test_field_errors_point_at_the_field(world, api_as):
    response = api_as(world.chief).post(
        f"/api/v1/chapters/{world.chapter.pk}/status/", {"to_status": "finished", "version": 1}
    )
    body = _is_problem(response, 400)
    assert body["errors"] == [
        {
            "pointer": "#/to_status",
            "field": "to_status",
            "detail": '"finished" is not a valid choice.',
            "code": "invalid_choice",
        }
    ]


def test_the_services_refusals_are_field_errors_too(world, api_as):
    response = api_as(world.chief).post(
        f"/api/v1/chapters/{world.chapter.pk}/status/",
        {"to_status": "not_started", "version": world.chapter.version},
    )
    body = _is_problem(response, 400)
    assert body["errors"][0]["field"] == "note"
    assert not ChapterStatusChange.objects.exists()


def test_nested_errors_carry_a_json_pointer(world, api_as):
    response = api_as(world.chief).post(
        f"/api/v1/agreements/{world.agreement.slug}/contested-points/",
        {"chapter": world.chapter.pk, "title": "X", "positions": [{"party": 999999, "text": "a"}]},
    )
    body = _is_problem(response, 400)
    assert body["errors"][0]["pointer"] == "#/positions/0/party"


def test_a_record_of_another_agreement_reads_as_not_found_in_a_body(world, api_as):
    response = api_as(world.chief).post(
        f"/api/v1/agreements/{world.agreement.slug}/chapters/",
        {"working_group": world.elsewhere_chapter.working_group_id, "title": "Smuggled"},
    )
    body = _is_problem(response, 400)
    assert body["errors"][0]["field"] == "working_group"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/chapters/999999/", "/api/v1/agreements/no-such-fta/chapters/", "/api/v1/nothing/"],
)
def test_not_found_is_a_problem(world, api_as, url):
    _is_problem(api_as(world.official).get(url), 404)


def test_malformed_json_is_a_400(world, api_as):
    api = api_as(world.chief)
    response = api.client.post(
        f"/api/v1/chapters/{world.chapter.pk}/status/",
        "{not json",
        content_type="application/json",
        **api.headers,
    )
    _is_problem(response, 400)


@pytest.mark.parametrize(
    "query",
    [{"status": "bogus"}, {"working_group": "abc"}, {"q": "nul\x00"}, {"cursor": "garbage"}],
)
def test_bad_filters_are_refused_not_crashed_on(world, api_as, query):
    response = api_as(world.official).get(
        f"/api/v1/agreements/{world.agreement.slug}/chapters/", query
    )
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == PROBLEM


def test_filters_are_the_pages_filtersets(world, api_as):
    api = api_as(world.official)
    url = f"/api/v1/agreements/{world.agreement.slug}/contested-points/"
    only = api.get(url, {"working_group": world.group.pk}).json()["results"]
    assert [row["id"] for row in only] == [world.point.pk]
    ordered = api.get(
        f"/api/v1/agreements/{world.agreement.slug}/chapters/", {"ordering": "-title"}
    ).json()["results"]
    assert [row["title"] for row in ordered] == sorted(
        [world.chapter.title, world.other_chapter.title], reverse=True
    )


def test_a_browser_asking_for_html_gets_json_not_a_refusal(world, client):
    client.force_login(world.official)
    response = client.get("/api/v1/agreements/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = client.get("/api/schema/?format=json", HTTP_ACCEPT="text/html")
    assert schema.status_code == 200
    assert schema.json()["openapi"] == "3.1.0"


def test_a_method_the_endpoint_lacks_is_a_problem(world, api_as):
    response = api_as(world.chief).client.put(
        "/api/v1/agreements/", {}, content_type="application/json", **api_as(world.chief).headers
    )
    _is_problem(response, 405)
