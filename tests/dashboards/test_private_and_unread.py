"""Signed-in pages are never cached for others; an as-of point that cannot be read says so."""

import pytest
from django.urls import reverse

from tests.dashboards.test_views import SLUG

pytestmark = pytest.mark.django_db


def test_signed_in_pages_and_exports_are_not_stored(client, official):
    client.force_login(official)
    for url in [
        reverse("dashboards:agreement", args=[SLUG]),
        reverse("dashboards:chapter-list", args=[SLUG]) + "?export=xlsx",
        reverse("dashboards:brief", args=[SLUG]),
    ]:
        assert client.get(url)["Cache-Control"] == "private, no-store", url


@pytest.mark.parametrize("asked", ["round-9", "yesterday", "2999-01-01"])
def test_an_unreadable_as_of_says_so_and_shows_now(client, official, asked):
    client.force_login(official)
    response = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": asked})
    assert response.status_code == 200
    page = response.text
    assert f"“{asked}” is not a past round or day of this negotiation: showing now." in page
    assert "Showing: now." in page


def test_a_readable_as_of_says_nothing_of_the_kind(client, official):
    client.force_login(official)
    page = client.get(reverse("dashboards:agreement", args=[SLUG]), {"as_of": "round-2"}).text
    assert "is not a past round or day" not in page
