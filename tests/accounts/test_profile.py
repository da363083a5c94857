"""A person's own profile page: what it shows anyone signed in, and changing the language and
time zone their pages and reminders use."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from audit.models import AuditEntry
from negotiations.choices import Role
from tests.factories import MembershipFactory, RoleAssignmentFactory, WorkingGroupFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PROFILE = "/profile/"


def save(client, user, **data):
    """Post the profile form as the page shows it, with these values changed."""
    posted = {
        "action": "profile",
        "language": user.language,
        "time_zone": user.time_zone,
        "seen": services.profile_fingerprint(user),
        **data,
    }
    return client.post(PROFILE, posted)


def test_the_profile_lives_at_its_own_address():
    assert reverse("accounts:profile") == PROFILE


def test_a_visitor_who_has_not_signed_in_is_sent_to_sign_in(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "who", ["secretariat", "chief", "negotiator", "official", "outsider", "elsewhere"]
)
def test_everyone_signed_in_sees_their_own_profile(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    page = response.content.decode()
    assert user.email in page
    assert user.username in page
    assert reverse("reminders:settings") in page
    assert 'name="time_zone"' in page
    assert 'name="language"' in page
    # The signed-in menu leads here.
    assert f'href="{PROFILE}"' in page


def test_the_profile_lists_the_persons_roles_and_seats_and_nobody_elses(client, world):
    client.force_login(world.negotiator)
    page = client.get(PROFILE).content.decode()
    assert f'href="{world.agreement.get_absolute_url()}"' in page
    assert str(Role.NEGOTIATOR.label) in page
    assert f"{world.group.name} ({world.group.code})" in page
    assert f"{world.other_group.name} ({world.other_group.code})" not in page
    assert f'href="{world.elsewhere_agreement.get_absolute_url()}"' not in page


def test_someone_without_any_role_is_told_so(client, world):
    client.force_login(world.outsider)
    page = client.get(PROFILE).content.decode()
    assert "You have no role in any agreement yet" in page


def test_saving_changes_language_and_time_zone_and_the_pages_follow(client, world):
    user = world.negotiator
    client.force_login(user)
    response = save(client, user, language="km", time_zone="Asia/Phnom_Penh")
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("km", "Asia/Phnom_Penh")
    # The pages follow the language chosen, not only the emails.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "km"
    page = client.get(PROFILE)
    assert page.headers["Content-Language"] == "km"


def test_saving_is_audited_as_done_by_the_person(client, world):
    user = world.official
    client.force_login(user)
    save(client, user, time_zone="Asia/Shanghai")
    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).latest("pk")
    assert entry.actor == user
    assert entry.before["time_zone"] == "UTC"
    assert entry.after["time_zone"] == "Asia/Shanghai"


def test_an_unknown_time_zone_keeps_the_form_with_a_clear_message(client, world):
    user = world.chief
    client.force_login(user)
    response = save(client, user, time_zone="Mars/Olympus_Mons", language="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Mars/Olympus_Mons is not one of the available choices" in page
    # What was typed is kept; nothing is saved.
    assert 'value="zh-hans" selected' in page
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("en", "UTC")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_an_unknown_language_is_refused(client, world):
    user = world.chief
    client.force_login(user)
    response = save(client, user, language="tlh")
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.language == "en"


def test_a_save_from_a_page_opened_before_another_change_is_refused(client, world):
    user = world.negotiator
    client.force_login(user)
    seen = services.profile_fingerprint(user)
    # Changed meanwhile, in another tab.
    services.update_profile(user=user, by=user, language="en", time_zone="Asia/Yangon")
    response = client.post(
        PROFILE,
        {"action": "profile", "language": "en", "time_zone": "Asia/Bangkok", "seen": seen},
    )
    assert response.status_code == 409
    assert "Asia/Yangon" in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Asia/Yangon"


def test_an_unknown_action_is_not_found(client, world):
    client.force_login(world.official)
    assert client.post(PROFILE, {"action": "delete-everything"}).status_code == 404


def test_the_profile_runs_the_same_queries_for_one_role_and_for_many(client, world):
    user = world.negotiator
    client.force_login(user)
    services.create_or_regenerate_feed(user=user, by=user)
    client.get(PROFILE)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PROFILE).status_code == 200
    for _ in range(8):
        group = WorkingGroupFactory()
        RoleAssignmentFactory(user=user, agreement=group.agreement, role=Role.NEGOTIATOR)
        MembershipFactory(user=user, working_group=group)
    with CaptureQueriesContext(connection) as many:
        assert client.get(PROFILE).status_code == 200
    assert len(many) == len(few)
