"""The people page of an agreement and each person's page: who may see them, what the table
shows and filters, the invitation form, and changing or removing someone."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations.choices import Role
from negotiations.models import Party, RoleAssignment
from tests.factories import (
    MembershipFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.models import Membership

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(autouse=True)
def _mail_and_eager_tasks(settings):
    from config.celery import app

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def world(world):
    """The world, its secretariat without the staff flag: none of this needs it."""
    User.objects.filter(pk=world.secretariat.pk).update(is_staff=False)
    world.secretariat.refresh_from_db()
    world.party, world.other_party = list(world.agreement.parties.order_by("pk"))
    return world


def people_url(world):
    return reverse("accounts:people", kwargs={"slug": world.agreement.slug})


def person_url(world, user):
    return reverse("accounts:person", kwargs={"slug": world.agreement.slug, "user_pk": user.pk})


def invitation(world, **overrides):
    return {
        "email": "sok.dara@mfa.gov.kh",
        "first_name": "Dara",
        "last_name": "Sok",
        "role": Role.NEGOTIATOR,
        "party": world.party.pk,
        "working_groups": [world.group.pk, world.other_group.pk],
        "time_zone": "Asia/Yangon",
        "language": "km",
        **overrides,
    }


# --- Who may see the pages ---------------------------------------------------------------------


PAGES = ["people", "person"]


def url_of(page, world):
    return people_url(world) if page == "people" else person_url(world, world.negotiator)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, page):
    response = client.get(url_of(page, world))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere"])
def test_people_without_the_right_are_refused(client, world, page, who):
    client.force_login(getattr(world, who))
    assert client.get(url_of(page, world)).status_code == 403
    assert client.post(url_of(page, world), invitation(world)).status_code == 403
    assert not User.objects.filter(email="sok.dara@mfa.gov.kh").exists()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["secretariat", "chief"])
def test_the_secretariat_and_chief_negotiators_may_manage_people(client, world, page, who):
    user = getattr(world, who)
    assert not user.is_staff
    client.force_login(user)
    assert client.get(url_of(page, world)).status_code == 200


def test_the_secretariat_of_another_agreement_is_refused(client, world):
    other = UserFactory()
    RoleAssignmentFactory(user=other, agreement=world.elsewhere_agreement, role=Role.SECRETARIAT)
    client.force_login(other)
    for page in PAGES:
        assert client.get(url_of(page, world)).status_code == 403


def test_a_person_without_a_role_in_this_agreement_has_no_page_here(client, world):
    client.force_login(world.secretariat)
    assert client.get(person_url(world, world.outsider)).status_code == 404
    assert client.get(person_url(world, world.elsewhere)).status_code == 404
    missing = reverse("accounts:people", kwargs={"slug": "no-such-agreement"})
    assert client.get(missing).status_code == 404


# --- The table ---------------------------------------------------------------------------------


def test_the_table_lists_everyone_with_a_role_and_their_groups(client, world):
    MembershipFactory(
        user=world.negotiator,
        working_group=WorkingGroupFactory(agreement=world.elsewhere_agreement, code="ELSE"),
    )
    pending = User.objects.create(username="pending", email="pending@example.org")
    pending.set_unusable_password()
    pending.save()
    RoleAssignmentFactory(user=pending, agreement=world.agreement, role=Role.OFFICIAL)
    client.force_login(world.secretariat)
    body = client.get(people_url(world)).content.decode()
    for person in (world.secretariat, world.chief, world.negotiator, world.official, pending):
        assert person.email in body
    assert world.outsider.email not in body
    assert world.elsewhere.email not in body
    assert world.group.code in body
    assert "ELSE" not in body  # a seat in another agreement's group
    assert body.count("Invitation pending") == 1
    assert person_url(world, world.negotiator) in body


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"role": Role.OFFICIAL}, ["official"], ["negotiator", "chief"]),
        ({"working_group": "GROUP"}, ["negotiator"], ["other_negotiator", "official"]),
        ({"q": "NEGOTIATOR_EMAIL"}, ["negotiator"], ["official", "chief"]),
    ],
)
def test_the_table_filters(client, world, query, shown, hidden):
    query = {
        key: {"GROUP": world.group.pk, "NEGOTIATOR_EMAIL": world.negotiator.email.upper()}.get(
            value, value
        )
        for key, value in query.items()
    }
    client.force_login(world.secretariat)
    body = client.get(people_url(world), query).content.decode()
    for who in shown:
        assert getattr(world, who).email in body
    for who in hidden:
        assert getattr(world, who).email not in body


def test_the_table_filters_by_party(client, world):
    RoleAssignment.objects.filter(user=world.official).update(party=world.other_party)
    client.force_login(world.secretariat)
    body = client.get(people_url(world), {"party": world.other_party.pk}).content.decode()
    assert world.official.email in body
    assert world.negotiator.email not in body


def count_queries(client, user, url):
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_people(world, count):
    groups = [world.group, world.other_group]
    for index in range(count):
        user = UserFactory()
        RoleAssignmentFactory(
            user=user, agreement=world.agreement, role=Role.NEGOTIATOR, party=world.party
        )
        for group in groups[: index % 3]:
            MembershipFactory(user=user, working_group=group, party=world.party)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_runs_a_fixed_number_of_queries(client, world, page):
    small = count_queries(client, world.secretariat, url_of(page, world))
    add_people(world, 30)
    for _ in range(5):
        WorkingGroupFactory(agreement=world.agreement)
    large = count_queries(client, world.secretariat, url_of(page, world))
    assert large == small
    assert large <= 15


# --- Inviting ----------------------------------------------------------------------------------


def post_invitation(client, world, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(people_url(world), invitation(world, **overrides))


def test_a_secretariat_invites_someone_with_a_party_groups_and_zone(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.secretariat)
    response = post_invitation(client, world, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    person = User.objects.get(email="sok.dara@mfa.gov.kh")
    assert (person.time_zone, person.language) == ("Asia/Yangon", "km")
    assignment = person.roles.get()
    assert (assignment.role, assignment.party) == (Role.NEGOTIATOR, world.party)
    assert set(person.memberships.values_list("working_group", flat=True)) == {
        world.group.pk,
        world.other_group.pk,
    }
    assert len(mail.outbox) == 1
    page = client.get(response.url).content.decode()
    assert "Invitation sent" in page
    assert "sok.dara@mfa.gov.kh" in page


def test_no_zone_chosen_means_the_partys_capital(client, world, django_capture_on_commit_callbacks):
    Party.objects.filter(pk=world.party.pk).update(capital_time_zone="Asia/Bangkok")
    client.force_login(world.secretariat)
    post_invitation(client, world, django_capture_on_commit_callbacks, time_zone="")
    assert User.objects.get(email="sok.dara@mfa.gov.kh").time_zone == "Asia/Bangkok"


def test_an_email_of_someone_already_here_is_refused_whatever_its_case(
    client, world, django_capture_on_commit_callbacks
):
    """Inviting someone already in the agreement does not silently rewrite them: the form
    says so and sends the secretariat to their page."""
    client.force_login(world.secretariat)
    response = post_invitation(
        client,
        world,
        django_capture_on_commit_callbacks,
        email=world.official.email.upper(),
        role=Role.NEGOTIATOR,
        working_groups=[world.group.pk],
    )
    assert response.status_code == 400
    assert "already in this agreement as Official" in response.content.decode()
    assert User.objects.filter(email__iexact=world.official.email).count() == 1
    assert world.official.roles.get().role == Role.OFFICIAL


def test_bad_input_is_shown_on_its_field_and_what_was_typed_is_kept(client, world):
    client.force_login(world.secretariat)
    response = client.post(
        people_url(world),
        invitation(world, email="not-an-email", first_name="Dara Typed", party=""),
    )
    assert response.status_code == 400
    body = response.content.decode()
    form = response.context["form"]
    assert "email" in form.errors
    assert "party" in form.errors  # groups chosen without a party
    assert 'value="Dara Typed"' in body
    assert 'value="not-an-email"' in body
    assert not User.objects.filter(first_name="Dara Typed").exists()


def test_the_form_offers_only_this_agreements_parties_and_groups(client, world):
    PartyFactory(name="Not at this table")
    client.force_login(world.secretariat)
    response = client.get(people_url(world))
    form = response.context["form"]
    assert set(form.fields["party"].queryset) == {world.party, world.other_party}
    assert set(form.fields["working_groups"].queryset) == {world.group, world.other_group}
    body = response.content.decode()
    assert f"{world.group.name} ({world.group.code})" in body
    assert "Not at this table" not in body
    assert "Same as the party" in body
    assert "Asia/Yangon (UTC+6:30)" in body


def test_a_group_of_another_agreement_is_refused(client, world):
    client.force_login(world.secretariat)
    foreign = WorkingGroupFactory(agreement=world.elsewhere_agreement)
    response = client.post(people_url(world), invitation(world, working_groups=[foreign.pk]))
    assert response.status_code == 400
    assert "working_groups" in response.context["form"].errors


def test_a_chief_negotiator_is_not_offered_the_secretariat_role(client, world):
    client.force_login(world.chief)
    response = client.get(people_url(world))
    roles = [value for value, _ in response.context["form"].fields["role"].choices]
    assert Role.SECRETARIAT not in roles
    assert Role.NEGOTIATOR in roles
    response = client.post(people_url(world), invitation(world, role=Role.SECRETARIAT))
    assert response.status_code == 400
    assert not User.objects.filter(email="sok.dara@mfa.gov.kh").exists()


def test_the_secretariat_is_offered_every_role(client, world):
    client.force_login(world.secretariat)
    response = client.get(people_url(world))
    roles = [value for value, _ in response.context["form"].fields["role"].choices]
    assert roles == ["", *Role.values]


# --- One person --------------------------------------------------------------------------------


def test_changing_a_persons_role_party_and_groups(client, world):
    client.force_login(world.secretariat)
    response = client.post(
        person_url(world, world.negotiator),
        {
            "action": "update",
            "role": Role.OFFICIAL,
            "party": world.other_party.pk,
            "working_groups": [world.other_group.pk],
        },
    )
    assert response.status_code == 302
    assignment = world.negotiator.roles.get()
    assert (assignment.role, assignment.party) == (Role.OFFICIAL, world.other_party)
    seats = Membership.objects.filter(user=world.negotiator)
    assert [(s.working_group, s.party) for s in seats] == [(world.other_group, world.other_party)]


def test_the_person_form_keeps_input_on_error(client, world):
    client.force_login(world.secretariat)
    response = client.post(
        person_url(world, world.negotiator),
        {
            "action": "update",
            "role": Role.OFFICIAL,
            "party": "",
            "working_groups": [world.group.pk],
        },
    )
    assert response.status_code == 400
    assert "party" in response.context["form"].errors
    assert world.negotiator.roles.get().role == Role.NEGOTIATOR


def test_removing_a_person(client, world):
    client.force_login(world.secretariat)
    response = client.post(person_url(world, world.negotiator), {"action": "remove"})
    assert response.url == people_url(world)
    assert not world.negotiator.roles.exists()
    assert not world.negotiator.memberships.exists()
    assert User.objects.filter(pk=world.negotiator.pk).exists()


def test_the_last_secretariat_is_not_removed_and_is_told_why(client, world):
    client.force_login(world.secretariat)
    response = client.post(person_url(world, world.secretariat), {"action": "remove"}, follow=True)
    assert world.secretariat.roles.get().role == Role.SECRETARIAT
    assert "at least one secretariat" in response.content.decode()


def test_a_chief_negotiator_may_not_change_the_secretariat(client, world):
    client.force_login(world.chief)
    page = client.get(person_url(world, world.secretariat))
    assert page.status_code == 200
    assert page.context["form"] is None
    response = client.post(person_url(world, world.secretariat), {"action": "remove"})
    assert response.status_code == 403
    assert world.secretariat.roles.exists()


def test_sending_the_invitation_again_only_while_it_is_pending(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.secretariat)
    post_invitation(client, world, django_capture_on_commit_callbacks)
    person = User.objects.get(email="sok.dara@mfa.gov.kh")
    page = client.get(person_url(world, person)).content.decode()
    assert "Send the invitation again" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(person_url(world, person), {"action": "resend"})
    assert len(mail.outbox) == 2
    assert (
        "Send the invitation again"
        not in client.get(person_url(world, world.negotiator)).content.decode()
    )
    response = client.post(person_url(world, world.negotiator), {"action": "resend"}, follow=True)
    assert "already signed in" in response.content.decode()
    assert len(mail.outbox) == 2
