"""Times are stored in UTC and shown to each person in their own zone."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.middleware import UserTimeZoneMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Request:
    def __init__(self, user):
        self.user = user


def _zone_during_request(user):
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        seen["local"] = timezone.localtime(dt.datetime(2020, 6, 9, 2, 0, tzinfo=dt.UTC))
        return "response"

    UserTimeZoneMiddleware(view)(_Request(user))
    return seen


def test_phnom_penh_and_beijing_see_one_meeting_at_their_own_hour():
    phnom_penh = _zone_during_request(UserFactory(time_zone="Asia/Phnom_Penh"))
    beijing = _zone_during_request(UserFactory(time_zone="Asia/Shanghai"))
    assert phnom_penh["local"].hour == 9
    assert beijing["local"].hour == 10


def test_zone_is_reset_after_the_request():
    _zone_during_request(UserFactory(time_zone="Asia/Shanghai"))
    assert timezone.get_current_timezone_name() == "UTC"


def test_anonymous_visitors_see_utc():
    from django.contrib.auth.models import AnonymousUser

    assert _zone_during_request(AnonymousUser())["zone"] == "UTC"
