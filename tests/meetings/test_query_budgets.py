"""A meeting's page, its outcome screen and its calendar file run the same number of queries
for a small negotiation and for a large one."""

import pytest
from django.urls import reverse

from negotiations.choices import Role
from negotiations.models import Meeting
from tests.dashboards.test_query_budgets import BUDGET, count_queries


def plenary_of(agreement):
    return Meeting.objects.filter(agreement=agreement, negotiation_round__number=1).get()


@pytest.mark.parametrize(
    ("name", "query"), [("detail", ""), ("detail", "?as_of=round-1"), ("ics", "")]
)
def test_meeting_page_runs_a_fixed_number_of_queries(client, negotiations, name, query):
    small_user, (small,) = negotiations(1, groups=1, chapters=1, rounds=1)
    large_user, large = negotiations(20, groups=4, chapters=3, rounds=3)

    def url(agreement):
        return reverse(f"meetings:{name}", args=[plenary_of(agreement).pk]) + query

    small_count = count_queries(client, small_user, url(small))
    large_count = count_queries(client, large_user, url(large[0]))

    assert small_count == large_count
    assert large_count <= BUDGET


def test_meeting_outcome_screen_runs_a_fixed_number_of_queries(client, negotiations):
    """The screen a negotiator fills in after a meeting: one row per chapter and open point,
    whatever their number."""
    small_user, (small,) = negotiations(
        1, groups=1, chapters=1, rounds=1, role=Role.CHIEF_NEGOTIATOR
    )
    large_user, (large,) = negotiations(
        1, groups=4, chapters=6, rounds=3, role=Role.CHIEF_NEGOTIATOR
    )

    def outcome(agreement):
        return reverse("meetings:outcome", args=[plenary_of(agreement).pk])

    small_count = count_queries(client, small_user, outcome(small))
    large_count = count_queries(client, large_user, outcome(large))

    assert small_count == large_count
    assert large_count <= BUDGET
