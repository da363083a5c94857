"""Sign-in limits behind a proxy: each client is itself, a forged header changes nothing, and
one address cannot try a few passwords on every username."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def attempt(client, username, password, *, client_address, via_proxy=True):
    meta = {"REMOTE_ADDR": PROXY if via_proxy else client_address}
    if via_proxy:
        meta["HTTP_X_FORWARDED_FOR"] = client_address
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 0  # as the settings derive it for one proxy
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


def test_one_clients_failures_do_not_lock_out_another_behind_the_same_proxy(
    client, behind_one_proxy, settings
):
    person = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, person.username, "wrong-guess-123", client_address="203.0.113.7")
    locked = attempt(client, person.username, PASSWORD, client_address="203.0.113.7")
    assert locked.status_code == 429

    other = attempt(client.__class__(), person.username, PASSWORD, client_address="198.51.100.9")
    assert other.status_code == 302  # signed in


def test_without_a_trusted_proxy_a_forged_forwarded_for_header_changes_nothing(client, settings):
    person = UserFactory()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": person.username, "password": "wrong-guess-123"},
            REMOTE_ADDR="192.0.2.50",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",  # a new "address" each time
        )
    locked = client.post(
        reverse("login"),
        {"username": person.username, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.50",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert locked.status_code == 429


def test_one_address_trying_a_few_passwords_on_many_usernames_is_stopped(
    client, behind_one_proxy, settings
):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 12
    people = [UserFactory() for _ in range(4)]
    for person in people:  # 4 × 3 = 12 failures, none reaching the per-username limit of 5
        for _ in range(3):
            attempt(client, person.username, "wrong-guess-123", client_address="203.0.113.66")

    refused = attempt(client, people[0].username, PASSWORD, client_address="203.0.113.66")
    assert refused.status_code in (200, 429)
    assert "Too many failed sign-ins from your network" in refused.text
    assert "_auth_user_id" not in client.session

    # Another address still signs the same person in.
    fine = attempt(client.__class__(), people[0].username, PASSWORD, client_address="198.51.100.1")
    assert fine.status_code == 302
