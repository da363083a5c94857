"""Titles, names and places are one line: a line break is refused with a message, whatever
door it comes by, and rows written before are cleaned."""

import datetime as dt
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from negotiations.choices import Role
from negotiations.services import create_deadline
from negotiations.validators import one_line
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)
from workinggroups.services import open_contested_point

pytestmark = pytest.mark.django_db

MESSAGE = "Write this on one line, without line breaks, tabs or control characters."


@pytest.mark.parametrize("title", ["Cumulation\r\nBcc: all@example.org", "Tab\there", "NEL\x85x"])
def test_services_refuse_a_title_with_a_line_break(title):
    agreement = AgreementFactory()
    with pytest.raises(ValidationError) as refused:
        create_deadline(agreement=agreement, title=title, due_on=dt.date(2027, 1, 1))
    assert refused.value.message_dict["title"] == [MESSAGE]
    chapter = ChapterFactory(working_group=WorkingGroupFactory(agreement=agreement))
    with pytest.raises(ValidationError):
        open_contested_point(chapter=chapter, title=title)


def test_the_deadline_page_says_so_and_keeps_what_was_typed(client):
    agreement = AgreementFactory()
    officer = UserFactory()
    RoleAssignmentFactory(user=officer, agreement=agreement, role=Role.SECRETARIAT)
    client.force_login(officer)
    response = client.post(
        reverse("negotiations:deadline-create", args=[agreement.slug]),
        {"title": "Schedules\r\ndue", "due_on": "2027-01-15"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert MESSAGE in page
    assert "2027-01-15" in page
    assert agreement.deadlines.count() == 0


def test_one_line_and_the_migrations_clean_up_old_rows_the_same_way():
    assert one_line("Rules of\r\n Origin\t(ROO)") == "Rules of Origin (ROO)"
    assert one_line("Rules of Origin") == "Rules of Origin"
    for name in ("negotiations.migrations.0007_single_line_fields",
                 "workinggroups.migrations.0005_single_line_fields"):  # fmt: skip
        frozen = importlib.import_module(name)._one_line
        assert frozen("Rules of\r\n Origin\t(ROO)") == "Rules of Origin (ROO)"
        assert frozen("") == ""
