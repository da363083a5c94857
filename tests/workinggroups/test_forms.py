"""The chapter and contested point forms name a meeting as every other form does."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from tests.factories import ChapterFactory, MeetingFactory
from workinggroups.forms import ChapterStatusForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("viewer_zone", ["UTC", "Asia/Yangon", "Asia/Tokyo", "America/New_York"])
def test_a_meeting_is_named_by_its_own_day_whatever_the_readers_zone(viewer_zone):
    chapter = ChapterFactory()
    # 00:30 on 9 June in Phnom Penh is still 8 June in UTC and in New York.
    MeetingFactory(
        agreement=chapter.working_group.agreement,
        title="Third round plenary",
        starts_at=dt.datetime(2026, 6, 8, 17, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 6, 8, 20, 0, tzinfo=dt.UTC),
        time_zone="Asia/Phnom_Penh",
    )
    with timezone.override(viewer_zone):
        form = ChapterStatusForm(chapter=chapter)
        labels = [label for value, label in form.fields["meeting"].choices if value]
    assert labels == ["Third round plenary (2026-06-09)"]


def test_the_shared_form_messages_are_told_in_the_readers_language():
    from django.utils import translation

    from negotiations.forms.common import STALE_CHOICE, VERSION_UNREADABLE

    english = {str(STALE_CHOICE), str(VERSION_UNREADABLE)}
    for language in ("km", "zh-hans"):
        with translation.override(language):
            assert {str(STALE_CHOICE), str(VERSION_UNREADABLE)}.isdisjoint(english)


@pytest.mark.parametrize(
    "first", ["workinggroups.forms", "negotiations.forms", "secretariat.forms", "accounts.views"]
)
def test_the_forms_import_in_any_order(first):
    """The forms of chapters and points, and the agreement's, share one module of fields,
    labels and messages, which imports no form: whichever is imported first, none is half
    made when another needs it."""
    import subprocess
    import sys

    code = (
        "import django, importlib; django.setup(); "
        f"importlib.import_module({first!r}); "
        "import workinggroups.forms, negotiations.forms, secretariat.forms"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
