"""Every endpoint, four ways (NetBox's cases): anonymous, signed in without a role, with a
read-only role (official), with the role that may; and with a role in another agreement only.
Every answer comes from negotiations/permissions.py, as on the pages."""

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from negotiations.services.schedule import meeting_fingerprint
from tests.factories import CommitmentFactory, DeadlineFactory, NegotiationRoundFactory
from workinggroups.services import fingerprint


@dataclasses.dataclass
class Endpoint:
    name: str
    method: str
    url: Callable
    body: Callable | None = None
    # The world's person who may (the steering roles, or a negotiator of the group).
    allowed: str = "chief"
    success: int = 200
    # Lists every signed-in person may call; they show only what the person may see.
    open_list: bool = False

    @property
    def writes(self):
        return self.method != "get"

    def __str__(self):
        return self.name


def _agreement(w):
    return f"/api/v1/agreements/{w.agreement.slug}"


ENDPOINTS = [
    Endpoint("agreement list", "get", lambda w: "/api/v1/agreements/", open_list=True),
    Endpoint(
        "agreement create",
        "post",
        lambda w: "/api/v1/agreements/",
        lambda w: {
            "name": "Cambodia–Korea Free Trade Agreement",
            "short_name": "CKFTA",
            "kind": "bilateral",
            "parties": [{"party": party.pk} for party in w.agreement.parties.all()],
            "structure": "empty",
        },
        allowed="secretariat",
        success=201,
    ),
    Endpoint("agreement detail", "get", lambda w: f"{_agreement(w)}/"),
    Endpoint(
        "agreement update",
        "patch",
        lambda w: f"{_agreement(w)}/",
        lambda w: {"description": "Revised scope.", "version": fingerprint(w.agreement)},
        allowed="secretariat",
    ),
    Endpoint("party list", "get", lambda w: "/api/v1/parties/", open_list=True),
    Endpoint("party detail", "get", lambda w: f"/api/v1/parties/{w.agreement.parties.first().pk}/"),
    Endpoint(
        "party create",
        "post",
        lambda w: "/api/v1/parties/",
        lambda w: {"name": "Laos", "code": "LAO", "capital_time_zone": "Asia/Vientiane"},
        allowed="secretariat",
        success=201,
    ),
    Endpoint("round list", "get", lambda w: f"{_agreement(w)}/rounds/"),
    Endpoint(
        "round create",
        "post",
        lambda w: f"{_agreement(w)}/rounds/",
        lambda w: {"starts_on": "2020-06-01", "ends_on": "2020-06-03", "mode": "video_conference"},
        success=201,
    ),
    Endpoint("round detail", "get", lambda w: f"/api/v1/rounds/{w.round.pk}/"),
    Endpoint(
        "round update",
        "patch",
        lambda w: f"/api/v1/rounds/{w.round.pk}/",
        lambda w: {"summary": "Tariff offers exchanged.", "version": fingerprint(w.round)},
    ),
    Endpoint("working group list", "get", lambda w: f"{_agreement(w)}/working-groups/"),
    Endpoint(
        "working group create",
        "post",
        lambda w: f"{_agreement(w)}/working-groups/",
        lambda w: {"name": "Digital Trade", "code": "DT"},
        success=201,
    ),
    Endpoint("working group detail", "get", lambda w: f"/api/v1/working-groups/{w.group.pk}/"),
    Endpoint(
        "working group update",
        "patch",
        lambda w: f"/api/v1/working-groups/{w.group.pk}/",
        lambda w: {"name": "Rules of Origin", "version": fingerprint(w.group)},
    ),
    Endpoint("chapter list", "get", lambda w: f"{_agreement(w)}/chapters/"),
    Endpoint(
        "chapter create",
        "post",
        lambda w: f"{_agreement(w)}/chapters/",
        lambda w: {"working_group": w.group.pk, "title": "Customs Procedures"},
        success=201,
    ),
    Endpoint("chapter detail", "get", lambda w: f"/api/v1/chapters/{w.chapter.pk}/"),
    Endpoint(
        "chapter update",
        "patch",
        lambda w: f"/api/v1/chapters/{w.chapter.pk}/",
        lambda w: {"title": "Rules of Origin", "version": w.chapter.version},
    ),
    Endpoint(
        "chapter status change",
        "post",
        lambda w: f"/api/v1/chapters/{w.chapter.pk}/status/",
        lambda w: {"to_status": "agreed_in_principle", "version": w.chapter.version},
        allowed="negotiator",
        success=201,
    ),
    Endpoint("chapter history", "get", lambda w: f"/api/v1/chapters/{w.chapter.pk}/history/"),
    Endpoint("contested point list", "get", lambda w: f"{_agreement(w)}/contested-points/"),
    Endpoint(
        "contested point open",
        "post",
        lambda w: f"{_agreement(w)}/contested-points/",
        lambda w: {
            "chapter": w.chapter.pk,
            "title": "Cumulation",
            "positions": [{"party": w.agreement.parties.first().pk, "text": "Full cumulation."}],
        },
        allowed="negotiator",
        success=201,
    ),
    Endpoint("contested point detail", "get", lambda w: f"/api/v1/contested-points/{w.point.pk}/"),
    Endpoint(
        "contested point update",
        "patch",
        lambda w: f"/api/v1/contested-points/{w.point.pk}/",
        lambda w: {"description": "Diagonal or full?", "version": w.point.version},
        allowed="negotiator",
    ),
    Endpoint(
        "contested point escalate",
        "post",
        lambda w: f"/api/v1/contested-points/{w.point.pk}/escalate/",
        lambda w: {"note": "Stuck at our level.", "version": w.point.version},
        allowed="negotiator",
    ),
    Endpoint(
        "contested point resolve",
        "post",
        lambda w: f"/api/v1/contested-points/{w.point.pk}/resolve/",
        lambda w: {"resolution": "Diagonal cumulation.", "version": w.point.version},
        allowed="negotiator",
    ),
    Endpoint("meeting list", "get", lambda w: f"{_agreement(w)}/meetings/"),
    Endpoint(
        "meeting create",
        "post",
        lambda w: f"{_agreement(w)}/meetings/",
        lambda w: {
            "kind": "round_plenary",
            "title": "Fourth round plenary",
            "starts_at": "2030-03-02T02:00:00Z",
            "ends_at": "2030-03-02T04:00:00Z",
        },
        success=201,
    ),
    Endpoint("meeting detail", "get", lambda w: f"/api/v1/meetings/{w.meeting.pk}/"),
    Endpoint(
        "meeting update",
        "patch",
        lambda w: f"/api/v1/meetings/{w.meeting.pk}/",
        lambda w: {"location": "Phnom Penh", "version": meeting_fingerprint(w.meeting)},
    ),
    Endpoint("deadline list", "get", lambda w: f"{_agreement(w)}/deadlines/"),
    Endpoint(
        "deadline create",
        "post",
        lambda w: f"{_agreement(w)}/deadlines/",
        lambda w: {"title": "Exchange tariff offers", "due_on": "2030-05-15"},
        success=201,
    ),
    Endpoint("deadline detail", "get", lambda w: f"/api/v1/deadlines/{w.deadline.pk}/"),
    Endpoint(
        "deadline update",
        "patch",
        lambda w: f"/api/v1/deadlines/{w.deadline.pk}/",
        lambda w: {"done": True, "done_on": "2020-05-10", "version": fingerprint(w.deadline)},
    ),
    Endpoint("commitment list", "get", lambda w: f"{_agreement(w)}/commitments/"),
    Endpoint(
        "commitment create",
        "post",
        lambda w: f"{_agreement(w)}/commitments/",
        lambda w: {"meeting": w.meeting.pk, "text": "Send the product-specific rules."},
        success=201,
    ),
    Endpoint("commitment detail", "get", lambda w: f"/api/v1/commitments/{w.commitment.pk}/"),
    Endpoint(
        "commitment update",
        "patch",
        lambda w: f"/api/v1/commitments/{w.commitment.pk}/",
        lambda w: {"status": "in_progress", "version": w.commitment.version},
        allowed="negotiator",
    ),
    Endpoint(
        "commitment deliver",
        "post",
        lambda w: f"/api/v1/commitments/{w.commitment.pk}/deliver/",
        lambda w: {"version": w.commitment.version},
        allowed="negotiator",
    ),
    Endpoint("audit trail", "get", lambda w: "/api/v1/audit/", allowed="secretariat"),
]

READS = [e for e in ENDPOINTS if not e.writes]
WRITES = [e for e in ENDPOINTS if e.writes]


@pytest.fixture
def w(world):
    world.round = NegotiationRoundFactory(agreement=world.agreement, number=1)
    world.deadline = DeadlineFactory(agreement=world.agreement, working_group=world.group)
    world.commitment = CommitmentFactory(meeting=world.meeting, due_on=dt.date(2020, 6, 1))
    return world


def call(api, endpoint, w):
    method = getattr(api, endpoint.method)
    if endpoint.writes:
        return method(endpoint.url(w), endpoint.body(w))
    return method(endpoint.url(w))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_is_refused(endpoint, w, api_as):
    response = call(api_as(None), endpoint, w)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_person_without_a_role_sees_nothing(endpoint, w, api_as):
    response = call(api_as(w.outsider), endpoint, w)
    if endpoint.open_list:
        assert response.status_code == 200
        assert response.json()["results"] == []
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_official_reads_and_changes_nothing(endpoint, w, api_as):
    response = call(api_as(w.official), endpoint, w)
    if endpoint.writes or endpoint.name == "audit trail":
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_the_role_that_may_succeeds(endpoint, w, api_as):
    response = call(api_as(getattr(w, endpoint.allowed)), endpoint, w)
    assert response.status_code == endpoint.success, response.content
    if endpoint.name == "agreement list":
        assert [row["slug"] for row in response.json()["results"]] == [w.agreement.slug]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name != "party create"], ids=str)
def test_a_role_in_another_agreement_only_is_refused(endpoint, w, api_as):
    response = call(api_as(w.elsewhere), endpoint, w)
    if endpoint.open_list:
        assert response.status_code == 200
        listed = response.json()["results"]
        assert w.agreement.slug not in [row.get("slug") for row in listed]
        if endpoint.name == "party list":
            ids = {row["id"] for row in listed}
            assert ids == {p.pk for p in w.elsewhere_agreement.parties.all()}
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", WRITES, ids=str)
def test_a_read_only_token_cannot_write(endpoint, w, api_as):
    response = call(api_as(getattr(w, endpoint.allowed), scope="read"), endpoint, w)
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_negotiator_cannot_change_the_chapter_of_another_group(w, api_as):
    response = api_as(w.negotiator).post(
        f"/api/v1/chapters/{w.other_chapter.pk}/status/",
        {"to_status": "agreed", "version": w.other_chapter.version},
    )
    assert response.status_code == 403
    w.other_chapter.refresh_from_db()
    assert w.other_chapter.status == "under_negotiation"


def test_negotiator_cannot_resolve_an_escalated_point(w, api_as):
    api = api_as(w.negotiator)
    escalated = api.post(
        f"/api/v1/contested-points/{w.point.pk}/escalate/", {"version": w.point.version}
    )
    assert escalated.status_code == 200
    refused = api.post(
        f"/api/v1/contested-points/{w.point.pk}/resolve/",
        {"version": escalated.json()["version"]},
    )
    assert refused.status_code == 403
    resolved = api_as(w.chief).post(
        f"/api/v1/contested-points/{w.point.pk}/resolve/",
        {"version": escalated.json()["version"], "resolution": "Settled by the chiefs."},
    )
    assert resolved.status_code == 200
    assert resolved.json()["state"] == "resolved"
