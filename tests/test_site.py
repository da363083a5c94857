import pytest
from django.urls import reverse

from negotiations.choices import Role
from tests.factories import AgreementFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_health_check_is_public(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_agreement_list_needs_sign_in(client):
    response = client.get(reverse("negotiations:agreement-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_agreement_list_shows_only_assigned_agreements(client):
    mine = RoleAssignmentFactory(role=Role.OFFICIAL)
    theirs = AgreementFactory()
    client.force_login(mine.user)
    response = client.get(reverse("negotiations:agreement-list"))
    assert response.status_code == 200
    assert mine.agreement.name in response.text
    assert theirs.name not in response.text


def test_agreement_list_filter_returns_only_the_table_to_htmx(client):
    user = UserFactory(is_superuser=True)
    AgreementFactory(name="Cambodia–China FTA")
    AgreementFactory(name="RCEP")
    client.force_login(user)
    response = client.get(
        reverse("negotiations:agreement-list"), {"q": "Cambodia"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text
    assert "Cambodia–China FTA" in response.text
    assert "RCEP" not in response.text


def test_agreement_list_offers_only_the_parties_of_assigned_agreements(client):
    from tests.factories import PartyFactory

    ours, theirs = PartyFactory(name="Cambodia"), PartyFactory(name="Atlantis")
    mine = RoleAssignmentFactory(role=Role.OFFICIAL, agreement=AgreementFactory(parties=[ours]))
    AgreementFactory(parties=[theirs])
    client.force_login(mine.user)
    party_filter = client.get(reverse("negotiations:agreement-list")).context["filter"]
    assert list(party_filter.filters["party"].queryset) == [ours]
