"""A deadline's own page: where its reminders and notices lead."""

import datetime as dt

import pytest
from django.urls import reverse

from negotiations.choices import Role
from tests.factories import (
    AgreementFactory,
    DeadlineFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def deadline():
    agreement = AgreementFactory(short_name="CCFTA")
    group = WorkingGroupFactory(agreement=agreement, name="Rules of Origin")
    return DeadlineFactory(
        agreement=agreement,
        working_group=group,
        title="Product-specific rules schedule",
        due_on=dt.date(2013, 9, 20),
    )


def test_a_deadline_page_says_what_is_due_by_when_and_from_whom(client, deadline):
    official = UserFactory()
    RoleAssignmentFactory(user=official, agreement=deadline.agreement, role=Role.OFFICIAL)
    client.force_login(official)

    response = client.get(deadline.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Product-specific rules schedule" in page
    assert "Fri 20 Sep 2013" in page  # a past year says its year
    assert "overdue" in page
    assert "Rules of Origin" in page
    # Reading it is not managing it.
    assert reverse("negotiations:deadline-update", args=[deadline.pk]) not in page


def test_the_secretariat_gets_the_edit_link(client, deadline):
    officer = UserFactory()
    RoleAssignmentFactory(user=officer, agreement=deadline.agreement, role=Role.SECRETARIAT)
    client.force_login(officer)
    page = client.get(deadline.get_absolute_url()).content.decode()
    assert reverse("negotiations:deadline-update", args=[deadline.pk]) in page


def test_a_deadline_of_another_agreement_is_refused(client, deadline):
    outsider = UserFactory()
    RoleAssignmentFactory(user=outsider, agreement=AgreementFactory(), role=Role.OFFICIAL)
    client.force_login(outsider)
    assert client.get(deadline.get_absolute_url()).status_code == 403
