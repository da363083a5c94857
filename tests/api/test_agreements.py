"""Opening an agreement through the API (the same service as the new-agreement page), and the
deadlines of an agreement read as of a past point, as the dashboards read them."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEntry
from negotiations.models import Agreement, AgreementStatusChange, Delegation, RoleAssignment
from negotiations.services import standard_structure
from tests.factories import DeadlineFactory, NegotiationRoundFactory, PartyFactory
from workinggroups.models import Chapter, WorkingGroup

AGREEMENTS = "/api/v1/agreements/"


def _written():
    """How many of each kind of record the database holds: what a refused write must not move."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Agreement,
            Delegation,
            RoleAssignment,
            WorkingGroup,
            Chapter,
            AgreementStatusChange,
            AuditEntry,
        )
    }


def _errors(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {error["pointer"]: error for error in response.json()["errors"]}


@pytest.fixture
def two_parties(world):
    return list(world.agreement.parties.order_by("pk"))


# --- Opening an agreement ----------------------------------------------------------------------


def test_secretariat_opens_an_agreement_through_the_service(world, api_as, two_parties):
    api = api_as(world.secretariat)
    response = api.post(
        AGREEMENTS,
        {
            "name": "Cambodia–Korea Free Trade Agreement",
            "short_name": "CKFTA",
            "kind": "bilateral",
            "description": "Goods, services and investment.",
            "launched_on": "2020-02-01",
            "target_conclusion_on": "2021-06-30",
            "parties": [
                {"party": two_parties[0].pk, "head_name": "Sok Dara", "head_title": "Director"},
                {"party": two_parties[1].pk},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    agreement = Agreement.objects.get(pk=body["id"])
    assert body["slug"] == agreement.slug == "ckfta"
    assert response["Location"] == f"http://testserver/api/v1/agreements/{agreement.slug}/"
    # The answer is the agreement as its own address shows it.
    assert api.get(response["Location"]).json() == body
    assert body["status"] == "launched"
    assert [party["id"] for party in body["parties"]] == [
        party.pk for party in sorted(two_parties, key=lambda party: party.name)
    ]
    # What the service does for the page: parties seated, the opener made its secretariat,
    # the standard chapters laid out, the status history begun.
    seated = Delegation.objects.get(agreement=agreement, party=two_parties[0])
    assert (seated.head_name, seated.head_title) == ("Sok Dara", "Director")
    assert RoleAssignment.objects.get(agreement=agreement).user == world.secretariat
    standard = standard_structure()
    assert agreement.working_groups.count() == len(standard)
    assert Chapter.objects.filter(working_group__agreement=agreement).count() == sum(
        len(group["chapters"]) for group in standard
    )
    assert list(agreement.status_changes.values_list("to_status", "effective_on")) == [
        ("launched", dt.date(2020, 2, 1))
    ]
    # The audit trail names the token's owner.
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Agreement),
        object_id=str(agreement.pk),
        action="create",
    )
    assert entry.actor == world.secretariat
    assert entry.after["name"] == "Cambodia–Korea Free Trade Agreement"
    assert set(AuditEntry.objects.filter(agreement=agreement).values_list("actor", flat=True)) == {
        world.secretariat.pk
    }


def test_a_superuser_may_open_an_agreement(world, api_as):
    response = api_as(world.superuser).post(
        AGREEMENTS, {"name": "Regional Pact", "short_name": "RP", "structure": "empty"}
    )
    assert response.status_code == 201, response.content
    agreement = Agreement.objects.get(slug="rp")
    assert not agreement.working_groups.exists()
    assert not agreement.delegations.exists()


def test_a_duplicate_name_is_refused_and_nothing_is_written(world, api_as, two_parties):
    api = api_as(world.secretariat)
    before = _written()
    response = api.post(
        AGREEMENTS,
        {
            "name": f"  {world.agreement.name.upper()} ",
            "short_name": "Again",
            "parties": [{"party": p.pk} for p in two_parties],
        },
    )
    errors = _errors(response)
    assert errors["#/name"]["code"] == "unique"
    assert errors["#/name"]["field"] == "name"
    assert _written() == before


def test_a_short_name_already_in_use_is_refused_and_nothing_is_written(world, api_as):
    api = api_as(world.secretariat)
    before = _written()
    response = api.post(
        AGREEMENTS,
        {
            "name": "Another one",
            "short_name": world.agreement.short_name.lower(),
            "structure": "empty",
        },
    )
    assert _errors(response)["#/short_name"]["field"] == "short_name"
    assert _written() == before


def test_an_unknown_or_repeated_party_is_a_field_error(world, api_as, two_parties):
    api = api_as(world.secretariat)
    before = _written()
    unknown = api.post(
        AGREEMENTS,
        {
            "name": "New FTA",
            "short_name": "NFTA",
            "parties": [{"party": two_parties[0].pk}, {"party": 987654}],
        },
    )
    assert set(_errors(unknown)) == {"#/parties/1/party"}
    repeated = api.post(
        AGREEMENTS,
        {
            "name": "New FTA",
            "short_name": "NFTA",
            "parties": [{"party": two_parties[0].pk}, {"party": two_parties[0].pk}],
        },
    )
    assert set(_errors(repeated)) == {"#/parties/1/party"}
    assert _written() == before


def test_the_services_refusal_of_the_parties_is_a_field_error(world, api_as, two_parties):
    api = api_as(world.secretariat)
    before = _written()
    response = api.post(
        AGREEMENTS,
        {
            "name": "New FTA",
            "short_name": "NFTA",
            "kind": "bilateral",
            "parties": [{"party": p.pk} for p in [*two_parties, PartyFactory()]],
        },
    )
    errors = _errors(response)
    assert "bilateral" in errors["#/parties"]["detail"]
    assert _written() == before


@pytest.mark.parametrize(
    ("dates", "pointer"),
    [
        (
            {"launched_on": "2021-01-01", "target_conclusion_on": "2020-12-31"},
            "#/target_conclusion_on",
        ),
        ({"launched_on": "1 May 2020"}, "#/launched_on"),
    ],
)
def test_bad_dates_are_field_errors(world, api_as, dates, pointer):
    api = api_as(world.secretariat)
    before = _written()
    response = api.post(AGREEMENTS, {"name": "New FTA", "short_name": "NFTA", **dates})
    assert set(_errors(response)) == {pointer}
    assert _written() == before


def test_a_copy_takes_another_agreements_structure(world, api_as):
    response = api_as(world.secretariat).post(
        AGREEMENTS,
        {
            "name": "Second FTA",
            "short_name": "SFTA",
            "structure": "copy",
            "copy_from": world.agreement.slug,
        },
    )
    assert response.status_code == 201, response.content
    copied = Agreement.objects.get(slug="sfta")
    assert list(copied.working_groups.order_by("order").values_list("code", flat=True)) == list(
        world.agreement.working_groups.order_by("order", "name").values_list("code", flat=True)
    )
    assert Chapter.objects.filter(working_group__agreement=copied).count() == 2


@pytest.mark.parametrize("copy_from", [None, "elsewhere"])
def test_a_copy_needs_an_agreement_one_may_see(world, api_as, copy_from):
    api = api_as(world.secretariat)
    before = _written()
    body = {"name": "Second FTA", "short_name": "SFTA", "structure": "copy"}
    if copy_from:
        body["copy_from"] = world.elsewhere_agreement.slug
    response = api.post(AGREEMENTS, body)
    assert set(_errors(response)) == {"#/copy_from"}
    assert _written() == before


# --- Deadlines as of a past point --------------------------------------------------------------


def _deadlines(api, world, **query):
    response = api.get(f"/api/v1/agreements/{world.agreement.slug}/deadlines/", query)
    assert response.status_code == 200, response.content
    return {row["id"]: (row["is_open"], row["is_overdue"]) for row in response.json()["results"]}


def test_deadlines_read_as_of_a_day_as_the_dashboards_read_them(world, api_as):
    done_late = DeadlineFactory(
        agreement=world.agreement,
        due_on=dt.date(2020, 5, 1),
        done=True,
        done_on=dt.date(2020, 5, 10),
    )
    done_undated = DeadlineFactory(agreement=world.agreement, due_on=dt.date(2020, 5, 1), done=True)
    still_open = DeadlineFactory(agreement=world.agreement, due_on=dt.date(2020, 6, 1))
    api = api_as(world.official)
    assert _deadlines(api, world, as_of="2020-05-05") == {
        done_late.pk: (True, True),
        done_undated.pk: (False, False),
        still_open.pk: (True, False),
    }
    assert _deadlines(api, world, as_of="2020-05-10") == {
        done_late.pk: (False, False),
        done_undated.pk: (False, False),
        still_open.pk: (True, False),
    }
    assert _deadlines(api, world) == {
        done_late.pk: (False, False),
        done_undated.pk: (False, False),
        still_open.pk: (True, True),
    }


def test_deadlines_read_as_of_a_round(world, api_as):
    NegotiationRoundFactory(
        agreement=world.agreement,
        number=2,
        starts_on=dt.date(2020, 5, 3),
        ends_on=dt.date(2020, 5, 6),
    )
    deadline = DeadlineFactory(
        agreement=world.agreement,
        due_on=dt.date(2020, 5, 1),
        done=True,
        done_on=dt.date(2020, 5, 8),
    )
    assert _deadlines(api_as(world.official), world, as_of="round-2") == {deadline.pk: (True, True)}


@pytest.mark.parametrize("as_of", ["round-9", "2999-01-01"])
def test_deadlines_as_of_a_point_not_passed_is_refused(world, api_as, as_of):
    response = api_as(world.official).get(
        f"/api/v1/agreements/{world.agreement.slug}/deadlines/", {"as_of": as_of}
    )
    assert set(_errors(response)) == {"#/as_of"}
