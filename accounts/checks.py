"""Refuse to run in production on a secret key anyone can know.

The key signs sessions, password-reset and invitation links and the calendar of messages; with
a published, empty or short one, anyone can forge them. With DEBUG off, `manage.py check`
fails and the web server does not start (config/wsgi.py, config/asgi.py).
"""

from django.conf import settings
from django.core import checks

MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
# Keys that are published: this project's development key, Django's placeholder prefix, and
# the ones people type when told to "set something".
KNOWN_PREFIXES = ("django-insecure",)
KNOWN_KEYS = {"changeme", "secret", "secret-key", "your-secret-key", "please-change-me"}


def weakness(key) -> str:
    """Why this key must not sign anything in production, or an empty string."""
    if not key or key == settings.DEVELOPMENT_SECRET_KEY:
        return "SECRET_KEY is not set: the development key, published with the code, is in use."
    if key.lower() in KNOWN_KEYS:
        return "SECRET_KEY is a published default."
    if key.startswith(KNOWN_PREFIXES):
        return "SECRET_KEY starts with 'django-insecure', the placeholder of new projects."
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return (
            f"SECRET_KEY is too short or too simple (at least {MIN_LENGTH} characters "
            f"and {MIN_UNIQUE_CHARACTERS} different ones)."
        )
    return ""


@checks.register(checks.Tags.security)
def secret_key_check(app_configs=None, **kwargs):
    """An error, not a warning, whenever DEBUG is off: production must not start like this."""
    if settings.DEBUG:
        return []
    problems = [("SECRET_KEY", weakness(settings.SECRET_KEY))]
    problems += [("SECRET_KEY_FALLBACKS", weakness(key)) for key in settings.SECRET_KEY_FALLBACKS]
    return [
        checks.Error(
            why,
            hint=(
                "Set SECRET_KEY in the environment to a long random value, e.g. the output of "
                '`python -c "import secrets; print(secrets.token_urlsafe(64))"`; keep the '
                "previous one in SECRET_KEY_FALLBACKS while you rotate."
            ),
            obj=name,
            id="accounts.E001",
        )
        for name, why in problems
        if why
    ]


def refuse_to_serve_insecurely() -> None:
    """Called by the WSGI and ASGI entry points: stop before the first request is served."""
    from django.core.exceptions import ImproperlyConfigured

    errors = secret_key_check()
    if errors:
        raise ImproperlyConfigured(" ".join(f"{e.msg} {e.hint}" for e in errors))
