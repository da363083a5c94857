"""Two people editing the same record in two tabs: the second save, based on what the page
showed before the first, is refused (409) instead of overwriting it; the refusal shows what is
saved now, keeps what was typed, and saving the re-shown form again applies it on top."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts.services import update_person
from negotiations.choices import Role
from negotiations.models import Delegation
from negotiations.services import (
    update_agreement,
    update_deadline,
    update_delegation,
    update_meeting,
    update_round,
)
from tests.factories import DeadlineFactory, NegotiationRoundFactory
from workinggroups.models import Membership
from workinggroups.services import update_working_group

pytestmark = pytest.mark.django_db

REFUSAL = "Not saved: someone changed this meanwhile."


class _Forms(HTMLParser):
    """Every form of a page as a browser would post it: [[(name, value), ...], ...]."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None
        self._first = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = []
            self.forms.append(self._form)
        elif self._form is None or ("name" not in attrs and tag != "option"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind != "submit":
                default = "on" if kind in ("checkbox", "radio") else ""
                self._form.append((attrs["name"], attrs.get("value") or default))
        elif tag == "select":
            self._select, self._first = attrs["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = attrs.get("value") or ""
            if "selected" in attrs:
                self._form.append((self._select, attrs.get("value") or ""))
                self._select = "chosen"
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self._form[-1]
            self._form[-1] = (name, text + data.lstrip("\n") if not text else text + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            # A list with nothing chosen posts its first option, as a browser does.
            if self._select not in (None, "chosen"):
                self._form.append((self._select, self._first or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(response, **match) -> dict:
    """The page's form holding a `seen` field (and the given values), as a dict of lists."""
    parser = _Forms()
    parser.feed(response.content.decode())
    for fields in parser.forms:
        data = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        if "seen" in data and all(data.get(k) == [str(v)] for k, v in match.items()):
            return data
    raise AssertionError("no form with a `seen` field on the page")


def typed(data: dict, **changes) -> dict:
    """The form's data with some fields typed anew."""
    return {
        **data,
        **{name: value if isinstance(value, list) else [value] for name, value in changes.items()},
    }


def without_seen(data: dict) -> dict:
    """The form as a page from before this change posted it."""
    return {
        name: value
        for name, value in data.items()
        if name != "seen" and not name.startswith("initial-")
    }


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.secretariat)
    world.party, world.other_party = list(world.agreement.parties.order_by("pk"))
    return client


def _assert_refused(response, saved_text, kept_text):
    assert response.status_code == 409
    page = response.content.decode()
    assert REFUSAL in page
    assert saved_text in page
    assert kept_text in page


# --- Agreement settings ------------------------------------------------------------------------


def test_agreement_settings(signed_in, world):
    url = reverse("secretariat:settings", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url), **{})
    agreement = world.agreement
    update_agreement(agreement=agreement, by=world.chief, short_name="THEIRS")
    response = signed_in.post(url, typed(mine, description="Mine, typed"))
    _assert_refused(response, "Short name: THEIRS", "Mine, typed")
    agreement.refresh_from_db()
    assert (agreement.short_name, agreement.description) == ("THEIRS", "")
    again = form_of(response)
    assert again["seen"] != mine["seen"]
    assert signed_in.post(url, again).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.short_name, agreement.description) == ("THEIRS", "Mine, typed")


def test_agreement_settings_without_seen(signed_in, world):
    url = reverse("secretariat:settings", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url))
    update_agreement(agreement=world.agreement, by=world.chief, short_name="THEIRS")
    assert signed_in.post(url, typed(without_seen(mine), description="Old page")).status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.description == "Old page"


# --- Rounds, meetings and deadlines ------------------------------------------------------------


def test_round_edit(signed_in, world):
    negotiation_round = NegotiationRoundFactory(agreement=world.agreement, location="Phnom Penh")
    url = reverse("negotiations:round-update", kwargs={"pk": negotiation_round.pk})
    mine = form_of(signed_in.get(url))
    update_round(negotiation_round=negotiation_round, by=world.chief, location="Beijing")
    response = signed_in.post(url, typed(mine, summary="My summary"))
    _assert_refused(response, "Place: Beijing", "My summary")
    negotiation_round.refresh_from_db()
    assert (negotiation_round.location, negotiation_round.summary) == ("Beijing", "")
    assert signed_in.post(url, form_of(response)).status_code == 302
    negotiation_round.refresh_from_db()
    assert (negotiation_round.location, negotiation_round.summary) == ("Beijing", "My summary")


def test_meeting_edit(signed_in, world):
    meeting = world.meeting
    url = reverse("negotiations:meeting-update", kwargs={"pk": meeting.pk})
    mine = form_of(signed_in.get(url))
    update_meeting(meeting=meeting, by=world.chief, title="Their title")
    response = signed_in.post(url, typed(mine, location="My place"))
    _assert_refused(response, "Title: Their title", "My place")
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Their title", "")
    assert signed_in.post(url, form_of(response)).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Their title", "My place")


def test_meeting_edit_sees_a_change_of_its_working_groups(signed_in, world):
    meeting = world.meeting
    url = reverse("negotiations:meeting-update", kwargs={"pk": meeting.pk})
    mine = form_of(signed_in.get(url))
    update_meeting(meeting=meeting, by=world.chief, working_groups=[world.group, world.other_group])
    response = signed_in.post(url, typed(mine, location="My place"))
    assert response.status_code == 409
    assert sorted(meeting.working_groups.values_list("pk", flat=True)) == sorted(
        [world.group.pk, world.other_group.pk]
    )


def test_meeting_edit_without_seen(signed_in, world):
    url = reverse("negotiations:meeting-update", kwargs={"pk": world.meeting.pk})
    mine = form_of(signed_in.get(url))
    update_meeting(meeting=world.meeting, by=world.chief, title="Their title")
    assert signed_in.post(url, typed(without_seen(mine), location="Old page")).status_code == 302


def test_deadline_edit(signed_in, world):
    deadline = DeadlineFactory(agreement=world.agreement, working_group=world.group)
    url = reverse("negotiations:deadline-update", kwargs={"pk": deadline.pk})
    mine = form_of(signed_in.get(url))
    update_deadline(deadline=deadline, by=world.chief, due_on=dt.date(2020, 6, 30))
    response = signed_in.post(url, typed(mine, title="My title"))
    _assert_refused(response, "Due on: 2020-06-30", "My title")
    deadline.refresh_from_db()
    assert deadline.due_on == dt.date(2020, 6, 30)
    assert deadline.title != "My title"
    assert signed_in.post(url, form_of(response)).status_code == 302
    deadline.refresh_from_db()
    assert (deadline.due_on, deadline.title) == (dt.date(2020, 6, 30), "My title")


def test_deadline_edit_without_seen(signed_in, world):
    deadline = DeadlineFactory(agreement=world.agreement)
    url = reverse("negotiations:deadline-update", kwargs={"pk": deadline.pk})
    mine = form_of(signed_in.get(url))
    update_deadline(deadline=deadline, by=world.chief, due_on=dt.date(2020, 6, 30))
    assert signed_in.post(url, typed(without_seen(mine), title="Old page")).status_code == 302


# --- The structure editor's working-group rename -----------------------------------------------


def test_working_group_rename(signed_in, world):
    group = world.group
    url = reverse("secretariat:structure", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url), action="rename_group", group=group.pk)
    update_working_group(working_group=group, by=world.chief, name=group.name, code="THEIRS")
    response = signed_in.post(url, typed(mine, name="My name"))
    _assert_refused(response, "Short code: THEIRS", "My name")
    group.refresh_from_db()
    assert (group.code, group.name) == ("THEIRS", group.name)
    assert group.name != "My name"
    again = form_of(response, action="rename_group", group=group.pk)
    assert again["name"] == ["My name"]
    assert again["code"] == ["THEIRS"]
    assert signed_in.post(url, again).status_code == 302
    group.refresh_from_db()
    assert (group.name, group.code) == ("My name", "THEIRS")


def test_working_group_rename_without_seen(signed_in, world):
    url = reverse("secretariat:structure", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url), action="rename_group", group=world.group.pk)
    update_working_group(working_group=world.group, by=world.chief, name="X", code="THEIRS")
    response = signed_in.post(url, typed(without_seen(mine), name="Old page"))
    assert response.status_code == 302
    world.group.refresh_from_db()
    assert world.group.name == "Old page"


# --- The parties page's head of delegation -----------------------------------------------------


def test_delegation_edit(signed_in, world):
    delegation = Delegation.objects.filter(agreement=world.agreement).order_by("pk").first()
    url = reverse("secretariat:parties", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url, {"edit": delegation.pk}), action="update")
    update_delegation(delegation=delegation, by=world.chief, head_name="Their head")
    response = signed_in.post(url, typed(mine, head_title="My title"))
    _assert_refused(response, "Head of delegation: Their head", "My title")
    delegation.refresh_from_db()
    assert (delegation.head_name, delegation.head_title) == ("Their head", "")
    assert signed_in.post(url, form_of(response, action="update")).status_code == 302
    delegation.refresh_from_db()
    assert (delegation.head_name, delegation.head_title) == ("Their head", "My title")


def test_delegation_edit_without_seen(signed_in, world):
    delegation = Delegation.objects.filter(agreement=world.agreement).order_by("pk").first()
    url = reverse("secretariat:parties", kwargs={"slug": world.agreement.slug})
    mine = form_of(signed_in.get(url, {"edit": delegation.pk}), action="update")
    update_delegation(delegation=delegation, by=world.chief, head_name="Their head")
    response = signed_in.post(url, typed(without_seen(mine), head_title="Old page"))
    assert response.status_code == 302


# --- The person page ---------------------------------------------------------------------------


def _seat_negotiator(world):
    update_person(
        agreement=world.agreement,
        user=world.negotiator,
        by=world.secretariat,
        role=Role.NEGOTIATOR,
        party=world.party,
        working_groups=[world.group],
    )


def test_person_edit(signed_in, world):
    _seat_negotiator(world)
    url = reverse(
        "accounts:person", kwargs={"slug": world.agreement.slug, "user_pk": world.negotiator.pk}
    )
    mine = form_of(signed_in.get(url), action="update")
    update_person(
        agreement=world.agreement,
        user=world.negotiator,
        by=world.secretariat,
        role=Role.CHIEF_NEGOTIATOR,
        party=world.party,
        working_groups=[world.group],
    )
    response = signed_in.post(
        url, typed(mine, working_groups=[str(world.group.pk), str(world.other_group.pk)])
    )
    _assert_refused(response, "Role: Chief negotiator", world.other_group.name)
    seats = Membership.objects.filter(
        user=world.negotiator, working_group__agreement=world.agreement
    )
    assert [s.working_group for s in seats] == [world.group]
    assert world.negotiator.roles.get(agreement=world.agreement).role == Role.CHIEF_NEGOTIATOR
    again = form_of(response, action="update")
    assert sorted(again["working_groups"]) == sorted(
        [str(world.group.pk), str(world.other_group.pk)]
    )
    assert signed_in.post(url, again).status_code == 302
    assignment = world.negotiator.roles.get(agreement=world.agreement)
    assert assignment.role == Role.CHIEF_NEGOTIATOR
    assert sorted(seats.values_list("working_group_id", flat=True)) == sorted(
        [world.group.pk, world.other_group.pk]
    )


def test_person_edit_without_seen(signed_in, world):
    _seat_negotiator(world)
    url = reverse(
        "accounts:person", kwargs={"slug": world.agreement.slug, "user_pk": world.negotiator.pk}
    )
    mine = form_of(signed_in.get(url), action="update")
    update_person(
        agreement=world.agreement,
        user=world.negotiator,
        by=world.secretariat,
        role=Role.CHIEF_NEGOTIATOR,
        party=world.party,
        working_groups=[world.group],
    )
    response = signed_in.post(url, typed(without_seen(mine), role=Role.OFFICIAL))
    assert response.status_code == 302
    assert world.negotiator.roles.get(agreement=world.agreement).role == Role.OFFICIAL
