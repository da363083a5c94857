"""Production refuses to start on a secret key anyone can know."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from accounts.checks import weakness

STRONG = secrets.token_urlsafe(64)


def run(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update({"DEBUG": "0", **env})
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "key",
    ["", settings.DEVELOPMENT_SECRET_KEY, "changeme", "django-insecure-" + "x" * 60, "short"],
)
def test_manage_py_check_fails_on_a_key_anyone_can_know(key):
    result = run("manage.py", "check", SECRET_KEY=key)
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_a_strong_key_passes_and_a_weak_fallback_does_not():
    assert run("manage.py", "check", SECRET_KEY=STRONG).returncode == 0
    weak_fallback = run("manage.py", "check", SECRET_KEY=STRONG, SECRET_KEY_FALLBACKS="changeme")
    assert weak_fallback.returncode != 0
    assert "SECRET_KEY_FALLBACKS" in weak_fallback.stderr


def test_the_web_server_refuses_to_start_without_a_key():
    code = "import config.wsgi"
    refused = run("-c", code)
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "SECRET_KEY is not set" in refused.stderr
    assert run("-c", code, SECRET_KEY=STRONG).returncode == 0


def test_development_keeps_working_without_a_key():
    assert run("manage.py", "check", DEBUG="1").returncode == 0


def test_what_makes_a_key_weak():
    assert weakness(STRONG) == ""
    assert "too short" in weakness("k7Qp2vX9mZr4tL8wE1yU6iO3aS5dF0gHjK2lZx9cV7bN")  # 44 characters
    assert "too short" in weakness("abcd" * 20)  # 80 characters, only four different
