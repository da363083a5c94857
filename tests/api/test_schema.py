"""The API against its own OpenAPI description: Schemathesis sends generated requests to every
operation (with a token of a person who holds roles) and checks that no answer is a server
error, breaks the schema, or is given without credentials. Also: the description is OpenAPI
3.1, and the reference page works under the Content Security Policy."""

import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api.factories import issue_token
from tests.factories import CommitmentFactory, DeadlineFactory, NegotiationRoundFactory


@pytest.fixture
def fuzz_world(world):
    """The world, with a round, a deadline and a commitment, and a token of its secretariat
    (who may change everything in it, and read its audit trail)."""
    world.round = NegotiationRoundFactory(agreement=world.agreement, number=1)
    world.deadline = DeadlineFactory(agreement=world.agreement, working_group=world.group)
    world.commitment = CommitmentFactory(meeting=world.meeting)
    world.secret = issue_token(world.secretariat)
    return world


@pytest.fixture
def _wsgi_in_the_test_transaction():
    """The WSGI handler closes the database connection around each request (Django's test
    client stops it doing so): here too, so that requests see the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(fuzz_world, _wsgi_in_the_test_transaction):
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        get_wsgi_application(),
        headers={"Authorization": f"Bearer {fuzz_world.secret}"},
    )


CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.ignored_auth,
]


def _real_ids(world) -> dict:
    """Ids of records that exist, by the path's resource, so that most generated requests
    reach a real record instead of stopping at 404."""
    return {
        "rounds": world.round.pk,
        "working-groups": world.group.pk,
        "chapters": world.chapter.pk,
        "contested-points": world.point.pk,
        "meetings": world.meeting.pk,
        "deadlines": world.deadline.pk,
        "commitments": world.commitment.pk,
        "parties": world.agreement.parties.first().pk,
    }


def test_api_answers_as_its_schema_says(api_schema, fuzz_world):
    """A few generated requests per operation; every operation is tried."""
    headers = {"Authorization": f"Bearer {fuzz_world.secret}"}
    real_ids = _real_ids(fuzz_world)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30

    def aim(case):
        if "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = fuzz_world.agreement.slug
        if "id" in (case.path_parameters or {}):
            real = real_ids.get(case.path.split("/")[3])
            if real is not None:
                case.path_parameters["id"] = real

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case):
            aim(case)
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()


def test_schema_is_openapi_3_1_and_lists_every_resource(world, api_as):
    response = api_as(world.official).get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    paths = set(document["paths"])
    for expected in [
        "/api/v1/agreements/",
        "/api/v1/agreements/{slug}/",
        "/api/v1/parties/",
        "/api/v1/agreements/{slug}/rounds/",
        "/api/v1/agreements/{slug}/working-groups/",
        "/api/v1/agreements/{slug}/chapters/",
        "/api/v1/chapters/{id}/status/",
        "/api/v1/chapters/{id}/history/",
        "/api/v1/agreements/{slug}/contested-points/",
        "/api/v1/agreements/{slug}/meetings/",
        "/api/v1/agreements/{slug}/deadlines/",
        "/api/v1/agreements/{slug}/commitments/",
        "/api/v1/audit/",
    ]:
        assert expected in paths
    assert document["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    # Opening an agreement: the body described down to each party at the table.
    create = document["paths"]["/api/v1/agreements/"]["post"]
    assert "Location" in create["responses"]["201"]["headers"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    parties = document["components"]["schemas"][body.rsplit("/", 1)[-1]]["properties"]["parties"]
    assert parties["type"] == "array"
    assert parties["maxItems"] == 60
    row = document["components"]["schemas"][parties["items"]["$ref"].rsplit("/", 1)[-1]]
    assert row["required"] == ["party"]
    assert row["properties"]["party"]["type"] == "integer"


def test_schema_is_refused_anonymously(client):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_docs_page_uses_only_local_assets_and_no_inline_script(world, client):
    client.force_login(world.official)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    for source in sources:
        assert source.startswith("/"), source
        assert not source.startswith("//"), source
    # Every script is a file of the site's own, as the Content Security Policy demands.
    assert "<script>" not in html
    assert "<style" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = next(s for s in sources if "script" in s and "/static/" not in s)
    init = client.get(script)
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.content.decode()
    for asset in [s for s in sources if s.startswith("/static/")]:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_docs_page_sends_anonymous_people_to_sign_in(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
