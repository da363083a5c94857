"""The load test's own checks: the session it sends is signed in (before and after the run),
and every answer that is not 200 counts as an error, a redirect to the sign-in page too.

wrk alone counts 3xx answers as successes ("Non-2xx or 3xx responses"): a signed-out run then
reports the speed of redirects as the dashboard's. Its answers are counted here by a script
of wrk's own, per status.
"""

import http.client
import re
import statistics

# Run by wrk in each of its threads: counts answers, and those that are not 200, then prints
# the totals over all threads once the run is over.
COUNT_STATUSES = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  answers = 0
  not_ok = 0
end

function response(status, headers, body)
  answers = answers + 1
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local all, bad = 0, 0
  for _, thread in ipairs(threads) do
    all = all + thread:get("answers")
    bad = bad + thread:get("not_ok")
  end
  io.write(string.format("ANSWERS %d\\nNOT_200 %d\\n", all, bad))
end
"""


def signed_in(port: int, path: str, cookie: str, *, host="127.0.0.1") -> tuple[bool, int]:
    """(whether `path`, a page for signed-in people only, answers 200 to this cookie, status):
    a redirect (to the sign-in page or the second factor's) is not signed in."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(
            "GET", path, headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": host}
        )
        status = connection.getresponse().status
    finally:
        connection.close()
    return status == 200, status


_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m)$")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def milliseconds(text: str) -> float | None:
    match = _DURATION.match(text.strip())
    return float(match[1]) * _UNITS[match[2]] if match else None


def parse(output: str) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, answers, answers not 200 and socket errors."""
    stats = {"rps": None, "p50": None, "p99": None, "answers": 0, "not_200": 0, "socket": 0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            stats["rps"] = float(words[1])
        elif words[:1] == ["50%"]:
            stats["p50"] = milliseconds(words[1])
        elif words[:1] == ["99%"]:
            stats["p99"] = milliseconds(words[1])
        elif words[:1] == ["ANSWERS"]:
            stats["answers"] = int(words[1])
        elif words[:1] == ["NOT_200"]:
            stats["not_200"] = int(words[1])
        elif line.strip().startswith("Socket errors:"):
            stats["socket"] = sum(int(n) for n in re.findall(r"\d+", line))
    stats["errors"] = stats["not_200"] + stats["socket"]
    return stats


def summary(runs: list[dict]) -> dict:
    """Median and min–max of each figure over several runs; errors summed."""

    def spread(name):
        values = [run[name] for run in runs if run[name] is not None]
        if not values:
            return None
        return statistics.median(values), min(values), max(values)

    return {
        "runs": len(runs),
        "rps": spread("rps"),
        "p50": spread("p50"),
        "p99": spread("p99"),
        "answers": sum(run["answers"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }
