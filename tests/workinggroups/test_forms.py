"""The chapter and contested point forms name a meeting as every other form does."""

import datetime as dt

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
