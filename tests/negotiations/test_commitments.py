"""Commitments: update and mark delivered, for the four permission cases."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from negotiations.models import Commitment
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment(world):
    return CommitmentFactory(meeting=world.meeting, text="Send the product list.")


def actions(c):
    return [
        (reverse("negotiations:commitment-detail", args=[c.pk]),
         {"text": "Send the full list.", "status": "in_progress", "version": c.version}),
        (reverse("negotiations:commitment-deliver", args=[c.pk]), {"version": c.version}),
    ]  # fmt: skip


def state():
    return list(Commitment.objects.values_list("text", "status")), AuditEntry.objects.count()


def test_anonymous_is_sent_to_sign_in(client, commitment):
    before = state()
    for url, data in actions(commitment):
        assert client.post(url, data).url.startswith(reverse("login"))
    assert state() == before


@pytest.mark.parametrize("who", ["official", "outsider", "other_negotiator", "elsewhere"])
def test_without_permission_here_gets_403_and_nothing_changes(client, world, commitment, who):
    client.force_login(getattr(world, who))
    before = state()
    for url, data in actions(commitment):
        assert client.post(url, data).status_code == 403
    # Who may see the agreement reads the commitment's page; nobody else.
    readers = {"official": 200, "other_negotiator": 200, "outsider": 403, "elsewhere": 403}
    assert client.get(actions(commitment)[0][0]).status_code == readers[who]
    assert state() == before


@pytest.mark.parametrize("who", ["negotiator", "chief"])
def test_with_permission_update_and_deliver(client, world, commitment, who):
    client.force_login(getattr(world, who))
    (update, data), (deliver, _) = actions(commitment)
    assert client.get(update).status_code == 200
    assert client.post(update, data).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.text, commitment.status) == ("Send the full list.", "in_progress")
    client.post(deliver, {"version": commitment.version})
    commitment.refresh_from_db()
    assert commitment.status == "delivered"
    entry = AuditEntry.objects.filter(object_id=str(commitment.pk)).first()
    assert entry.before["status"] == "in_progress"
    assert entry.after["status"] == "delivered"


def test_a_stale_status_choice_is_refused_and_typed_text_kept(client, world, commitment):
    client.force_login(world.negotiator)
    response = client.post(
        actions(commitment)[0][0], {"text": "Typed text", "status": "fulfilled", "version": 1}
    )
    assert response.status_code == 400
    assert "Typed text" in response.text
    assert "not (or no longer) available" in response.text
