"""Inviting someone to an agreement: the service (one person per email, idempotent, audited),
the email in the invitee's language, and the link that sets their password once."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts import services, tasks, tokens
from audit.models import AuditEntry
from negotiations.choices import Role
from negotiations.models import RoleAssignment
from tests.factories import PASSWORD, UserFactory
from workinggroups.choices import MembershipRole
from workinggroups.models import Membership

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a-much-longer-passphrase-2026"


@pytest.fixture(autouse=True)
def _mail_and_eager_tasks(settings):
    """Mail kept in memory; Celery tasks run in the test, as soon as they are queued."""
    from config.celery import app

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SITE_URL = "http://testserver"
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks):
    """invite(**overrides) as the world's secretariat, running what waits for the commit."""

    def run(**overrides):
        kwargs = {
            "agreement": world.agreement,
            "by": world.secretariat,
            "email": "sok.dara@mfa.gov.kh",
            "first_name": "Dara",
            "last_name": "Sok",
            "role": Role.NEGOTIATOR,
            "party": world.agreement.parties.first(),
            "working_groups": [world.group],
            "time_zone": "Asia/Phnom_Penh",
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return services.invite_person(**kwargs)

    return run


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/invitation/\S+/)", message.body).group(1)


# --- The service -------------------------------------------------------------------------------


def test_inviting_creates_the_person_with_their_role_seats_and_an_audit_trail(world, invite):
    person = invite(working_groups=[world.group, world.other_group])
    assert person.username == "sok.dara"
    assert (person.first_name, person.last_name, person.time_zone) == (
        "Dara",
        "Sok",
        "Asia/Phnom_Penh",
    )
    assert not person.has_usable_password()
    assert services.invitation_pending(person)
    assignment = RoleAssignment.objects.get(user=person)
    assert (assignment.agreement, assignment.role) == (world.agreement, Role.NEGOTIATOR)
    assert set(Membership.objects.filter(user=person).values_list("working_group", flat=True)) == {
        world.group.pk,
        world.other_group.pk,
    }
    created = AuditEntry.objects.filter(action="create", actor=world.secretariat)
    assert created.filter(content_type__model="user", object_id=str(person.pk)).exists()
    assert created.filter(content_type__model="roleassignment").exists()
    assert created.filter(content_type__model="membership").count() == 2


def test_inviting_twice_is_one_person_and_changes_nothing_the_second_time(world, invite):
    first = invite()
    entries = AuditEntry.objects.count()
    second = invite(email="SOK.Dara@MFA.gov.kh")
    assert second == first
    assert User.objects.filter(email__iexact="sok.dara@mfa.gov.kh").count() == 1
    assert AuditEntry.objects.count() == entries


def test_inviting_someone_already_here_with_new_data_is_refused_and_changes_nothing(world, invite):
    """A person already in the agreement is changed on their page, where the change is
    seen, never silently by a second invitation."""
    person = invite(working_groups=[world.group])
    with pytest.raises(ValidationError) as refused:
        invite(role=Role.OFFICIAL, working_groups=[world.other_group])
    assert "already in this agreement" in refused.value.message_dict["email"][0]
    assert RoleAssignment.objects.get(user=person).role == Role.NEGOTIATOR
    seats = Membership.objects.filter(user=person)
    assert [seat.working_group for seat in seats] == [world.group]


def test_a_group_lead_stays_lead_when_invited_again(world, invite):
    person = invite()
    Membership.objects.filter(user=person).update(role=MembershipRole.LEAD)
    invite()
    assert Membership.objects.get(user=person).role == MembershipRole.LEAD


def test_seats_in_another_agreement_are_left_alone(world, invite):
    from tests.factories import MembershipFactory, WorkingGroupFactory

    person = invite()
    elsewhere = MembershipFactory(
        user=person, working_group=WorkingGroupFactory(agreement=world.elsewhere_agreement)
    )
    services.update_person(
        agreement=world.agreement,
        user=person,
        by=world.secretariat,
        role=Role.NEGOTIATOR,
        party=world.agreement.parties.first(),
        working_groups=[],
    )
    assert list(Membership.objects.filter(user=person)) == [elsewhere]


def test_working_groups_without_a_party_are_refused_on_party(invite):
    with pytest.raises(ValidationError) as refused:
        invite(party=None)
    assert "party" in refused.value.error_dict
    assert not User.objects.filter(email__iexact="sok.dara@mfa.gov.kh").exists()


def test_an_invalid_email_or_zone_is_refused_on_its_field(invite):
    with pytest.raises(ValidationError) as refused:
        invite(email="not-an-email")
    assert "email" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        invite(time_zone="Mars/Olympus")
    assert "time_zone" in refused.value.error_dict


def test_the_username_is_made_unique(world, invite):
    UserFactory(username="sok.dara", email="other@example.org")
    assert invite().username == "sok.dara2"


def test_a_chief_negotiator_cannot_make_anyone_secretariat(world, invite):
    with pytest.raises(ValidationError) as refused:
        invite(by=world.chief, role=Role.SECRETARIAT)
    assert "role" in refused.value.error_dict
    assert invite(by=world.chief, role=Role.NEGOTIATOR).roles.get().role == Role.NEGOTIATOR


def test_a_chief_negotiator_cannot_change_or_remove_the_secretariat(world):
    with pytest.raises(ValidationError):
        services.update_person(
            agreement=world.agreement,
            user=world.secretariat,
            by=world.chief,
            role=Role.OFFICIAL,
            party=None,
            working_groups=[],
        )
    with pytest.raises(ValidationError):
        services.remove_person(agreement=world.agreement, user=world.secretariat, by=world.chief)
    assert world.secretariat.roles.get().role == Role.SECRETARIAT


def test_someone_without_rights_in_the_agreement_cannot_invite(world, invite):
    with pytest.raises(ValidationError):
        invite(by=world.elsewhere)
    with pytest.raises(ValidationError):
        invite(by=world.official)


def test_the_last_secretariat_cannot_be_demoted_or_removed(world):
    with pytest.raises(ValidationError):
        services.update_person(
            agreement=world.agreement,
            user=world.secretariat,
            by=world.secretariat,
            role=Role.CHIEF_NEGOTIATOR,
            party=None,
            working_groups=[],
        )
    with pytest.raises(ValidationError):
        services.remove_person(
            agreement=world.agreement, user=world.secretariat, by=world.secretariat
        )


def test_removing_a_person_drops_their_role_and_seats(world):
    services.remove_person(agreement=world.agreement, user=world.negotiator, by=world.secretariat)
    assert not world.negotiator.roles.exists()
    assert not world.negotiator.memberships.exists()


# --- The email ---------------------------------------------------------------------------------


def test_the_invitation_email_names_the_agreement_role_inviter_and_link(world, invite):
    person = invite()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    assert world.agreement.short_name in message.subject
    for text in (world.agreement.name, "Negotiator", str(world.secretariat), "sok.dara"):
        assert text in message.body
    html = message.alternatives[0].content
    assert world.agreement.name in html
    assert link_in(message) in html
    assert link_in(message).startswith("/accounts/invitation/")


def test_a_pending_invitee_is_sent_the_invitation_again_on_each_invitation(world, invite):
    invite()
    invite()
    assert len(mail.outbox) == 2
    assert link_in(mail.outbox[0])
    assert link_in(mail.outbox[1])


def test_someone_who_already_signs_in_is_told_they_were_added_without_a_link(world, invite):
    user = UserFactory(email="known@example.org")
    invite(email="KNOWN@example.org", first_name="", last_name="")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "added" in message.subject
    assert "/accounts/invitation/" not in message.body
    assert world.agreement.get_absolute_url() in message.body
    assert user.check_password(PASSWORD)
    # Inviting again with the same role says nothing new.
    invite(email="known@example.org")
    assert len(mail.outbox) == 1


def test_the_email_is_in_the_invitees_language(world, invite, monkeypatch):
    seen = []
    real = tasks._

    def spy(text):
        seen.append(translation.get_language())
        return real(text)

    monkeypatch.setattr(tasks, "_", spy)
    invite(language="zh-hans")
    message = mail.outbox[0]
    assert seen
    assert set(seen) == {"zh-hans"}
    assert "尊敬的" in message.body  # "Dear …," from the existing catalogue
    assert "谈判代表" in message.body  # the role, "Negotiator"
    assert '<html lang="zh-hans">' in message.alternatives[0].content
    assert translation.get_language() != "zh-hans"


def test_resending_is_only_for_a_pending_invitation(
    world, invite, django_capture_on_commit_callbacks
):
    person = invite()
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_invitation(agreement=world.agreement, user=person, by=world.secretariat)
    assert len(mail.outbox) == 2
    with pytest.raises(ValidationError):
        services.resend_invitation(
            agreement=world.agreement, user=world.negotiator, by=world.secretariat
        )


# --- The link ----------------------------------------------------------------------------------


def test_the_link_shows_who_it_is_for_then_sets_the_password_and_signs_in(world, invite, client):
    person = invite()
    path = link_in(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert person.email in body
    assert world.agreement.name in body
    assert "Dara" in body
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("dashboards:portfolio")
    assert client.get(reverse("dashboards:portfolio")).status_code == 200
    assert int(client.session["_auth_user_id"]) == person.pk
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not services.invitation_pending(person)
    assert AuditEntry.objects.filter(
        action="update", content_type__model="user", object_id=str(person.pk), actor=person
    ).exists()


def test_the_link_works_once(world, invite, client):
    invite()
    path = link_in(mail.outbox[0])
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.post(reverse("logout"))
    again = client.get(path)
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert (
        client.post(
            path,
            {"new_password1": "another-long-pass-2027", "new_password2": "another-long-pass-2027"},
        ).status_code
        == 400
    )


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(world, invite, client):
    person = invite()
    path = link_in(mail.outbox[0])
    assert client.post(path, {"new_password1": "123", "new_password2": "123"}).status_code == 400
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": "different"})
    assert response.status_code == 400
    person.refresh_from_db()
    assert services.invitation_pending(person)
    assert client.get(path).status_code == 200


def test_an_expired_link_is_refused(world, invite, client, monkeypatch, settings):
    person = invite()
    settings.INVITATION_MAX_AGE_DAYS = 7
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = tokens.make_token(person)
    monkeypatch.undo()
    response = client.get(reverse("accounts:invitation", kwargs={"token": token}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "expired" in body
    assert "secretariat" in body
    assert reverse("login") in body
    assert reverse("password_reset") in body


def test_a_tampered_link_is_refused(world, invite, client):
    invite()
    path = link_in(mail.outbox[0])
    token = path.rstrip("/").rsplit("/", 1)[-1]
    forged = signing.TimestampSigner(salt="accounts.invitation").sign_object(
        {"u": world.secretariat.pk, "h": "x"}
    )
    for bad in (token[:-2] + "xx", "nonsense", "x" + token[1:]):
        response = client.get(reverse("accounts:invitation", kwargs={"token": bad}))
        assert response.status_code == 400, bad
    # Rightly signed, but for someone who has a password: it is not theirs to reset.
    response = client.get(reverse("accounts:invitation", kwargs={"token": forged}))
    assert response.status_code == 400


def test_the_invitation_page_needs_no_sign_in_and_a_signed_in_visitor_becomes_the_invitee(
    world, invite, client
):
    person = invite()
    client.force_login(world.official)
    path = link_in(mail.outbox[0])
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert int(client.session["_auth_user_id"]) == person.pk
