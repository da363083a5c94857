"""A benchmark that cannot lie: a signed-out session is seen, a redirect is an error, and each
figure is a median of several runs, reported beside its goal."""

import http.server
import threading

import pytest
from django.db import connection

from benchmarks import load
from benchmarks.generator import Size
from benchmarks.management.commands.run_benchmarks import (
    _DATABASES,
    _create_database,
    _load_report,
    _on_database,
    _scale_table,
    scaled,
)
from benchmarks.pages import measure

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:8000/agreements/generated-001/
  2 threads and 5 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   161.23ms   40.12ms 400.00ms   70.00%
  Latency Distribution
     50%  161.23ms
     75%  180.00ms
     90%  220.00ms
     99%    1.20s
  375 requests in 15.02s, 12.34MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 0
Requests/sec:     24.97
Transfer/sec:      0.82MB
ANSWERS 375
NOT_200 40
"""


def test_a_wrk_run_counts_every_answer_that_is_not_200_and_socket_errors():
    stats = load.parse(WRK_OUTPUT)

    assert stats["rps"] == 24.97
    assert stats["p50"] == pytest.approx(161.23)
    assert stats["p99"] == pytest.approx(1200.0)
    # wrk said "Non-2xx or 3xx responses: 0": the 40 redirects are errors all the same.
    assert (stats["answers"], stats["not_200"], stats["socket"]) == (375, 40, 3)
    assert stats["errors"] == 43


def test_several_runs_give_a_median_and_a_spread():
    runs = [
        {"rps": rps, "p50": 10.0 * n, "p99": 20.0 * n, "answers": 100, "errors": errors}
        for n, (rps, errors) in enumerate([(30.0, 0), (10.0, 1), (20.0, 0)], start=1)
    ]

    summary = load.summary(runs)

    assert summary["rps"] == (20.0, 10.0, 30.0)
    assert summary["p50"] == (20.0, 10.0, 30.0)
    assert (summary["runs"], summary["answers"], summary["errors"]) == (3, 300, 1)


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        signed_in = "sessionid=good" in self.headers.get("Cookie", "")
        self.send_response(200 if signed_in else 302)
        if not signed_in:
            self.send_header("Location", "/accounts/login/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_the_session_check_sees_a_redirect_as_signed_out(server):
    assert load.signed_in(server, "/accounts/profile/", "sessionid=good") == (True, 200)
    assert load.signed_in(server, "/accounts/profile/", "sessionid=expired") == (False, 302)


def test_a_load_run_is_valid_only_signed_in_and_without_errors():
    good = load.summary([{"rps": 180.0, "p50": 160.0, "p99": 290.0, "answers": 5400, "errors": 0}])
    slow = load.summary([{"rps": 25.0, "p50": 160.0, "p99": 900.0, "answers": 750, "errors": 0}])
    bad = load.summary([{"rps": 900.0, "p50": 2.0, "p99": 5.0, "answers": 9000, "errors": 9000}])

    valid = "\n".join(_load_report(good, (True, 200), (True, 200), 5, 50, 30))
    valid_but_slow = "\n".join(_load_report(slow, (True, 200), (True, 200), 5, 50, 30))
    signed_out = "\n".join(_load_report(good, (True, 200), (False, 302), 5, 50, 30))
    redirected = "\n".join(_load_report(bad, (True, 200), (True, 200), 5, 50, 30))

    assert "NOT" not in valid
    assert "| 0 of 5,400 | 0 | met |" in valid
    assert "| requests/s | 180.0 (180.0–180.0) | ≥ 150 | met |" in valid
    assert "| p99 latency, ms | 290.0 (290.0–290.0) | ≤ 300 | met |" in valid
    # Signed in and without errors, the figures are valid, and say they miss their goals.
    assert "| requests/s | 25.0 (25.0–25.0) | ≥ 150 | NOT met |" in valid_but_slow
    assert "| p99 latency, ms | 900.0 (900.0–900.0) | ≤ 300 | NOT met |" in valid_but_slow
    assert "signed in: valid." in valid_but_slow
    assert "HTTP 302 after" in signed_out
    assert "**NOT valid**" in signed_out
    assert "| 9000 of 9,000 | 0 | NOT met |" in redirected
    assert "**NOT valid**" in redirected


@pytest.mark.django_db
def test_a_page_measure_reports_a_redirect_rather_than_timing_it(client):
    result = measure(client, "/", repeat=2)  # not signed in: sent to sign in

    assert result == {"status": 302}


def test_ten_times_the_large_set_is_ten_times_the_agreements_and_people():
    large = Size()

    ten = scaled(large, 10)

    assert (ten.agreements, ten.people) == (10 * large.agreements, 10 * large.people)
    assert ten.chapters_per_group == large.chapters_per_group
    assert scaled(large, 1) == large


def page(ms, queries=5):
    return {"status": 200, "queries": queries, "median_ms": ms, "spread_ms": (ms, ms)}


def test_the_ten_times_goal_counts_the_products_pages_and_shows_the_yardstick():
    large = {"results": {"chapter list": page(50), "admin chapter changelist": page(90)}}
    bigger = {"results": {"chapter list": page(55), "admin chapter changelist": page(150)}}

    report = "\n".join(_scale_table(large, bigger, 10))

    assert "| chapter list | 50.0 | 55.0 | +10% | 5 / 5 | met |" in report
    assert "| admin chapter changelist | 90.0 | 150.0 | +67% | 5 / 5 | yardstick" in report
    assert "over the product's pages: met" in report

    bigger["results"]["chapter list"] = page(61)
    assert "over the product's pages: NOT met" in "\n".join(_scale_table(large, bigger, 10))
    bigger["results"]["chapter list"] = page(55, queries=6)
    assert "over the product's pages: NOT met" in "\n".join(_scale_table(large, bigger, 10))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmarks run on PostgreSQL")
def test_the_two_sizes_are_measured_on_two_databases_in_turn():
    """The scaled set lives in a database of its own; the connection goes there and back."""

    def current():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            return cursor.fetchone()[0]

    home = current()
    other = f"{home}_side"
    _create_database(other)
    _create_database(other)  # there already: left as it is
    try:
        for _ in range(2):
            with _on_database(other):
                assert current() == other
            assert current() == home
        with _on_database(home):
            assert current() == home
    finally:
        for wrapper in list(_DATABASES.values()):
            if wrapper.settings_dict["NAME"] == other:
                wrapper.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{other}"')
