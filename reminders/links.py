"""Absolute links for email: the tracker's pages, addressed from outside it."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def meeting_url(meeting) -> str:
    return absolute(meeting.get_absolute_url())


def agreement_url(agreement) -> str:
    return absolute(agreement.get_absolute_url())


def deadline_url(deadline) -> str:
    return absolute(deadline.get_absolute_url())


def commitment_url(commitment) -> str:
    return absolute(commitment.get_absolute_url())


def contested_point_url(point) -> str:
    return absolute(point.get_absolute_url())


def settings_url() -> str:
    return absolute(reverse("reminders:settings"))


def mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
