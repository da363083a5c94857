"""The administration site: its choices belong to the record's agreement and name it, what
it creates stays in sight of its creator, accounts have an address, meeting times are the
meeting's own, and a staff member who is no superuser cannot make one.

The site admits superusers alone (tests/test_admin_access.py). Behind that gate, each admin
still keeps anyone else to the agreements they steer: the tests of a `staff` member lift the
gate, as Django's own site has it, to show that second line holds should the first ever give.
"""

import datetime as dt
from functools import partial

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.db import connection
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.admin import UserAdmin
from accounts.models import User
from audit.models import AuditEntry
from negotiations.admin import RoleAssignmentInline, agreement_id_of
from negotiations.choices import Role
from negotiations.models import (
    Agreement,
    Commitment,
    CommitmentStatusChange,
    Delegation,
    Meeting,
)
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CommitmentFactory,
    MeetingFactory,
    NegotiationRoundFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db

EVERY_APP = ["accounts", "negotiations", "workinggroups", "reminders", "audit"]


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)


@pytest.fixture
def gate_lifted():
    """The site admits whoever has the staff flag, as Django's own does."""
    gate = admin.site.has_permission
    admin.site.has_permission = partial(AdminSite.has_permission, admin.site)
    yield
    admin.site.has_permission = gate


@pytest.fixture
def staff(world, gate_lifted):
    """The secretariat of the first agreement, with the staff flag and every permission of the
    tracker's own models but no superuser, on a site whose gate is lifted."""
    User.objects.filter(pk=world.secretariat.pk).update(is_staff=True)
    world.secretariat.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=EVERY_APP)
    )
    return User.objects.get(pk=world.secretariat.pk)


def admin_request(user):
    """A request to the administration site by this person, for asking an admin directly."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def rules_of_origin(world):
    """A "Rules of Origin" group in both agreements: the names the meeting form confused."""
    return (
        WorkingGroupFactory(agreement=world.agreement, name="Rules of Origin", code="ROO"),
        WorkingGroupFactory(
            agreement=world.elsewhere_agreement, name="Rules of Origin", code="ROO"
        ),
    )


def meeting_post(agreement, **overrides):
    data = {
        "agreement": agreement.pk,
        "negotiation_round": "",
        "kind": "intersessional",
        "title": "Rules of Origin, third session",
        "starts_at_0": "2026-06-08",
        "starts_at_1": "09:00",
        "ends_at_0": "2026-06-08",
        "ends_at_1": "12:00",
        "time_zone": "Asia/Brunei",
        "host_party": "",
        "location": "",
        "video_link": "",
        "summary": "",
    }
    data.update(overrides)
    return data


def change_post(meeting, **overrides):
    return meeting_post(
        meeting.agreement,
        **{
            "title": meeting.title,
            "commitments-TOTAL_FORMS": 0,
            "commitments-INITIAL_FORMS": 0,
            **overrides,
        },
    )


def choice_labels(response, name):
    field = response.context["adminform"].form.fields[name]
    return [str(label) for value, label in field.choices if value != ""]


# --- 1. Working groups of another agreement -------------------------------------------------------


def test_a_new_meeting_with_another_agreements_working_group_is_refused(
    client, root, world, rules_of_origin
):
    ours, theirs = rules_of_origin
    client.force_login(root)
    before = Meeting.objects.count()

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.agreement, working_groups=[ours.pk, theirs.pk]),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["working_groups"]
    assert errors == [
        f"Rules of Origin — {world.elsewhere_agreement.short_name} belongs to another agreement."
    ]
    assert Meeting.objects.count() == before


def test_a_meeting_cannot_be_changed_to_another_agreements_working_group(
    client, root, world, rules_of_origin
):
    ours, theirs = rules_of_origin
    meeting = MeetingFactory(agreement=world.agreement, time_zone="Asia/Brunei")
    meeting.working_groups.set([ours])
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_meeting_change", args=[meeting.pk]),
        change_post(meeting, working_groups=[theirs.pk]),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["working_groups"]
    assert list(meeting.working_groups.all()) == [ours]


def test_the_meeting_form_offers_only_its_own_agreements_working_groups(
    client, root, world, rules_of_origin
):
    ours, _theirs = rules_of_origin
    client.force_login(root)

    response = client.get(reverse("admin:negotiations_meeting_change", args=[world.meeting.pk]))

    groups = response.context["adminform"].form.fields["working_groups"].queryset
    assert set(groups) == {world.group, world.other_group, ours}


def test_a_meeting_saved_in_the_admin_goes_through_the_service_and_is_audited(
    client, root, world, rules_of_origin
):
    ours, _theirs = rules_of_origin
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.agreement, working_groups=[ours.pk]),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get(title="Rules of Origin, third session")
    assert list(meeting.working_groups.all()) == [ours]
    entry = AuditEntry.objects.get(content_type__model="meeting", object_id=str(meeting.pk))
    assert (entry.action, entry.actor) == ("create", root)


def test_choices_of_a_record_in_another_agreement_are_refused_alike(client, root, world):
    foreign_meeting = world.elsewhere_meeting
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_deadline_add"),
        {
            "agreement": world.agreement.pk,
            "working_group": world.group.pk,
            "title": "Schedules exchanged",
            "due_on": "2026-07-01",
            "set_at": foreign_meeting.pk,
        },
    )

    assert response.status_code == 200
    assert "belongs to another agreement" in str(
        response.context["adminform"].form.errors["set_at"]
    )
    assert not world.agreement.deadlines.exists()


def test_a_party_not_at_the_table_is_refused_as_a_meetings_host(client, root, world):
    stranger = PartyFactory(name="Atlantis", code="ATL", capital_time_zone="Europe/Paris")
    world.elsewhere_agreement.delegations.create(party=stranger)
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.agreement, host_party=stranger.pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["host_party"] == [
        "Atlantis is not at this agreement's table."
    ]


# --- 1b. Labels that name the agreement -----------------------------------------------------------


def test_choices_name_their_agreement(client, root, world, rules_of_origin):
    ours, _theirs = rules_of_origin
    ChapterFactory(working_group=ours, title="Origin procedures")
    NegotiationRoundFactory(agreement=world.agreement, number=7)
    ours_short, theirs_short = world.agreement.short_name, world.elsewhere_agreement.short_name
    client.force_login(root)

    meeting_page = client.get(reverse("admin:negotiations_meeting_add"))
    groups = choice_labels(meeting_page, "working_groups")
    assert f"Rules of Origin — {ours_short}" in groups
    assert f"Rules of Origin — {theirs_short}" in groups
    assert f"Round 7 — {ours_short}" in choice_labels(meeting_page, "negotiation_round")
    assert f"Rules of Origin — {theirs_short}" in meeting_page.content.decode()

    commitment_page = client.get(reverse("admin:negotiations_commitment_add"))
    assert f"Origin procedures — {ours_short}" in choice_labels(commitment_page, "chapter")
    assert f"{world.meeting.title} — {ours_short}" in choice_labels(commitment_page, "meeting")


def test_choice_lists_cost_the_same_queries_for_few_and_many_agreements(client, root, world):
    client.force_login(root)
    url = reverse("admin:negotiations_meeting_add")

    def queries():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(5):
        agreement = AgreementFactory()
        for _ in range(3):
            ChapterFactory(working_group=WorkingGroupFactory(agreement=agreement))
        NegotiationRoundFactory(agreement=agreement)
    assert queries() == few


# --- 2. Agreement choices: the agreements the person steers ---------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "negotiations_meeting",
        "negotiations_deadline",
        "negotiations_negotiationround",
        "negotiations_roleassignment",
        "workinggroups_workinggroup",
        "reminders_leadtimes",
    ],
)
def test_agreement_choices_are_the_agreements_the_person_steers(client, staff, world, model):
    client.force_login(staff)

    response = client.get(reverse(f"admin:{model}_add"))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields["agreement"].queryset) == [
        world.agreement
    ]


def offered_choices(response):
    """(model, field name, record) for every record offered in the page's form and its inlines."""
    forms_ = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms_.append(inline.formset.empty_form)
    for form in forms_:
        for name, field in form.fields.items():
            # The row's own id only says which row it is: it is looked up among the rows shown.
            if isinstance(field, ModelChoiceField) and name != form._meta.model._meta.pk.name:
                for record in field.queryset:
                    yield form._meta.model, name, record


def test_no_page_offers_anything_of_an_agreement_the_person_does_not_steer(client, staff, world):
    """Every foreign-key and many-to-many choice, in every add page and in the change page of
    a record of the agreement, with its inlines."""
    foreign_party = world.elsewhere_agreement.parties.first()
    commitment = CommitmentFactory(meeting=world.meeting)
    change_pages = [
        reverse("admin:negotiations_agreement_change", args=[world.agreement.pk]),
        reverse("admin:negotiations_meeting_change", args=[world.meeting.pk]),
        reverse("admin:negotiations_commitment_change", args=[commitment.pk]),
        reverse("admin:workinggroups_workinggroup_change", args=[world.group.pk]),
        reverse("admin:workinggroups_chapter_change", args=[world.chapter.pk]),
        reverse("admin:workinggroups_contestedpoint_change", args=[world.point.pk]),
        reverse("admin:accounts_user_change", args=[world.negotiator.pk]),
    ]
    client.force_login(staff)
    seen = 0

    for url in [*every_admin_page(), *change_pages]:
        response = client.get(url)
        if response.status_code != 200 or "adminform" not in (response.context or {}):
            continue
        for model, name, record in offered_choices(response):
            if (model, name) == (Delegation, "party"):
                continue  # any party may be brought to the table
            seen += 1
            assert agreement_id_of(record) in (None, world.agreement.pk), (url, name, record)
            assert record not in (foreign_party, world.elsewhere), (url, name, record)

    assert seen > 50


def test_a_staff_member_cannot_save_into_an_agreement_they_do_not_steer(client, staff, world):
    client.force_login(staff)

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.elsewhere_agreement),
    )

    assert response.status_code == 200
    assert "agreement" in response.context["adminform"].form.errors
    assert not world.elsewhere_agreement.meetings.filter(title__startswith="Rules").exists()


def test_a_staff_member_is_offered_no_working_group_of_another_agreement(
    client, staff, world, rules_of_origin
):
    client.force_login(staff)

    response = client.get(reverse("admin:negotiations_meeting_add"))

    offered = set(response.context["adminform"].form.fields["working_groups"].queryset)
    assert offered == {world.group, world.other_group, rules_of_origin[0]}


def test_a_records_choices_are_of_its_own_agreement_even_for_a_superuser(client, root, world):
    client.force_login(root)

    response = client.get(reverse("admin:negotiations_meeting_change", args=[world.meeting.pk]))

    form = response.context["adminform"].form
    assert "agreement" not in form.fields  # a meeting stays in its agreement
    assert set(form.fields["host_party"].queryset) == set(world.agreement.parties.all())


def test_the_list_filters_offer_only_the_agreements_the_person_steers(client, staff, world):
    client.force_login(staff)

    page = client.get(reverse("admin:negotiations_meeting_changelist")).content.decode()

    assert world.agreement.name in page
    assert world.elsewhere_agreement.name not in page


# --- 3. An agreement added in the admin stays in sight of its creator -----------------------------


def agreement_post(**overrides):
    data = {
        "name": "Cambodia–Korea FTA",
        "short_name": "CKFTA",
        "kind": "bilateral",
        "description": "",
        "status": "launched",
        "launched_on": "",
        "target_conclusion_on": "",
        "concluded_on": "",
        "signed_on": "",
        "in_force_on": "",
        "delegations-TOTAL_FORMS": 0,
        "delegations-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return data


def test_the_creator_of_an_agreement_added_in_the_admin_keeps_access(client, staff, world):
    client.force_login(staff)

    response = client.post(reverse("admin:negotiations_agreement_add"), agreement_post())

    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement = Agreement.objects.get(short_name="CKFTA")
    assert agreement.roles.get(user=staff).role == Role.SECRETARIAT
    assert not agreement.working_groups.exists()
    assert client.get(reverse("dashboards:agreement", args=[agreement.slug])).status_code == 200
    assert client.get(response.url).status_code == 200  # its change page in the admin


def test_an_agreement_added_in_the_admin_keeps_its_parties_and_later_dates(client, root):
    khm, kor = PartyFactory(code="KHM"), PartyFactory(code="KOR")
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_agreement_add"),
        agreement_post(
            status="concluded",
            launched_on="2021-02-01",
            concluded_on="2022-02-03",
            **{
                "delegations-TOTAL_FORMS": 2,
                "delegations-0-party": khm.pk,
                "delegations-0-head_name": "H.E. Pan Sorasak",
                "delegations-1-party": kor.pk,
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement = Agreement.objects.get(short_name="CKFTA")
    assert (agreement.slug, agreement.status) == ("ckfta", "concluded")
    assert agreement.concluded_on == dt.date(2022, 2, 3)
    assert set(agreement.parties.all()) == {khm, kor}
    assert agreement.roles.get(user=root).role == Role.SECRETARIAT


def test_only_who_may_open_agreements_gets_the_add_page(client, world, gate_lifted):
    chief = User.objects.get(pk=world.chief.pk)
    chief.is_staff = True
    chief.save()
    chief.user_permissions.add(*Permission.objects.filter(content_type__app_label="negotiations"))
    client.force_login(chief)

    assert client.get(reverse("admin:negotiations_agreement_add")).status_code == 403


# --- 4. Adding a person ---------------------------------------------------------------------------


def user_post(**overrides):
    data = {
        "username": "sokha",
        "email": "sokha@mfa.gov.kh",
        "first_name": "Sokha",
        "last_name": "Chan",
        "time_zone": "Asia/Phnom_Penh",
        "language": "en",
        "usable_password": "false",
        "password1": "",
        "password2": "",
        "agreement": "",
        "role": "",
    }
    data.update(overrides)
    return data


def test_the_add_user_form_asks_for_address_name_zone_and_language(client, root):
    client.force_login(root)

    response = client.get(reverse("admin:accounts_user_add"))

    form = response.context["adminform"].form
    for name in ["email", "first_name", "last_name", "time_zone", "language"]:
        assert name in form.fields, name
    assert form.fields["email"].required
    assert ("Asia/Yangon", "Asia/Yangon (UTC+6:30)") in list(form.fields["time_zone"].choices)


def test_a_person_is_added_with_their_address_and_zone(client, root):
    client.force_login(root)

    response = client.post(reverse("admin:accounts_user_add"), user_post())

    assert response.status_code == 302, response.context["adminform"].form.errors
    person = User.objects.get(username="sokha")
    assert (person.email, person.time_zone) == ("sokha@mfa.gov.kh", "Asia/Phnom_Penh")


def test_a_person_without_an_address_is_refused_with_a_message(client, root):
    client.force_login(root)

    response = client.post(reverse("admin:accounts_user_add"), user_post(email=""))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    assert not User.objects.filter(username="sokha").exists()


def test_an_address_already_in_use_is_refused_whatever_its_case(client, root):
    UserFactory(username="first", email="sokha@mfa.gov.kh")
    client.force_login(root)

    response = client.post(reverse("admin:accounts_user_add"), user_post(email="Sokha@MFA.gov.kh"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Someone already uses this email address."
    ]
    assert not User.objects.filter(username="sokha").exists()


def test_an_address_already_in_use_is_refused_on_the_change_page_too(client, root):
    UserFactory(username="first", email="sokha@mfa.gov.kh")
    other = UserFactory(username="second")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[other.pk])
    form = client.get(url).context["adminform"].form
    assert "Asia/Yangon" in dict(form.fields["time_zone"].choices)
    data = {name: form[name].value() or "" for name in form.fields if name != "password"}
    data.update(
        {
            "email": "SOKHA@mfa.gov.kh",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00",
            "groups": [],
            "user_permissions": [],
            "roles-TOTAL_FORMS": 0,
            "roles-INITIAL_FORMS": 0,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        }
    )
    data.pop("last_login"), data.pop("date_joined")

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]


def test_a_staff_member_may_not_add_accounts_even_behind_the_gate(client, staff, world):
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_add"),
        user_post(agreement=world.agreement.pk, role=Role.NEGOTIATOR),
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="sokha").exists()


def test_the_add_form_asks_anyone_but_a_superuser_for_a_role_in_their_agreement(staff, world):
    form_class = UserAdmin(User, admin.site).get_form(admin_request(staff), None)

    without_role = form_class(user_post())
    assert not without_role.is_valid()
    assert without_role.errors["agreement"]
    elsewhere = form_class(user_post(agreement=world.elsewhere_agreement.pk, role=Role.NEGOTIATOR))
    assert not elsewhere.is_valid()
    assert elsewhere.errors["agreement"]
    assert list(form_class().fields["agreement"].queryset) == [world.agreement]
    assert form_class(user_post(agreement=world.agreement.pk, role=Role.NEGOTIATOR)).is_valid()


# --- 5. Meeting times in the meeting's own zone ---------------------------------------------------


def test_meeting_times_are_typed_and_shown_in_the_meetings_zone(client, root, world):
    root.time_zone = "Asia/Phnom_Penh"
    root.save()
    client.force_login(root)

    response = client.post(reverse("admin:negotiations_meeting_add"), meeting_post(world.agreement))

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get(title="Rules of Origin, third session")
    assert meeting.time_zone == "Asia/Brunei"
    assert meeting.starts_at == dt.datetime(2026, 6, 8, 1, 0, tzinfo=dt.UTC)
    assert meeting.ends_at == dt.datetime(2026, 6, 8, 4, 0, tzinfo=dt.UTC)

    page = client.get(reverse("admin:negotiations_meeting_change", args=[meeting.pk]))
    form = page.context["adminform"].form
    assert form["starts_at"].value() == dt.datetime(2026, 6, 8, 9, 0)
    html = page.content.decode()
    assert 'name="starts_at_1" value="09:00:00"' in html
    # The admin script's own note ("Enter times in the Asia/Phnom_Penh timezone") is kept out.
    assert '<span class="timezonewarning" hidden></span>' in html
    assert "whoever types it" in html


def test_an_unchanged_meeting_keeps_its_times_when_saved_again(client, root, world):
    meeting = MeetingFactory(agreement=world.agreement, time_zone="Asia/Brunei")
    root.time_zone = "America/New_York"
    root.save()
    client.force_login(root)
    url = reverse("admin:negotiations_meeting_change", args=[meeting.pk])
    local = client.get(url).context["adminform"].form["starts_at"].value()
    ends = meeting.ends_at.astimezone(meeting.tzinfo)

    response = client.post(
        url,
        change_post(
            meeting,
            starts_at_0=local.date().isoformat(),
            starts_at_1=local.time().isoformat(),
            ends_at_0=ends.date().isoformat(),
            ends_at_1=ends.time().isoformat(),
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Meeting.objects.get(pk=meeting.pk)
    assert (saved.starts_at, saved.ends_at) == (meeting.starts_at, meeting.ends_at)


def test_without_a_zone_a_meeting_is_held_in_its_hosts_capital(client, root, world):
    host = world.agreement.parties.first()
    host.capital_time_zone = "Asia/Seoul"
    host.save()
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.agreement, time_zone="", host_party=host.pk),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get(title="Rules of Origin, third session")
    assert meeting.time_zone == "Asia/Seoul"
    assert meeting.starts_at == dt.datetime(2026, 6, 8, 0, 0, tzinfo=dt.UTC)


def test_a_meeting_ending_before_it_starts_is_refused_with_a_message(client, root, world):
    client.force_login(root)

    response = client.post(
        reverse("admin:negotiations_meeting_add"),
        meeting_post(world.agreement, ends_at_1="08:00"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ends_at"]


# --- Commitments typed on a meeting's page keep their history -------------------------------------


def test_a_commitment_changed_on_the_meeting_page_keeps_its_status_history(client, root, world):
    commitment = CommitmentFactory(meeting=world.meeting)
    client.force_login(root)
    url = reverse("admin:negotiations_meeting_change", args=[world.meeting.pk])
    local = world.meeting.starts_at.astimezone(world.meeting.tzinfo)
    ends = world.meeting.ends_at.astimezone(world.meeting.tzinfo)

    response = client.post(
        url,
        change_post(
            world.meeting,
            time_zone=world.meeting.time_zone,
            working_groups=[world.group.pk],
            starts_at_0=local.date().isoformat(),
            starts_at_1=local.time().isoformat(),
            ends_at_0=ends.date().isoformat(),
            ends_at_1=ends.time().isoformat(),
            **{
                "commitments-TOTAL_FORMS": 1,
                "commitments-INITIAL_FORMS": 1,
                "commitments-0-id": commitment.pk,
                "commitments-0-meeting": world.meeting.pk,
                "commitments-0-text": commitment.text,
                "commitments-0-status": "delivered",
                "commitments-0-version": commitment.version,
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get(pk=commitment.pk)
    assert (commitment.status, commitment.version) == ("delivered", 2)
    change = CommitmentStatusChange.objects.get(commitment=commitment)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "pledged",
        "delivered",
        root,
    )


def commitment_post(commitment, **overrides):
    return {
        "meeting": commitment.meeting_id,
        "party": "",
        "text": commitment.text,
        "owner": commitment.owner_id or "",
        "chapter": "",
        "due_on": "",
        "status": commitment.status,
        "version": commitment.version,
        **overrides,
    }


def test_an_owner_who_has_left_the_agreement_does_not_block_other_edits(client, root, world):
    commitment = CommitmentFactory(meeting=world.meeting, owner=world.outsider)
    client.force_login(root)
    url = reverse("admin:negotiations_commitment_change", args=[commitment.pk])

    response = client.post(url, commitment_post(commitment, text="Share the tariff schedules."))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Commitment.objects.get(pk=commitment.pk).text == "Share the tariff schedules."


def test_a_new_owner_without_a_role_in_the_agreement_is_refused(client, root, world):
    commitment = CommitmentFactory(meeting=world.meeting, owner=world.chief)
    client.force_login(root)
    url = reverse("admin:negotiations_commitment_change", args=[commitment.pk])

    response = client.post(url, commitment_post(commitment, owner=world.elsewhere.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["owner"]
    assert Commitment.objects.get(pk=commitment.pk).owner == world.chief


# --- 6. Accounts: nothing a non-superuser may not give --------------------------------------------


def test_a_staff_member_is_never_offered_superuser_groups_or_permissions(staff, world):
    model_admin = UserAdmin(User, admin.site)
    request = admin_request(staff)

    for obj in [world.negotiator, None]:
        form = model_admin.get_form(request, obj)()
        for name in ["is_superuser", "is_staff", "groups", "user_permissions"]:
            assert name not in form.fields, (obj, name)


def test_a_superuser_is_offered_them(client, root, world):
    client.force_login(root)

    form = (
        client.get(reverse("admin:accounts_user_change", args=[world.negotiator.pk]))
        .context["adminform"]
        .form
    )

    assert {"is_superuser", "groups", "user_permissions"} <= set(form.fields)
    assert "is_staff" not in form.fields  # it follows superuser status


def test_a_staff_member_sees_only_the_people_of_the_agreements_they_steer(staff, world):
    listed = set(UserAdmin(User, admin.site).get_queryset(admin_request(staff)))

    assert world.negotiator in listed
    assert world.elsewhere not in listed
    assert world.outsider not in listed


def test_a_staff_member_cannot_change_a_superuser_who_holds_a_role(client, staff, world, root):
    RoleAssignmentFactory(user=root, agreement=world.agreement, role=Role.OFFICIAL)
    client.force_login(staff)

    change = reverse("admin:accounts_user_change", args=[root.pk])

    response = client.post(change, {"username": "root", "email": "root@example.org"})

    assert response.status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    assert User.objects.get(pk=root.pk).is_superuser


def test_a_staff_member_deletes_no_account_even_behind_the_gate(client, staff, world):
    client.force_login(staff)

    for person in [world.official, world.negotiator]:
        response = client.post(
            reverse("admin:accounts_user_delete", args=[person.pk]), {"post": "yes"}
        )

        assert response.status_code == 403
        assert User.objects.filter(pk=person.pk).exists()


def test_a_staff_member_sees_only_roles_in_the_agreements_they_steer(staff, world):
    RoleAssignmentFactory(user=world.negotiator, agreement=world.elsewhere_agreement)

    rows = RoleAssignmentInline(User, admin.site).get_queryset(admin_request(staff))

    assert {row.agreement for row in rows.filter(user=world.negotiator)} == {world.agreement}


def test_a_chief_negotiator_may_not_make_someone_secretariat(client, world, gate_lifted):
    chief = User.objects.get(pk=world.chief.pk)
    chief.is_staff = True
    chief.save()
    chief.user_permissions.add(*Permission.objects.filter(content_type__app_label="negotiations"))
    client.force_login(chief)

    response = client.post(
        reverse("admin:negotiations_roleassignment_add"),
        {"user": world.outsider.pk, "agreement": world.agreement.pk, "role": "secretariat"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"]


def test_a_staff_member_reads_only_the_audit_trail_of_their_agreements(client, staff, world):
    from workinggroups.services import change_chapter_status

    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.negotiator)
    change_chapter_status(chapter=world.elsewhere_chapter, to_status="agreed", by=world.elsewhere)
    client.force_login(staff)

    listed = client.get(reverse("admin:audit_auditentry_changelist")).context["cl"].result_list

    assert {entry.agreement_id for entry in listed} == {world.agreement.pk}


# --- Every page of the site -----------------------------------------------------------------------


def every_admin_page():
    for model in admin.site._registry:
        for action in ["changelist", "add"]:
            try:
                yield reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}")
            except NoReverseMatch:
                continue


def test_every_changelist_and_add_page_answers_without_a_server_error(client, root, world):
    CommitmentFactory(meeting=world.meeting)
    client.force_login(root)

    for url in every_admin_page():
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url


def test_every_change_page_answers_without_a_server_error(client, root, world):
    CommitmentFactory(meeting=world.meeting, owner=world.chief, chapter=world.chapter)
    NegotiationRoundFactory(agreement=world.agreement)
    client.force_login(root)

    for model in admin.site._registry:
        record = model._default_manager.first()
        if record is None:
            continue
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk]
        )
        assert client.get(url).status_code == 200, url


def test_every_changelist_and_add_page_answers_a_staff_member_without_a_server_error(
    client, staff, world
):
    client.force_login(staff)

    for url in every_admin_page():
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url


# --- Removing roles and parties goes through the services ------------------------------------


def test_the_last_secretariat_is_not_offered_for_deletion_and_a_role_removed_drops_seats(
    client, root, world
):
    from workinggroups.models import Membership

    client.force_login(root)
    only = world.agreement.roles.get(role=Role.SECRETARIAT)
    page = client.get(reverse("admin:negotiations_roleassignment_delete", args=[only.pk]))
    assert page.status_code == 403

    negotiator = world.agreement.roles.get(user=world.negotiator)
    assert Membership.objects.filter(user=world.negotiator).exists()
    response = client.post(
        reverse("admin:negotiations_roleassignment_delete", args=[negotiator.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(user=world.negotiator).exists()  # as remove_role does
    assert (
        AuditEntry.objects.filter(action="delete", object_id=str(negotiator.pk), actor=root).count()
        == 1
    )


@pytest.mark.parametrize("inline", ["roles", "delegations"])
def test_an_inline_removal_the_service_would_refuse_is_refused_on_the_form(root, world, inline):
    from django.test import RequestFactory

    from negotiations.admin import AgreementAdmin

    model_admin = AgreementAdmin(Agreement, admin.site)
    request = RequestFactory().get("/")
    request.user = root
    agreement = world.agreement
    if inline == "roles":
        rows = list(agreement.roles.order_by("pk"))
        doomed = next(r for r in rows if r.role == Role.SECRETARIAT)
    else:
        # A party referred to by a person's role cannot leave the table.
        rows = list(agreement.delegations.order_by("pk"))
        doomed = rows[0]
        agreement.roles.filter(user=world.chief).update(party=doomed.party)
    formset_class = next(
        formset
        for formset, inline_admin in model_admin.get_formsets_with_inlines(request, agreement)
        if formset.model is type(doomed)
    )
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": len(rows),
    }
    probe = formset_class(instance=agreement, prefix=prefix)
    for index, form in enumerate(probe.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[f"{prefix}-{index}-{name}"] = "" if value is None else getattr(value, "pk", value)
        data[f"{prefix}-{index}-id"] = form.instance.pk
        if form.instance.pk == doomed.pk:
            data[f"{prefix}-{index}-DELETE"] = "on"
    formset = formset_class(data, instance=agreement, prefix=prefix)
    assert not formset.is_valid()
    assert formset.non_form_errors(), formset.errors
    assert type(doomed).objects.filter(pk=doomed.pk).exists()


def test_an_inline_removal_goes_through_the_service(root, world):
    from django.test import RequestFactory

    from negotiations.admin import AgreementAdmin
    from workinggroups.models import Membership

    request = RequestFactory().get("/")
    request.user = root
    agreement = world.agreement
    formset_class = next(
        formset
        for formset, _inline in AgreementAdmin(Agreement, admin.site).get_formsets_with_inlines(
            request, agreement
        )
        if formset.model._meta.model_name == "roleassignment"
    )
    prefix = formset_class.get_default_prefix()
    probe = formset_class(instance=agreement, prefix=prefix)
    data = {f"{prefix}-TOTAL_FORMS": len(probe.forms), f"{prefix}-INITIAL_FORMS": len(probe.forms)}
    for index, form in enumerate(probe.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[f"{prefix}-{index}-{name}"] = "" if value is None else getattr(value, "pk", value)
        data[f"{prefix}-{index}-id"] = form.instance.pk
        if form.instance.user_id == world.negotiator.pk:
            data[f"{prefix}-{index}-DELETE"] = "on"
    formset = formset_class(data, instance=agreement, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert not agreement.roles.filter(user=world.negotiator).exists()
    assert not Membership.objects.filter(user=world.negotiator).exists()  # seats go too
    assert AuditEntry.objects.filter(action="delete", actor=root).exists()


def test_working_groups_are_offered_as_a_filter_once_an_agreement_is_chosen(client, world):
    """Across every agreement they would run to thousands: the agreement comes first."""
    client.force_login(world.superuser)
    url = reverse("admin:workinggroups_chapter_changelist")

    everything = client.get(url).content.decode()
    assert "working_group__id__exact" not in everything
    assert f"working_group__agreement__id__exact={world.agreement.pk}" in everything

    chosen = client.get(url, {"working_group__agreement__id__exact": world.agreement.pk})
    page = chosen.content.decode()
    assert f"working_group__id__exact={world.group.pk}" in page
    assert f"working_group__id__exact={world.other_group.pk}" in page
    elsewhere = world.elsewhere_chapter.working_group
    assert f"working_group__id__exact={elsewhere.pk}" not in page

    narrowed = client.get(
        url,
        {"working_group__agreement__id__exact": world.agreement.pk,
         "working_group__id__exact": world.group.pk},
    )  # fmt: skip
    assert list(narrowed.context["cl"].result_list) == [world.chapter]


def test_the_administration_is_drawn_in_the_trackers_fonts(client, world):
    """Khmer and Chinese names and labels, whatever fonts the reader's machine has."""
    client.force_login(world.superuser)

    page = client.get(reverse("admin:workinggroups_chapter_changelist")).content.decode()

    assert "vendor/fonts/fonts.css" in page
    assert "css/admin.css" in page
    assert 'id="site-name"' in page  # the rest of Django's own base_site.html is kept
