"""Every dashboard page runs the same number of queries for one small negotiation and for
twenty large ones: the figures are aggregated by the database, never row by row."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from workinggroups.models import WorkingGroup

BUDGET = 20
# A page served from the page cache (the tests' people have no second factor to load).
CACHED_BUDGET = {
    "portfolio": 3,
    "agreement": 3,
    "agreement as of round 1": 4,
    "brief": 3,
    "working group": 3,
}


def pages(agreement):
    group = WorkingGroup.objects.filter(agreement=agreement).first()
    slug = agreement.slug
    return {
        "portfolio": reverse("dashboards:portfolio"),
        "portfolio as of a day": reverse("dashboards:portfolio") + "?as_of=2020-02-01",
        "agreement": reverse("dashboards:agreement", args=[slug]),
        "agreement as of round 1": reverse("dashboards:agreement", args=[slug]) + "?as_of=round-1",
        "brief": reverse("dashboards:brief", args=[slug]),
        "round": reverse("dashboards:round", args=[slug, 1]),
        "working group": reverse("dashboards:working-group", args=[group.pk]),
        "chapters": reverse("dashboards:chapter-list", args=[slug]) + "?as_of=round-1",
        "contested points": reverse("dashboards:contested-points", args=[slug]),
        "commitments": reverse("dashboards:commitments", args=[slug]),
        "chapters as CSV": reverse("dashboards:chapter-list", args=[slug]) + "?export=csv",
        "contested points as XLSX": reverse("dashboards:contested-points", args=[slug])
        + "?export=xlsx",
    }


def count_queries(client, user, url):
    client.force_login(user)
    client.get(url)  # the first request of a session may warm caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "page",
    [
        "portfolio",
        "portfolio as of a day",
        "agreement",
        "agreement as of round 1",
        "brief",
        "round",
        "working group",
        "chapters",
        "contested points",
        "commitments",
        "chapters as CSV",
        "contested points as XLSX",
    ],
)
def test_page_runs_a_fixed_number_of_queries(client, negotiations, no_page_cache, page):
    small_user, (small,) = negotiations(1, groups=1, chapters=1, rounds=1)
    large_user, large = negotiations(20, groups=4, chapters=3, rounds=3)

    small_count = count_queries(client, small_user, pages(small)[page])
    large_count = count_queries(client, large_user, pages(large[0])[page])

    assert small_count == large_count
    assert large_count <= BUDGET


@pytest.mark.parametrize(
    "page", ["portfolio", "agreement", "agreement as of round 1", "brief", "working group"]
)
def test_a_cached_page_runs_a_fixed_number_of_queries_too(client, negotiations, page):
    """From the cache: the person, their roles and groups (one query), the agreement (or the
    agreements of the portfolio, with their generations), and the rounds only where the page is
    as of one. The session is read from the cache. No more, whatever their size."""
    small_user, (small,) = negotiations(1, groups=1, chapters=1, rounds=1)
    large_user, large = negotiations(20, groups=4, chapters=3, rounds=3)

    small_count = count_queries(client, small_user, pages(small)[page])
    large_count = count_queries(client, large_user, pages(large[0])[page])

    assert small_count == large_count
    # Without Redis, sessions are read from the database.
    session_query = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    assert large_count <= CACHED_BUDGET[page] + session_query
