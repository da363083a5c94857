import datetime as dt
import uuid

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.utils import translation

from negotiations.models import Agreement


@pytest.fixture(autouse=True)
def _served_like_behind_a_tls_proxy(settings):
    """Production settings, less what needs HTTPS and collected static files."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _language_restored():
    """A test (or a view it calls) that switches this thread's language leaves the next test in
    the default language, not its own."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _page_cache_of_this_test_alone(settings):
    """Each test starts with an empty page cache and leaves nothing to the next: the pages it
    caches are under a namespace of its own (the cache may be a Redis shared with the Celery
    broker, which a flush would empty too), and the in-memory one is cleared."""
    settings.PAGE_CACHE_NAMESPACE = uuid.uuid4().hex
    if caches["pages"].__class__.__name__ == "LocMemCache":
        caches["pages"].clear()
    yield
    if caches["pages"].__class__.__name__ == "LocMemCache":
        caches["pages"].clear()


@pytest.fixture
def no_page_cache(settings):
    """Pages rendered on every request: what a test of the rendering's own queries measures."""
    settings.PAGE_CACHE_ENABLED = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many accounts; the production hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_not_enforced(settings):
    """Tests sign people in with `force_login`, which passes no second factor: its enforcement
    is off but in the tests that ask for it (`second_factor_enforced`). A person with an
    authenticator app is still asked for its code at sign-in."""
    settings.SECOND_FACTOR_ENFORCED = False


@pytest.fixture
def second_factor_enforced(settings):
    """As in production: superusers, the secretariat and chief negotiators must pass it."""
    settings.SECOND_FACTOR_ENFORCED = True


@pytest.fixture
def seed(db) -> Agreement:
    """The Cambodia–China FTA as the fixtures describe it."""
    call_command("load_scenario", verbosity=0)
    return Agreement.objects.get(slug="cambodia-china-fta")


class World:
    """Two agreements; in the first, two working groups with a chapter each, and one person
    per role. `elsewhere` is a negotiator with full rights in the second agreement only."""


@pytest.fixture
def world(db):
    from negotiations.choices import Role
    from tests.factories import (
        AgreementFactory,
        ChapterFactory,
        ContestedPointFactory,
        MeetingFactory,
        MembershipFactory,
        RoleAssignmentFactory,
        UserFactory,
        WorkingGroupFactory,
    )

    w = World()
    w.agreement = AgreementFactory()
    w.group, w.other_group = (
        WorkingGroupFactory(agreement=w.agreement),
        WorkingGroupFactory(agreement=w.agreement),
    )
    w.chapter = ChapterFactory(working_group=w.group, status="under_negotiation")
    w.other_chapter = ChapterFactory(working_group=w.other_group, status="under_negotiation")
    w.point = ContestedPointFactory(chapter=w.chapter, opened_on=dt.date(2020, 4, 1))
    w.other_point = ContestedPointFactory(chapter=w.other_chapter, opened_on=dt.date(2020, 4, 1))
    w.meeting = MeetingFactory(agreement=w.agreement)
    w.meeting.working_groups.set([w.group])
    w.other_meeting = MeetingFactory(agreement=w.agreement)
    w.other_meeting.working_groups.set([w.other_group])

    def person(role, agreement=w.agreement, group=None, **kwargs):
        user = UserFactory(**kwargs)
        RoleAssignmentFactory(user=user, agreement=agreement, role=role)
        if group is not None:
            MembershipFactory(user=user, working_group=group)
        return user

    w.secretariat = person(Role.SECRETARIAT)
    w.chief = person(Role.CHIEF_NEGOTIATOR)
    w.negotiator = person(Role.NEGOTIATOR, group=w.group)
    w.other_negotiator = person(Role.NEGOTIATOR, group=w.other_group)
    w.official = person(Role.OFFICIAL)
    w.outsider = UserFactory()
    w.superuser = UserFactory(is_superuser=True, is_staff=True)
    w.elsewhere_agreement = AgreementFactory()
    w.elsewhere = person(
        Role.CHIEF_NEGOTIATOR,
        agreement=w.elsewhere_agreement,
    )
    w.elsewhere_chapter = ChapterFactory(
        working_group=WorkingGroupFactory(agreement=w.elsewhere_agreement)
    )
    w.elsewhere_meeting = MeetingFactory(agreement=w.elsewhere_agreement)
    return w
