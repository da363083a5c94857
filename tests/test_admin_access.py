"""The administration site is the superusers' tool alone.

Every page of it, for every model registered, answers a superuser and refuses everyone else who
is signed in with the page that says the site is for the system administrators: the people of
each role, the secretariat of an agreement, and a former staff member who still has the flag
and every model permission. The attacks a secretariat officer of one agreement could once make
through it (making themselves superuser, setting the password of another agreement's people,
giving themselves a role in another agreement, reading another agreement's audit trail) are
refused there and in the tracker's own pages, and still work for a superuser.
"""

from functools import partial

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditEntry
from negotiations.choices import Role
from reminders.models import LeadTimes, Preference, Reminder
from tests.factories import (
    PASSWORD,
    CommitmentFactory,
    DeadlineFactory,
    NegotiationRoundFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from workinggroups.services import change_chapter_status

pytestmark = pytest.mark.django_db

ADMINISTRATION = (
    "The administration site is for the system administrators; "
    "everything you can do is in the tracker itself."
)
NEW_PASSWORD = "a-new-password-of-some-length"
REFUSED = ["negotiator", "chief", "official", "secretariat", "former_staff"]


# --- Who ------------------------------------------------------------------------------------


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)


@pytest.fixture
def people(world, root):
    """Each role of the first agreement; its secretariat as every account now is, without the
    staff flag; and a former staff member, secretariat of the first agreement, who kept the
    flag and every permission, in person and through the old "Secretariat" group."""
    User.objects.filter(pk=world.secretariat.pk).update(is_staff=False)
    former_staff = UserFactory(is_staff=True)
    RoleAssignmentFactory(user=former_staff, agreement=world.agreement, role=Role.SECRETARIAT)
    every_permission = Permission.objects.all()
    former_staff.user_permissions.add(*every_permission)
    group = Group.objects.create(name="Secretariat")
    group.permissions.add(*every_permission)
    former_staff.groups.add(group)
    return {
        "negotiator": world.negotiator,
        "chief": world.chief,
        "official": world.official,
        "secretariat": User.objects.get(pk=world.secretariat.pk),
        "former_staff": User.objects.get(pk=former_staff.pk),
        "root": root,
    }


@pytest.fixture
def one_of_each(world, people):
    """At least one record of every model the site administers."""
    moment = timezone.now()
    CommitmentFactory(meeting=world.meeting, owner=world.chief, chapter=world.chapter)
    NegotiationRoundFactory(agreement=world.agreement)
    DeadlineFactory(agreement=world.agreement)
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    LeadTimes.objects.create(agreement=world.agreement, meeting_days=[1], deadline_days=[1])
    Preference.objects.create(user=world.negotiator)
    Reminder.objects.create(
        agreement=world.agreement,
        recipient=world.negotiator,
        kind="meeting",
        target_id=world.meeting.pk,
        offset_days=1,
        target_at=moment,
        due_at=moment,
        send_after=moment,
    )
    seen = {"user_agent": "test", "ip_address": "192.0.2.1", "username": "someone"}
    AccessAttempt.objects.create(**seen, failures_since_start=1)
    AccessLog.objects.create(**seen)
    AccessFailureLog.objects.create(**seen)
    TOTPDevice.objects.create(user=world.chief, name="default", confirmed=True)
    records = {
        model: model._default_manager.order_by("pk").first() for model in admin.site._registry
    }
    assert all(records.values()), [m for m, record in records.items() if record is None]
    return records


# --- Every page of the site, as everyone ----------------------------------------------------


def name_of(model, page):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"


def every_page(records):
    """(url, the permission a superuser needs for it) for every page of the site: its index,
    each app's, and each model's list, add page, and change, history and delete pages of one
    record, with the password page of an account."""
    yield reverse("admin:index"), None
    for app_label in {model._meta.app_label for model in records}:
        yield reverse("admin:app_list", args=[app_label]), None
    for model, record in records.items():
        model_admin = admin.site.get_model_admin(model)
        yield reverse(name_of(model, "changelist")), None
        yield reverse(name_of(model, "add")), model_admin.has_add_permission
        for page in ["change", "history"]:
            yield reverse(name_of(model, page), args=[record.pk]), None
        yield (
            reverse(name_of(model, "delete"), args=[record.pk]),
            partial(model_admin.has_delete_permission, obj=record),
        )
    yield reverse("admin:auth_user_password_change", args=[records[User].pk]), None


def assert_refused_with_the_explanation(response, url):
    assert response.status_code == 403, (url, response.status_code)
    assert response.context["administration"], url
    assert ADMINISTRATION in response.text, url


@pytest.mark.parametrize("who", REFUSED)
def test_every_page_of_the_site_is_refused_to_anyone_but_a_superuser(
    client, people, one_of_each, who
):
    client.force_login(people[who])

    pages = list(every_page(one_of_each))
    for url, _permission in pages:
        assert_refused_with_the_explanation(client.get(url), url)

    assert len(pages) > 5 * len(one_of_each)


def test_every_page_of_the_site_answers_a_superuser(client, people, one_of_each):
    client.force_login(people["root"])
    request = RequestFactory().get("/admin/")
    request.user = people["root"]

    for url, permission in every_page(one_of_each):
        expected = 200 if permission is None or permission(request) else 403
        assert client.get(url).status_code == expected, url


def test_a_visitor_is_sent_to_sign_in_from_every_page(client, one_of_each):
    for url, _permission in every_page(one_of_each):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith((reverse("login"), reverse("admin:login"))), url


@pytest.mark.parametrize("who", REFUSED)
def test_a_form_sent_to_the_site_by_anyone_but_a_superuser_is_refused(
    client, people, one_of_each, who
):
    """Sent straight to a model's add page, without ever opening it: nothing is created."""
    client.force_login(people[who])
    before = Group.objects.count()

    response = client.post(reverse(name_of(Group, "add")), {"name": "Everything"})

    assert_refused_with_the_explanation(response, "group add")
    assert Group.objects.count() == before


# --- The attacks of a secretariat officer of one agreement ------------------------------------


def form_data(form) -> dict:
    """What a browser sends back for this form as it is shown."""
    data = {}
    for field in form:
        value, widget = field.value(), field.field.widget
        if field.field.disabled:
            continue
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            for suffix, part_widget, part in zip(
                widget.widgets_names, widget.widgets, parts, strict=True
            ):
                data[field.html_name + suffix] = part_widget.format_value(part) or ""
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data[field.html_name] = [str(item) for item in value]
        elif value is not None:
            data[field.html_name] = str(value)
    return data


def change_page_data(client, root, user, **changes) -> dict:
    """The account's change page as a superuser sees it, with its inlines, to be sent back
    with `changes`."""
    client.force_login(root)
    response = client.get(reverse(name_of(User, "change"), args=[user.pk]))
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    data.update(changes)
    return data


def with_new_role(data, agreement, role) -> dict:
    """The change page's data with one more row in the roles inline."""
    total = int(data["roles-TOTAL_FORMS"])
    return {
        **data,
        "roles-TOTAL_FORMS": str(total + 1),
        f"roles-{total}-agreement": str(agreement.pk),
        f"roles-{total}-role": role,
        f"roles-{total}-party": "",
    }


@pytest.fixture(params=["secretariat", "former_staff"])
def officer(request, people):
    """A secretariat officer of the first agreement, no superuser: as accounts are now, and
    as they were when the officer had the staff flag and every permission."""
    return people[request.param]


def standing(person) -> tuple:
    """What the site's permissions go by: superuser, staff flag, groups, own permissions."""
    person = User.objects.get(pk=person.pk)
    return (
        person.is_superuser,
        person.is_staff,
        set(person.groups.all()),
        set(person.user_permissions.all()),
    )


@pytest.mark.parametrize("target", ["self", "negotiator"])
def test_an_officer_cannot_make_anyone_superuser_through_the_site(
    client, people, world, officer, target
):
    person = officer if target == "self" else world.negotiator
    before = standing(person)
    data = change_page_data(
        client, people["root"], person, is_superuser="on", is_staff="on", groups=[]
    )
    client.force_login(officer)

    response = client.post(reverse(name_of(User, "change"), args=[person.pk]), data)

    assert_refused_with_the_explanation(response, "user change")
    assert standing(person) == before
    assert not before[0]


def test_an_officer_cannot_make_themselves_superuser_through_the_trackers_pages(
    client, world, officer
):
    before = standing(officer)
    client.force_login(officer)
    escalation = {"is_superuser": "on", "is_staff": "on", "groups": "1"}

    client.post(reverse("accounts:profile"), escalation)
    client.post(
        reverse("accounts:person", args=[world.agreement.slug, officer.pk]),
        {"action": "update", "role": Role.SECRETARIAT, **escalation},
    )

    assert standing(officer) == before
    assert not before[0]


def test_a_superuser_makes_someone_superuser_and_the_staff_flag_follows(client, people, world):
    root = people["root"]
    data = change_page_data(client, root, world.negotiator, is_superuser="on")

    response = client.post(reverse(name_of(User, "change"), args=[world.negotiator.pk]), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    world.negotiator.refresh_from_db()
    assert world.negotiator.is_superuser
    assert world.negotiator.is_staff
    data = change_page_data(client, root, world.negotiator)
    del data["is_superuser"]
    client.post(reverse(name_of(User, "change"), args=[world.negotiator.pk]), data)
    world.negotiator.refresh_from_db()
    assert (world.negotiator.is_superuser, world.negotiator.is_staff) == (False, False)


def test_the_staff_flag_alone_is_never_set_through_the_site(client, people, world):
    data = change_page_data(client, people["root"], world.official, is_staff="on")

    response = client.post(reverse(name_of(User, "change"), args=[world.official.pk]), data)

    assert response.status_code == 302
    world.official.refresh_from_db()
    assert not world.official.is_staff


def password_post():
    return {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


def test_an_officer_cannot_set_the_password_of_another_agreements_person(client, world, officer):
    client.force_login(officer)
    url = reverse("admin:auth_user_password_change", args=[world.elsewhere.pk])

    assert_refused_with_the_explanation(client.get(url), url)
    assert_refused_with_the_explanation(client.post(url, password_post()), url)

    world.elsewhere.refresh_from_db()
    assert world.elsewhere.check_password(PASSWORD)
    assert not world.elsewhere.check_password(NEW_PASSWORD)


def test_an_officer_cannot_set_the_password_of_their_own_agreements_people_either(
    client, world, officer
):
    """Each person sets their own, by the invitation's link or a reset by email."""
    client.force_login(officer)
    url = reverse("admin:auth_user_password_change", args=[world.negotiator.pk])

    assert_refused_with_the_explanation(client.post(url, password_post()), url)

    world.negotiator.refresh_from_db()
    assert world.negotiator.check_password(PASSWORD)


def test_a_superuser_sets_anyones_password(client, people, world):
    client.force_login(people["root"])

    response = client.post(
        reverse("admin:auth_user_password_change", args=[world.elsewhere.pk]), password_post()
    )

    assert response.status_code == 302
    world.elsewhere.refresh_from_db()
    assert world.elsewhere.check_password(NEW_PASSWORD)


def test_an_officer_cannot_give_themselves_a_role_in_another_agreement_through_the_site(
    client, people, world, officer
):
    data = with_new_role(
        change_page_data(client, people["root"], officer),
        world.elsewhere_agreement,
        Role.SECRETARIAT,
    )
    client.force_login(officer)

    inline = client.post(reverse(name_of(User, "change"), args=[officer.pk]), data)
    direct = client.post(
        reverse("admin:negotiations_roleassignment_add"),
        {"user": officer.pk, "agreement": world.elsewhere_agreement.pk, "role": "secretariat"},
    )

    assert_refused_with_the_explanation(inline, "roles inline")
    assert_refused_with_the_explanation(direct, "role add")
    assert not world.elsewhere_agreement.roles.filter(user=officer).exists()


def test_an_officer_cannot_join_another_agreement_through_the_trackers_pages(
    client, world, officer
):
    client.force_login(officer)
    people_url = reverse("accounts:people", args=[world.elsewhere_agreement.slug])

    response = client.post(
        people_url,
        {
            "email": officer.email,
            "first_name": officer.first_name,
            "last_name": officer.last_name,
            "role": Role.SECRETARIAT,
            "language": "en",
        },
    )

    assert response.status_code == 403
    assert not world.elsewhere_agreement.roles.filter(user=officer).exists()
    person_url = reverse(
        "accounts:person", args=[world.elsewhere_agreement.slug, world.elsewhere.pk]
    )
    assert client.get(person_url).status_code == 403


def test_a_superuser_gives_a_role_in_any_agreement_through_the_roles_inline(
    client, people, world, officer
):
    data = with_new_role(
        change_page_data(client, people["root"], officer),
        world.elsewhere_agreement,
        Role.OFFICIAL,
    )

    response = client.post(reverse(name_of(User, "change"), args=[officer.pk]), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert world.elsewhere_agreement.roles.get(user=officer).role == Role.OFFICIAL
    assert world.agreement.roles.get(user=officer).role == Role.SECRETARIAT


@pytest.fixture
def elsewhere_entry(world):
    """An entry of the other agreement's audit trail."""
    change_chapter_status(chapter=world.elsewhere_chapter, to_status="agreed", by=world.elsewhere)
    return AuditEntry.objects.filter(agreement=world.elsewhere_agreement).latest("pk")


def test_an_officer_cannot_read_another_agreements_trail_through_the_site(
    client, world, officer, elsewhere_entry
):
    client.force_login(officer)

    for url in [
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:audit_auditentry_changelist")
        + f"?agreement__id__exact={world.elsewhere_agreement.pk}",
        reverse("admin:audit_auditentry_change", args=[elsewhere_entry.pk]),
    ]:
        response = client.get(url)
        assert_refused_with_the_explanation(response, url)
        assert elsewhere_entry.object_repr not in response.text


def test_an_officer_reads_only_their_agreements_trail_in_the_trackers_pages(
    client, world, officer, elsewhere_entry
):
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    client.force_login(officer)
    url = reverse("audit:entry-list")

    shown = client.get(url).context["filter"].qs
    asked = client.get(url, {"agreement": world.elsewhere_agreement.pk})

    assert {entry.agreement_id for entry in shown} == {world.agreement.pk}
    assert asked.context["table"].paginator.count == 0


def test_a_superuser_reads_every_agreements_trail_through_the_site(
    client, people, world, elsewhere_entry
):
    client.force_login(people["root"])

    listed = client.get(reverse("admin:audit_auditentry_changelist")).context["cl"].result_list
    page = client.get(reverse("admin:audit_auditentry_change", args=[elsewhere_entry.pk]))

    assert elsewhere_entry in listed
    assert page.status_code == 200


# --- Behind the gate: each admin keeps to what the person steers ------------------------------


@pytest.fixture
def gate_lifted():
    """The site admits whoever has the staff flag, as Django's own does: the second line."""
    gate = admin.site.has_permission
    admin.site.has_permission = partial(AdminSite.has_permission, admin.site)
    yield
    admin.site.has_permission = gate


def test_behind_the_gate_a_former_staff_member_still_cannot_reach_accounts(
    client, people, world, gate_lifted
):
    former_staff = people["former_staff"]
    data = change_page_data(client, people["root"], former_staff, is_superuser="on")
    client.force_login(former_staff)

    escalation = client.post(reverse(name_of(User, "change"), args=[former_staff.pk]), data)
    password = client.post(
        reverse("admin:auth_user_password_change", args=[world.elsewhere.pk]), password_post()
    )
    groups = client.get(reverse(name_of(Group, "changelist")))

    assert (escalation.status_code, password.status_code, groups.status_code) == (403, 403, 403)
    former_staff.refresh_from_db()
    world.elsewhere.refresh_from_db()
    assert not former_staff.is_superuser
    assert world.elsewhere.check_password(PASSWORD)


def test_behind_the_gate_a_role_in_another_agreement_is_refused(client, people, world, gate_lifted):
    former_staff = people["former_staff"]
    client.force_login(former_staff)

    response = client.post(
        reverse("admin:negotiations_roleassignment_add"),
        {"user": former_staff.pk, "agreement": world.elsewhere_agreement.pk, "role": "official"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["agreement"]
    assert not world.elsewhere_agreement.roles.filter(user=former_staff).exists()


def test_behind_the_gate_the_trail_is_of_the_persons_agreements_alone(
    client, people, world, elsewhere_entry, gate_lifted
):
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    client.force_login(people["former_staff"])

    listed = client.get(reverse("admin:audit_auditentry_changelist")).context["cl"].result_list
    entry = client.get(reverse("admin:audit_auditentry_change", args=[elsewhere_entry.pk]))

    assert {row.agreement_id for row in listed} == {world.agreement.pk}
    assert entry.status_code == 302  # "does not exist", back to the index


def test_behind_the_gate_the_reminder_ledger_is_of_the_agreements_the_person_steers(
    client, people, world, gate_lifted
):
    moment = timezone.now()
    for agreement in [world.agreement, world.elsewhere_agreement]:
        Reminder.objects.create(
            agreement=agreement,
            recipient=world.negotiator,
            kind="meeting",
            target_id=agreement.pk,
            offset_days=1,
            target_at=moment,
            due_at=moment,
            send_after=moment,
            note=f"451 for {agreement.slug}",
        )
    negotiator = people["negotiator"]
    User.objects.filter(pk=negotiator.pk).update(is_staff=True)
    negotiator.user_permissions.add(*Permission.objects.filter(content_type__app_label="reminders"))
    url = reverse(name_of(Reminder, "changelist"))

    client.force_login(people["former_staff"])
    steering = client.get(url).text
    client.force_login(negotiator)
    negotiating = client.get(url).text

    assert f"451 for {world.agreement.slug}" in steering
    assert f"451 for {world.elsewhere_agreement.slug}" not in steering
    assert "451 for" not in negotiating


# --- The accounts as the migration leaves them ------------------------------------------------


def test_the_migration_leaves_only_superusers_with_the_staff_flag(people, root):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("accounts.migrations.0005_only_superusers_are_staff")
    User.objects.filter(pk=people["secretariat"].pk).update(is_staff=True)
    group = Group.objects.get(name="Secretariat")  # every permission, as it was once given
    assert group.permissions.filter(content_type__app_label="accounts").exists()

    migration.only_superusers_are_staff(apps, None)

    assert root in User.objects.filter(is_staff=True)
    assert set(User.objects.filter(is_staff=True)) == set(User.objects.filter(is_superuser=True))
    assert not group.permissions.exists()
    assert group.user_set.filter(pk=people["former_staff"].pk).exists()


# --- The second factor's devices ----------------------------------------------------------------


def test_a_superuser_sees_who_has_an_authenticator_but_never_its_secret(client, people, world):
    """A lost phone is removed here; its secret is never shown, nor one added for someone."""
    device = TOTPDevice.objects.create(user=world.chief, name="default", confirmed=True)
    client.force_login(people["root"])

    listed = client.get(reverse(name_of(TOTPDevice, "changelist")))
    page = client.get(reverse(name_of(TOTPDevice, "change"), args=[device.pk]))
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    add = client.get(reverse(name_of(TOTPDevice, "add")))
    removed = client.post(reverse(name_of(TOTPDevice, "delete"), args=[device.pk]), {"post": "yes"})

    assert device in listed.context["cl"].result_list
    assert page.status_code == 200
    assert device.key not in page.text
    assert (config.status_code, add.status_code, removed.status_code) == (403, 403, 302)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
