"""The secretariat's setup pages: a new agreement, its workspace, settings and parties. Every
page: who may see it, what it writes (through the services), bad input kept and refused, and a
fixed number of queries."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from negotiations import permissions
from negotiations.choices import AgreementKind, AgreementStatus, Role
from negotiations.models import Agreement, Delegation, Party, RoleAssignment
from negotiations.services import update_agreement
from secretariat.forms import AgreementSettingsForm
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    DeadlineFactory,
    MeetingFactory,
    MembershipFactory,
    NegotiationRoundFactory,
    PartyFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.models import Chapter, WorkingGroup

pytestmark = pytest.mark.django_db

PAGES = ["workspace", "settings", "parties", "structure"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def census():
    """Everything the setup pages could write, to show that a refusal wrote nothing."""
    return (
        Agreement.objects.count(),
        Party.objects.count(),
        Delegation.objects.count(),
        WorkingGroup.objects.count(),
        Chapter.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
    )


def new_agreement_data(
    *,
    rows=(),
    name="Regional Partnership Agreement",
    short_name="RPA",
    kind=AgreementKind.PLURILATERAL,
    structure="standard",
    copy_from="",
    **extra,
):
    """The POST of the new-agreement page; `rows` are the party rows, each a dict of fields
    (party, new_name, new_code, new_time_zone, head_name, head_title)."""
    data = {
        "name": name,
        "short_name": short_name,
        "kind": kind,
        "description": "Goods, services and investment.",
        "launched_on": "2024-03-01",
        "target_conclusion_on": "2026-12-31",
        "structure": structure,
        "copy_from": copy_from,
        "parties-TOTAL_FORMS": str(len(rows)),
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "60",
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"parties-{index}-{field}"] = value
    data.update(extra)
    return data


def new_party(name, code, zone="Asia/Bangkok", **head):
    return {"new_name": name, "new_code": code, "new_time_zone": zone, **head}


def existing(party, **head):
    return {"party": str(party.pk), **head}


@pytest.fixture
def secretary(db):
    """A secretariat officer of one agreement, without the staff flag."""
    return RoleAssignmentFactory(role=Role.SECRETARIAT, user__is_staff=False).user


# --- Permissions -------------------------------------------------------------------------------


def page_url(name, agreement):
    return reverse(f"secretariat:{name}", args=[agreement.slug])


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name):
    response = client.get(page_url(name, world.agreement))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere"])
def test_people_who_do_not_steer_the_agreement_are_refused(client, world, name, who):
    client.force_login(getattr(world, who))
    assert client.get(page_url(name, world.agreement)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere"])
def test_their_posts_are_refused_and_change_nothing(client, world, name, who):
    client.force_login(getattr(world, who))
    before = census()
    data = {"action": "add_group", "name": "Hacked", "code": "HAX", "head_name": "X"}
    assert client.post(page_url(name, world.agreement), data).status_code == 403
    assert census() == before


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("who", ["secretariat", "chief"])
def test_those_who_steer_the_agreement_may_open_every_page(client, world, name, who):
    client.force_login(getattr(world, who))
    assert client.get(page_url(name, world.agreement)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_an_unknown_agreement_is_not_found(client, world, name):
    client.force_login(world.secretariat)
    assert client.get(reverse(f"secretariat:{name}", args=["no-such-fta"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_from_the_new_agreement_page(client, db):
    response = client.get(reverse("secretariat:agreement-create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["outsider", "official", "negotiator", "elsewhere", "chief"])
def test_only_a_secretariat_may_open_a_new_agreement(client, world, who):
    client.force_login(getattr(world, who))
    before = census()
    url = reverse("secretariat:agreement-create")
    assert client.get(url).status_code == 403
    party_a, party_b = world.agreement.parties.all()
    data = new_agreement_data(
        rows=[existing(party_a), existing(party_b)], kind=AgreementKind.BILATERAL
    )
    assert client.post(url, data).status_code == 403
    assert census() == before


def test_a_secretariat_may_open_the_new_agreement_page(client, world):
    client.force_login(world.secretariat)
    response = client.get(reverse("secretariat:agreement-create"))
    assert response.status_code == 200
    # Two rows to start with, and the standard set laid out for the reader.
    assert response.context["formset"].total_form_count() == 2
    content = response.content.decode()
    assert "Rules of Origin" in content
    # Enter in a field opens the agreement: the first submit button is not "Add another party".
    form = content[content.index('<form method="post" novalidate>') :]
    assert form.index('type="submit"') < form.index('name="add_party"')
    assert 'class="visually-hidden" tabindex="-1" aria-hidden="true">Open the agreement' in form


# --- A new agreement ---------------------------------------------------------------------------


def test_fifteen_parties_and_the_standard_set_make_a_whole_agreement(client, secretary):
    known = [PartyFactory(code=f"K{i:02d}", name=f"Known party {i}") for i in range(5)]
    rows = [existing(party, head_name=f"Head {i}") for i, party in enumerate(known)]
    rows += [
        new_party(
            f"New party {i}", f"N{LETTERS[i]}X", head_name=f"Minister {i}", head_title="Minister"
        )
        for i in range(10)
    ]
    client.force_login(secretary)

    response = client.post(reverse("secretariat:agreement-create"), new_agreement_data(rows=rows))

    agreement = Agreement.objects.get(name="Regional Partnership Agreement")
    assert response.status_code == 302
    assert response["Location"] == reverse("secretariat:workspace", args=[agreement.slug])
    assert agreement.kind == AgreementKind.PLURILATERAL
    assert agreement.launched_on == dt.date(2024, 3, 1)
    assert agreement.delegations.count() == 15
    assert Party.objects.filter(code__startswith="N").count() == 10
    assert agreement.delegations.get(party__code="NDX").head_name == "Minister 3"
    assert agreement.delegations.get(party__code="K01").head_name == "Head 1"
    assert WorkingGroup.objects.filter(agreement=agreement).count() == 10
    assert Chapter.objects.filter(working_group__agreement=agreement).count() == 20
    assert permissions.role_in(secretary, agreement.pk) == Role.SECRETARIAT
    assert not secretary.is_staff

    workspace = client.get(response["Location"])
    assert "is open, and you are its secretariat" in workspace.content.decode()
    assert "15 parties at the table" in workspace.content.decode()
    portfolio = client.get(reverse("dashboards:portfolio"))
    assert "Regional Partnership Agreement" in portfolio.content.decode()
    assert client.get(reverse("dashboards:agreement", args=[agreement.slug])).status_code == 200


def test_add_another_party_keeps_what_was_typed_and_saves_nothing(client, secretary):
    party = PartyFactory(code="KHM", name="Cambodia")
    client.force_login(secretary)
    before = census()
    data = new_agreement_data(
        rows=[existing(party, head_name="H.E. Sok"), new_party("Laos", "LAO")],
        name="",  # not an error yet: the person is still typing
        add_party="1",
    )

    response = client.post(reverse("secretariat:agreement-create"), data)

    assert response.status_code == 200
    assert census() == before
    formset = response.context["formset"]
    assert formset.total_form_count() == 3
    content = response.content.decode()
    assert 'value="H.E. Sok"' in content
    assert 'value="LAO"' in content
    assert 'name="parties-2-new_name"' in content
    assert "There is a problem" not in content
    assert "This field is required" not in content


def test_rows_added_one_by_one_are_all_saved(client, secretary):
    """Rows first shown by "Add another party" count like any other when the page is sent."""
    client.force_login(secretary)
    url = reverse("secretariat:agreement-create")
    data = new_agreement_data(rows=[new_party("Laos", "LAO"), {}], add_party="1")
    shown = client.post(url, data).context["formset"]
    data = {**data, "parties-TOTAL_FORMS": "3", "parties-INITIAL_FORMS": "2"}
    data.pop("add_party")
    assert shown.management_form["INITIAL_FORMS"].value() == 2
    data.update({f"parties-2-{k}": v for k, v in new_party("Viet Nam", "VNM").items()})

    response = client.post(url, data)

    assert response.status_code == 302
    agreement = Agreement.objects.get(short_name="RPA")
    assert sorted(agreement.parties.values_list("code", flat=True)) == ["LAO", "VNM"]


def test_a_copy_takes_another_agreements_working_groups_and_chapters(client, world):
    source = world.agreement
    group = WorkingGroup.objects.filter(agreement=source).order_by("order", "name").first()
    ChapterFactory(working_group=group, title="Rules of Origin Annex")
    client.force_login(world.secretariat)
    rows = [existing(party) for party in source.parties.all()]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(
            rows=rows, kind=AgreementKind.BILATERAL, structure="copy", copy_from=str(source.pk)
        ),
    )

    assert response.status_code == 302
    copy = Agreement.objects.get(short_name="RPA")
    shape = lambda agreement: sorted(  # noqa: E731
        Chapter.objects.filter(working_group__agreement=agreement).values_list(
            "working_group__name", "title"
        )
    )
    assert shape(copy) == shape(source)
    assert len(shape(copy)) == 3


def test_a_copy_of_an_agreement_one_cannot_see_is_refused(client, world):
    client.force_login(world.secretariat)
    before = census()
    rows = [existing(party) for party in world.agreement.parties.all()]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(
            rows=rows,
            kind=AgreementKind.BILATERAL,
            structure="copy",
            copy_from=str(world.elsewhere_agreement.pk),
        ),
    )

    assert response.status_code == 400
    assert response.context["structure"].errors["copy_from"]
    assert census() == before


def test_a_copy_needs_the_agreement_to_copy(client, world):
    client.force_login(world.secretariat)
    rows = [existing(party) for party in world.agreement.parties.all()]
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL, structure="copy"),
    )
    assert response.status_code == 400
    assert "Choose the agreement whose structure to copy." in response.content.decode()


def test_an_empty_structure_opens_an_agreement_without_chapters(client, secretary):
    client.force_login(secretary)
    rows = [new_party("Cambodia", "KHM"), new_party("China", "CHN", "Asia/Shanghai")]
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL, structure="empty"),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(short_name="RPA")
    assert not WorkingGroup.objects.filter(agreement=agreement).exists()
    assert Party.objects.get(code="CHN").capital_time_zone == "Asia/Shanghai"


def test_a_code_typed_twice_among_new_parties_keeps_what_was_typed_and_saves_nothing(
    client, secretary
):
    client.force_login(secretary)
    before = census()
    rows = [
        new_party("Cambodia", "KHM", head_name="H.E. Sok"),
        new_party("Khmer Republic", "khm"),
        new_party("Laos", "LAO"),
    ]

    response = client.post(reverse("secretariat:agreement-create"), new_agreement_data(rows=rows))

    assert response.status_code == 400
    assert census() == before
    assert response.context["formset"].forms[1].errors["new_code"] == [
        "Another new party has this code."
    ]
    content = response.content.decode()
    assert "There is a problem" in content
    assert 'href="#id_parties-1-new_code"' in content
    for typed in ('value="Regional Partnership Agreement"', 'value="H.E. Sok"', 'value="LAO"'):
        assert typed in content


def test_a_new_party_that_already_exists_is_refused_on_its_field(client, secretary):
    PartyFactory(code="KHM", name="Cambodia")
    client.force_login(secretary)
    before = census()
    rows = [new_party("Kampuchea", "KHM"), new_party("Laos", "LAO")]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )

    assert response.status_code == 400
    assert census() == before
    errors = response.context["formset"].forms[0].errors["new_code"]
    assert errors == ["Cambodia (KHM) already has this code: choose it as an existing party."]


def test_an_agreement_name_in_use_is_refused_on_its_field(client, world):
    client.force_login(world.secretariat)
    before = census()
    rows = [new_party("Cambodia", "KHM"), new_party("Laos", "LAO")]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, name=world.agreement.name, kind=AgreementKind.BILATERAL),
    )

    assert response.status_code == 400
    assert response.context["details"].errors["name"]
    assert census() == before
    assert 'value="Laos"' in response.content.decode()


def test_a_refusal_by_the_services_is_shown_on_the_form_and_leaves_nothing(
    client, secretary, monkeypatch
):
    """Checks the form cannot make (here, a clash that appears between the form's check and
    the save) still come out as field errors, and the parties created first are rolled back."""
    from secretariat.views import agreements as setup

    def clashing_create_agreement(**kwargs):
        raise ValidationError({"name": ["Agreement with this Name already exists."]})

    monkeypatch.setattr(setup, "create_agreement", clashing_create_agreement)
    client.force_login(secretary)
    before = census()
    rows = [new_party("Cambodia", "KHM"), new_party("Laos", "LAO")]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )

    assert response.status_code == 400
    assert response.context["details"].errors["name"] == [
        "Agreement with this Name already exists."
    ]
    assert census() == before


def test_a_new_party_refused_by_its_service_is_shown_on_its_row(client, secretary, monkeypatch):
    from secretariat.views import agreements as setup

    real_create_party = setup.create_party

    def create_party(**kwargs):
        if kwargs["code"] == "LAO":
            raise ValidationError({"code": ["Party with this Code already exists."]})
        return real_create_party(**kwargs)

    monkeypatch.setattr(setup, "create_party", create_party)
    client.force_login(secretary)
    before = census()
    rows = [new_party("Cambodia", "KHM"), new_party("Laos", "LAO")]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )

    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["new_code"]
    assert census() == before  # Cambodia, created first, is rolled back


def test_a_bilateral_agreement_with_three_parties_is_refused(client, secretary):
    client.force_login(secretary)
    before = census()
    rows = [new_party("Cambodia", "KHM"), new_party("Laos", "LAO"), new_party("Thailand", "THA")]

    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )

    assert response.status_code == 400
    assert "A bilateral agreement has exactly two parties." in response.content.decode()
    assert census() == before


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"new_name": "Laos"}, "new_code", "Needed for a new party"),
        ({"head_name": "H.E. Sok"}, "new_name", "Needed for a new party"),
        (
            {"new_name": "Laos", "new_code": "L4O", "new_time_zone": "Asia/Vientiane"},
            "new_code",
            "Three letters",
        ),
        (
            {"new_name": "Laos", "new_code": "LAO", "new_time_zone": "Mars/Olympus"},
            "new_time_zone",
            "Select a valid choice",
        ),
    ],
)
def test_a_half_typed_new_party_is_refused_on_its_field(client, secretary, row, field, message):
    client.force_login(secretary)
    before = census()
    rows = [new_party("Cambodia", "KHM"), row]
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )
    assert response.status_code == 400
    assert message in str(response.context["formset"].forms[1].errors[field])
    assert census() == before


def test_an_existing_party_and_a_new_one_in_the_same_row_is_refused(client, secretary):
    party = PartyFactory(code="KHM", name="Cambodia")
    client.force_login(secretary)
    rows = [{**existing(party), **new_party("Laos", "LAO")}, new_party("Thailand", "THA")]
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=rows, kind=AgreementKind.BILATERAL),
    )
    assert response.status_code == 400
    assert "not both" in response.content.decode()


def test_the_same_party_twice_is_refused(client, secretary):
    party = PartyFactory(code="KHM", name="Cambodia")
    client.force_login(secretary)
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=[existing(party), existing(party)], kind=AgreementKind.BILATERAL),
    )
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["party"] == [
        "This party is already in another row."
    ]


def test_hostile_text_is_shown_as_text(client, secretary):
    client.force_login(secretary)
    hostile = '<script>alert("x")</script>'
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(rows=[new_party(hostile, "KHM"), {}], short_name=""),
    )
    assert response.status_code == 400
    assert hostile not in response.content.decode()


# --- Workspace ---------------------------------------------------------------------------------


def test_the_workspace_reads_its_figures_aloud_and_links_to_every_task(client, world):
    agreement = world.agreement
    # Invited, never signed in, no password yet: two (this one and world.official).
    RoleAssignmentFactory(
        agreement=agreement, role=Role.OFFICIAL, user__last_login=None, user__password=None
    )
    type(world.official).objects.filter(pk=world.official.pk).update(password="!")
    signed_in = timezone.now()
    for user in (world.secretariat, world.chief, world.negotiator, world.other_negotiator):
        type(user).objects.filter(pk=user.pk).update(last_login=signed_in)
    negotiation_round = NegotiationRoundFactory(agreement=agreement, number=1)
    soon = timezone.now() + dt.timedelta(days=3)
    later = soon + dt.timedelta(hours=2)
    meeting = MeetingFactory(
        agreement=agreement, title="Third round plenary", starts_at=soon, ends_at=later
    )
    MeetingFactory(
        agreement=agreement,
        title="Cancelled call",
        starts_at=soon,
        ends_at=later,
        is_cancelled=True,
    )
    deadline = DeadlineFactory(agreement=agreement, title="Tariff offers exchanged")
    DeadlineFactory(agreement=agreement, title="Done already", done=True)
    client.force_login(world.secretariat)

    response = client.get(reverse("secretariat:workspace", args=[agreement.slug]))

    content = response.content.decode()
    assert "2 parties at the table" in content
    assert "2 working groups" in content
    assert "2 chapters" in content
    # secretariat, chief, two negotiators, the official of the world and the one added here
    assert "6 people hold a role" in content
    assert "2 have not yet accepted their invitation." in content
    assert reverse("negotiations:round-update", args=[negotiation_round.pk]) in content
    assert reverse("negotiations:meeting-update", args=[meeting.pk]) in content
    assert "Cancelled call" not in content
    assert reverse("negotiations:deadline-update", args=[deadline.pk]) in content
    assert "Done already" not in content
    for url in [
        reverse("negotiations:round-create", args=[agreement.slug]),
        reverse("negotiations:meeting-create", args=[agreement.slug]),
        reverse("negotiations:deadline-create", args=[agreement.slug]),
        reverse("negotiations:commitment-create", args=[agreement.slug]),
        reverse("secretariat:import", args=[agreement.slug]),
        reverse("accounts:people", args=[agreement.slug]),
        reverse("reminders:failed"),
        reverse("secretariat:settings", args=[agreement.slug]),
        reverse("secretariat:parties", args=[agreement.slug]),
        reverse("secretariat:structure", args=[agreement.slug]),
        reverse("dashboards:agreement", args=[agreement.slug]),
    ]:
        assert f'href="{url}' in content, url


def test_the_workspace_says_one_in_the_singular(client, secretary):
    agreement = RoleAssignment.objects.get(user=secretary).agreement
    Delegation.objects.filter(agreement=agreement).first().delete()
    client.force_login(secretary)
    url = reverse("secretariat:workspace", args=[agreement.slug])
    content = client.get(url).content.decode()
    assert "1 party at the table" in content
    assert "1 person holds a role" in content
    assert "0 working groups" in content
    assert "Everyone has accepted their invitation." in content
    RoleAssignmentFactory(agreement=agreement, role=Role.OFFICIAL, user__password=None)
    content = client.get(url).content.decode()
    assert "2 people hold a role" in content
    assert "1 has not yet accepted their invitation." in content


# --- Settings ----------------------------------------------------------------------------------


def settings_data(agreement, **changes):
    data = {
        "name": agreement.name,
        "short_name": agreement.short_name,
        "kind": agreement.kind,
        "description": agreement.description,
        "status": agreement.status,
        "launched_on": "2020-01-20",
        "target_conclusion_on": "",
        "concluded_on": "",
        "signed_on": "",
        "in_force_on": "",
    }
    data.update(changes)
    return data


def test_settings_are_saved_through_the_service(client, world):
    agreement = world.agreement
    client.force_login(world.chief)
    response = client.post(
        reverse("secretariat:settings", args=[agreement.slug]),
        settings_data(
            agreement,
            name="Cambodia–China FTA",
            status=AgreementStatus.CONCLUDED,
            concluded_on="2020-10-12",
        ),
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.name == "Cambodia–China FTA"
    assert agreement.concluded_on == dt.date(2020, 10, 12)
    assert AuditEntry.objects.filter(object_id=str(agreement.pk), action="update").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"concluded_on": "2020-10-12", "signed_on": "2020-10-01"},
            "signed_on",
            "cannot be signed before it is concluded",
        ),
        ({"concluded_on": "2019-12-31"}, "concluded_on", "cannot be concluded before its launch"),
        (
            {"signed_on": "2020-10-12", "in_force_on": "2020-06-01"},
            "in_force_on",
            "cannot enter into force before it is signed",
        ),
        ({"status": "abandoned"}, "status", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_settings_out_of_order_are_refused_on_their_field(client, world, changes, field, message):
    agreement = world.agreement
    client.force_login(world.secretariat)
    before = census()
    response = client.post(
        reverse("secretariat:settings", args=[agreement.slug]), settings_data(agreement, **changes)
    )
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert "There is a problem" in response.content.decode()
    assert census() == before


def test_the_services_own_refusal_of_dates_out_of_order_is_a_message_not_an_error_500(
    client, world, monkeypatch
):
    """The model's own check constraints are validated by full_clean, so update_agreement
    refuses with a ValidationError (not an IntegrityError), which the page shows."""
    agreement = world.agreement
    with pytest.raises(ValidationError):
        update_agreement(
            agreement=agreement, concluded_on=dt.date(2020, 10, 12), signed_on=dt.date(2020, 1, 1)
        )
    monkeypatch.setattr(AgreementSettingsForm, "MILESTONES", [])
    client.force_login(world.secretariat)
    before = census()
    response = client.post(
        reverse("secretariat:settings", args=[agreement.slug]),
        settings_data(agreement, concluded_on="2020-10-12", signed_on="2020-01-01"),
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert census() == before


# --- Parties -----------------------------------------------------------------------------------


def parties_url(agreement):
    return reverse("secretariat:parties", args=[agreement.slug])


def test_the_parties_page_lists_each_delegation(client, world):
    delegation = world.agreement.delegations.select_related("party").first()
    delegation.head_name = "H.E. Pan Sorasak"
    delegation.save()
    client.force_login(world.secretariat)
    content = client.get(parties_url(world.agreement)).content.decode()
    assert delegation.party.name in content
    assert delegation.party.code in content
    assert "H.E. Pan Sorasak" in content


def test_an_existing_party_is_brought_to_the_table(client, world):
    party = PartyFactory(code="LAO", name="Laos")
    client.force_login(world.secretariat)
    response = client.post(
        parties_url(world.agreement),
        {"action": "add", "party": str(party.pk), "head_name": "H.E. Khampheng"},
    )
    assert response.status_code == 302
    assert world.agreement.delegations.get(party=party).head_name == "H.E. Khampheng"


def test_a_new_party_is_created_and_brought_to_the_table(client, world):
    client.force_login(world.secretariat)
    response = client.post(
        parties_url(world.agreement),
        {"action": "add", "new_name": "Laos", "new_code": "lao", "new_time_zone": "Asia/Vientiane"},
    )
    assert response.status_code == 302
    assert world.agreement.delegations.filter(party__code="LAO").exists()


def test_a_party_already_at_the_table_is_not_offered_again(client, world):
    at_table = world.agreement.parties.first()
    client.force_login(world.secretariat)
    response = client.get(parties_url(world.agreement))
    offered = [value for value, _ in response.context["add_form"].fields["party"].choices]
    assert at_table.pk not in [getattr(v, "value", v) for v in offered]
    before = census()
    response = client.post(
        parties_url(world.agreement), {"action": "add", "party": str(at_table.pk)}
    )
    assert response.status_code == 400
    assert census() == before


def test_a_new_party_whose_code_exists_is_refused_keeping_what_was_typed(client, world):
    taken = world.agreement.parties.first()
    client.force_login(world.secretariat)
    before = census()
    response = client.post(
        parties_url(world.agreement),
        {
            "action": "add",
            "new_name": "Somewhere new",
            "new_code": taken.code,
            "new_time_zone": "Asia/Vientiane",
        },
    )
    assert response.status_code == 400
    assert response.context["add_form"].errors["new_code"]
    assert 'value="Somewhere new"' in response.content.decode()
    assert 'href="#id_add_new_code"' in response.content.decode()
    assert census() == before


def test_a_blank_add_is_refused(client, world):
    client.force_login(world.secretariat)
    response = client.post(parties_url(world.agreement), {"action": "add"})
    assert response.status_code == 400
    assert "Choose an existing party or type a new one." in response.content.decode()


def test_a_head_of_delegation_is_changed(client, world):
    delegation = world.agreement.delegations.first()
    client.force_login(world.secretariat)
    page = client.get(parties_url(world.agreement) + f"?edit={delegation.pk}")
    assert page.context["editing"] == delegation
    response = client.post(
        parties_url(world.agreement),
        {
            "action": "update",
            "delegation": str(delegation.pk),
            "head_name": "H.E. Sok",
            "head_title": "Secretary of State",
        },
    )
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert (delegation.head_name, delegation.head_title) == ("H.E. Sok", "Secretary of State")


def test_a_head_of_delegation_too_long_is_refused(client, world):
    delegation = world.agreement.delegations.first()
    client.force_login(world.secretariat)
    response = client.post(
        parties_url(world.agreement),
        {"action": "update", "delegation": str(delegation.pk), "head_name": "x" * 201},
    )
    assert response.status_code == 400
    assert response.context["edit_form"].errors["head_name"]


def test_a_party_nothing_refers_to_leaves_the_table(client, world):
    party = PartyFactory(code="LAO", name="Laos")
    delegation = Delegation.objects.create(agreement=world.agreement, party=party)
    client.force_login(world.secretariat)
    response = client.post(
        parties_url(world.agreement), {"action": "remove", "delegation": str(delegation.pk)}
    )
    assert response.status_code == 302
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    assert "Laos has left the table." in client.get(response["Location"]).content.decode()


def test_a_party_in_use_stays_at_the_table_with_the_reason(client, world):
    delegation = world.agreement.delegations.first()
    MembershipFactory(working_group=world.group, party=delegation.party)
    client.force_login(world.secretariat)
    before = census()
    response = client.post(
        parties_url(world.agreement),
        {"action": "remove", "delegation": str(delegation.pk)},
        follow=True,
    )
    assert response.status_code == 200
    assert "cannot leave the table" in response.content.decode()
    assert census() == before


def test_another_agreements_delegation_cannot_be_touched(client, world):
    other = world.elsewhere_agreement.delegations.first()
    client.force_login(world.secretariat)
    before = census()
    for action in ("remove", "update"):
        response = client.post(
            parties_url(world.agreement),
            {"action": action, "delegation": str(other.pk), "head_name": "X"},
            follow=True,
        )
        assert "This party is no longer at the table." in response.content.decode()
    assert census() == before


def test_an_unknown_action_is_a_bad_request(client, world):
    client.force_login(world.secretariat)
    assert client.post(parties_url(world.agreement), {"action": "drop"}).status_code == 400


# --- The secretariat needs no staff flag -------------------------------------------------------


def test_a_secretariat_without_the_staff_flag_does_everything(client, secretary):
    """Open an agreement, change its settings, bring a party, edit the structure: all without
    `is_staff`, and never through the administration site."""
    assert not secretary.is_staff
    client.force_login(secretary)
    laos = PartyFactory(code="LAO", name="Laos")
    response = client.post(
        reverse("secretariat:agreement-create"),
        new_agreement_data(
            rows=[existing(laos), new_party("Cambodia", "KHM", "Asia/Phnom_Penh")],
            kind=AgreementKind.BILATERAL,
        ),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(short_name="RPA")
    slug = agreement.slug
    for name in PAGES:
        assert client.get(reverse(f"secretariat:{name}", args=[slug])).status_code == 200

    response = client.post(
        reverse("secretariat:settings", args=[slug]),
        settings_data(agreement, status=AgreementStatus.UNDER_NEGOTIATION),
    )
    assert response.status_code == 302
    response = client.post(
        reverse("secretariat:parties", args=[slug]),
        {
            "action": "update",
            "delegation": agreement.delegations.get(party=laos).pk,
            "head_name": "H.E. Khampheng",
        },
    )
    assert response.status_code == 302
    structure = reverse("secretariat:structure", args=[slug])
    response = client.post(structure, {"action": "add_group", "name": "Digital", "code": "DIG"})
    assert response.status_code == 302
    chapter = Chapter.objects.get(working_group__agreement=agreement, title="Electronic Commerce")
    digital = WorkingGroup.objects.get(agreement=agreement, code="DIG")
    response = client.post(
        structure,
        {
            "action": "move_to_group",
            "chapter": chapter.pk,
            "version": chapter.version,
            "working_group": digital.pk,
        },
    )
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.working_group == digital
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.UNDER_NEGOTIATION
    secretary.refresh_from_db()
    assert not secretary.is_staff


# --- A fixed number of queries -----------------------------------------------------------------


def build(size, user):
    """An agreement of `size`: parties, groups with chapters, people, rounds, meetings and
    deadlines, all growing with it; `user` is its secretariat."""
    parties = [PartyFactory() for _ in range(size + 1)]
    agreement = AgreementFactory(parties=parties)
    RoleAssignmentFactory(agreement=agreement, user=user, role=Role.SECRETARIAT)
    soon = timezone.now() + dt.timedelta(days=1)
    for g in range(size):
        group = WorkingGroupFactory(agreement=agreement, order=g)
        for c in range(size):
            ChapterFactory(working_group=group, order=c)
        Delegation.objects.filter(agreement=agreement, party=parties[g]).update(head_name="H")
        RoleAssignmentFactory(agreement=agreement, role=Role.NEGOTIATOR)
        NegotiationRoundFactory(agreement=agreement, number=g + 1, host_party=None)
        MeetingFactory(agreement=agreement, starts_at=soon, ends_at=soon + dt.timedelta(hours=1))
        DeadlineFactory(agreement=agreement)
    return agreement


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("name", ["workspace", "parties", "structure", "settings"])
def test_each_page_runs_a_fixed_number_of_queries(client, db, name):
    small_user, large_user = UserFactory(), UserFactory()
    small, large = build(1, small_user), build(12, large_user)

    client.force_login(small_user)
    small_count = count_queries(client, reverse(f"secretariat:{name}", args=[small.slug]))
    client.force_login(large_user)
    large_count = count_queries(client, reverse(f"secretariat:{name}", args=[large.slug]))

    assert small_count == large_count
    assert large_count <= 10


def test_reminder_lead_times_are_set_on_the_settings_page_not_the_admin(client, world):
    from reminders.models import LeadTimes

    world.secretariat.is_staff = False
    world.secretariat.save(update_fields=["is_staff"])
    client.force_login(world.secretariat)
    url = reverse("secretariat:settings", args=[world.agreement.slug])
    assert 'value="7, 1"' in client.get(url).content.decode()  # the defaults, as typed

    response = client.post(
        url, {"lead_times": "1", "meeting_days": "14, 2, 2", "deadline_days": "30;1"}
    )
    assert response.status_code == 302
    lead = LeadTimes.objects.get(agreement=world.agreement)
    assert (lead.meeting_days, lead.deadline_days, lead.deadline_overdue) == (
        [14, 2],
        [30, 1],
        False,
    )
    assert AuditEntry.objects.filter(object_id=str(lead.pk), actor=world.secretariat).exists()

    refused = client.post(url, {"lead_times": "1", "meeting_days": "a week", "deadline_days": "3"})
    assert refused.status_code == 400
    assert "Give whole numbers of days" in refused.content.decode()
    assert 'value="a week"' in refused.content.decode()
    assert LeadTimes.objects.get(agreement=world.agreement).meeting_days == [14, 2]
