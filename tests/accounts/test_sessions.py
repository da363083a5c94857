"""Signing out everywhere else, from one's own profile."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sign_out_on_all_other_devices_ends_them_and_keeps_this_one():
    person = UserFactory()
    here, phone, laptop = Client(), Client(), Client()
    for client in (here, phone, laptop):
        client.force_login(person)
        assert client.get(reverse("accounts:profile")).status_code == 200

    response = here.post(reverse("accounts:profile"), {"action": "sign-out-elsewhere"})

    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    for other in (phone, laptop):
        gone = other.get(reverse("accounts:profile"))
        assert gone.status_code == 302
        assert reverse("login") in gone["Location"]
    # And again: the epoch keeps counting, this session keeps its place.
    here.post(reverse("accounts:profile"), {"action": "sign-out-elsewhere"})
    assert here.get(reverse("accounts:profile")).status_code == 200


def test_a_user_who_never_signed_out_elsewhere_keeps_djangos_session_hash():
    from django.contrib.auth.base_user import AbstractBaseUser

    person = UserFactory()
    assert person.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(person)
