"""Sign-in, password change and reset by email, lockout, password and session policy, and the
deployment checks."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = ["login", "password_reset", "password_reset_done", "password_reset_complete"]


@pytest.mark.parametrize("name", PUBLIC)
def test_sign_in_and_reset_pages_are_reachable_without_signing_in(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_someone_signed_in_is_not_asked_to_sign_in_again(client):
    """An old link to the sign-in page, or the administration site's, takes a person already
    signed in on to where it was headed; the administration site then says it is not theirs."""
    client.force_login(UserFactory())
    response = client.get(reverse("login"), {"next": "/profile/"})
    assert (response.status_code, response.url) == (302, "/profile/")

    response = client.get("/admin/login/", {"next": "/admin/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 403
    assert 'name="password"' not in response.text


@pytest.mark.parametrize("name", ["password_change", "password_change_done"])
def test_password_change_needs_sign_in(client, name):
    assert client.get(reverse(name)).url.startswith(reverse("login"))


def test_sign_in_and_out(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("negotiations:agreement-list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("negotiations:agreement-list")).status_code == 302


def test_password_reset_by_email_end_to_end(client):
    user = UserFactory(email="sokha@example.org")
    client.post(reverse("password_reset"), {"email": "sokha@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1]
    response = client.get(path, follow=True)
    new = "a-much-longer-passphrase-2026"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_passwords_need_twelve_characters(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Short-1x", "new_password2": "Short-1x"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.text, response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_repeated_failures_lock_the_username_from_that_address_for_a_while(client):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong-guess-123"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert client.get(reverse("negotiations:agreement-list")).status_code == 302
    assert settings.AXES_COOLOFF_TIME > 0  # the lockout ends by itself


def test_sessions_expire_and_cookies_are_secure_in_production():
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS >= 31536000


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text


def test_check_deploy_is_clean_with_production_settings():
    # Only what a deployment has: nothing the test run itself set (e.g. browser tests' flags).
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": "k7#Qp2vX9!mZr4tL8wE1yU6iO3aS5dF0gH_jK2lZx9cV7bN4mQ1wE8rT6yU3iO5p",
        "ALLOWED_HOSTS": "tracker.example.org",
        "DATABASE_URL": "sqlite:////tmp/check-deploy.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
