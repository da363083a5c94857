"""Server-side measurements of the main pages: SQL queries and time, in process.

Time is measured around the whole request through Django's test client (middleware, view,
template), which is the server's share of a page view without the network.
"""

import statistics
import time

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import NoReverseMatch, reverse

from negotiations.models import Agreement, Meeting, NegotiationRound
from workinggroups.models import Chapter, WorkingGroup


def page_addresses(agreement: Agreement) -> dict[str, str]:
    """The main pages for one agreement, by the name the report gives them."""
    round_ = NegotiationRound.objects.filter(agreement=agreement).order_by("number").last()
    meeting = Meeting.objects.filter(agreement=agreement).order_by("starts_at").last()
    group = WorkingGroup.objects.filter(agreement=agreement).first()
    # The busiest chapter: its page shows the most history, points and positions.
    chapter = (
        Chapter.objects.filter(working_group__agreement=agreement)
        .annotate(points=Count("contested_points"))
        .order_by("-points", "pk")
        .first()
    )
    wanted = {
        "portfolio": ("dashboards:portfolio", {}),
        "agreement dashboard": ("dashboards:agreement", {"slug": agreement.slug}),
        "agreement dashboard as of a round": ("dashboards:agreement", {"slug": agreement.slug}),
        "round page": ("dashboards:round", {"slug": agreement.slug, "number": round_.number}),
        "meeting page": ("meetings:detail", {"pk": meeting.pk}),
        "working group page": ("dashboards:working-group", {"pk": group.pk}),
        "chapter list": ("dashboards:chapter-list", {"slug": agreement.slug}),
        "contested points": ("dashboards:contested-points", {"slug": agreement.slug}),
        "commitments": ("dashboards:commitments", {"slug": agreement.slug}),
        "chapter page": ("workinggroups:chapter-detail", {"pk": chapter.pk}),
        "agreement list": ("negotiations:agreement-list", {}),
        "admin chapter changelist": ("admin:workinggroups_chapter_changelist", {}),
        # The API's chapter list (one cursor page), beside the page that lists the same rows.
        "chapter list API": ("api:chapter-list", {"slug": agreement.slug}),
    }
    addresses = {}
    for label, (name, kwargs) in wanted.items():
        try:
            addresses[label] = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    if "agreement dashboard as of a round" in addresses:
        addresses["agreement dashboard as of a round"] += (
            f"?as_of=round-{max(1, round_.number // 2)}"
        )
    return addresses


def queries(client: Client, address: str) -> tuple[int, int]:
    """(status, queries) of one request of the page, after one that warms caches and
    templates."""
    response = client.get(address)
    if response.status_code != 200:
        return response.status_code, 0
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper counts every query; the query log is emptied at each request start.
    with connection.execute_wrapper(count):
        status = client.get(address).status_code
    return status, len(executed)


def timed(client: Client, address: str) -> tuple[int, float]:
    """(status, milliseconds) of one request of the page."""
    started = time.perf_counter()
    status = client.get(address).status_code
    return status, (time.perf_counter() - started) * 1000


def result(status: int, count: int, timings: list[float]) -> dict:
    """A page's figures, as the report takes them; a page that did not answer 200 is reported
    as its status, never timed."""
    if status != 200:
        return {"status": status}
    return {
        "status": 200,
        "queries": count,
        "median_ms": statistics.median(timings),
        "spread_ms": (min(timings), max(timings)),
    }


def measure(client: Client, address: str, *, repeat: int) -> dict:
    """Queries and median time of a page. Every request must answer 200: a redirect (to the
    sign-in page, say) is reported as its status, never timed as the page."""
    status, count = queries(client, address)
    if status != 200:
        return {"status": status}
    timings = []
    for _ in range(repeat):
        answer, milliseconds = timed(client, address)
        timings.append(milliseconds)
        status = status if answer == 200 else answer
    return result(status, count, timings)
