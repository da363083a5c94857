"""Loads a negotiation described in the negotiators' own terms (see fixtures/*.json).

Loading is idempotent: everything is matched on its natural key (party code, agreement slug,
working-group code, chapter title, round number, meeting title, …) and updated in place, and a
status move already in the history is not made twice. Status moves and contested points go
through the same services as every other change, so the seed has the history any user would.
"""

import datetime as dt
import json
import zoneinfo
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from negotiations.models import (
    Agreement,
    Commitment,
    Deadline,
    Delegation,
    Meeting,
    NegotiationRound,
    Party,
)
from negotiations.services.agreements import align_status_history
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint, WorkingGroup
from workinggroups.services import (
    change_chapter_status,
    open_contested_point,
    resolve_contested_point,
)


def load_scenario_file(path: Path) -> Agreement:
    return load_scenario(json.loads(Path(path).read_text(encoding="utf-8")))


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(value)


def _local_datetime(value, zone):
    """A wall-clock time in the meeting's zone, as stored (UTC-aware) datetime."""
    if isinstance(value, dt.datetime):
        return value
    naive = parse_datetime(value)
    return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive


@transaction.atomic
def load_scenario(data: dict) -> Agreement:
    parties = {}
    for item in data["parties"]:
        parties[item["code"]], _ = Party.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "capital_time_zone": item["capital_time_zone"]},
        )

    spec = data["agreement"]
    agreement, _ = Agreement.objects.update_or_create(
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "short_name": spec["short_name"],
            "description": spec.get("description", ""),
            "status": spec["status"],
            "is_demo": spec.get("is_demo", False),
            **{
                field: _date(spec.get(field))
                for field in (
                    "launched_on",
                    "target_conclusion_on",
                    "concluded_on",
                    "signed_on",
                    "in_force_on",
                )
            },
        },
    )
    for item in data["delegations"]:
        Delegation.objects.update_or_create(
            agreement=agreement,
            party=parties[item["party"]],
            defaults={
                "head_name": item.get("head_name", ""),
                "head_title": item.get("head_title", ""),
            },
        )

    groups, chapters = {}, {}
    for order, item in enumerate(data["working_groups"], start=1):
        group, _ = WorkingGroup.objects.update_or_create(
            agreement=agreement,
            code=item["code"],
            defaults={"name": item["name"], "order": order},
        )
        groups[item["code"]] = group
        for chapter_order, title in enumerate(item["chapters"], start=1):
            chapters[title], _ = Chapter.objects.get_or_create(
                working_group=group, title=title, defaults={"order": chapter_order}
            )

    rounds = {}
    for item in data.get("rounds", []):
        rounds[item["number"]], _ = NegotiationRound.objects.update_or_create(
            agreement=agreement,
            number=item["number"],
            defaults={
                "starts_on": _date(item["starts_on"]),
                "ends_on": _date(item["ends_on"]),
                "mode": item["mode"],
                "host_party": parties.get(item.get("host")),
                "location": item.get("location", ""),
                "summary": item.get("summary", ""),
                "dates_assumed": item.get("dates_assumed", False),
            },
        )
    # The agreement's own steps, dated by its milestones and first round.
    align_status_history(agreement=agreement)

    meetings = {}
    for item in data.get("meetings", []):
        zone = zoneinfo.ZoneInfo(item["time_zone"])
        meeting, _ = Meeting.objects.update_or_create(
            agreement=agreement,
            title=item["title"],
            defaults={
                "negotiation_round": rounds.get(item.get("round")),
                "kind": item["kind"],
                "starts_at": _local_datetime(item["starts_at"], zone),
                "ends_at": _local_datetime(item["ends_at"], zone),
                "time_zone": item["time_zone"],
                "location": item.get("location", ""),
                "video_link": item.get("video_link", ""),
                "summary": item.get("summary", ""),
                "announced_on": _date(item.get("announced_on")),
            },
        )
        wanted = item.get("working_groups", [])
        meeting.working_groups.set(
            groups.values() if wanted == "all" else [groups[code] for code in wanted]
        )
        meetings[item["key"]] = meeting

    for event in data.get("status_history", []):
        meeting = meetings.get(event.get("meeting"))
        effective_at = parse_datetime(event["at"]) if "at" in event else None
        for to_status, codes in event["moves"].items():
            for code in codes:
                for chapter in groups[code].chapters.order_by("order"):
                    already = ChapterStatusChange.objects.filter(
                        chapter=chapter, to_status=to_status
                    )
                    already = (
                        already.filter(meeting=meeting)
                        if meeting
                        else already.filter(effective_at=effective_at)
                    )
                    if not already.exists():
                        change_chapter_status(
                            chapter=chapter,
                            to_status=to_status,
                            meeting=meeting,
                            note=event.get("note", ""),
                            effective_at=effective_at,
                        )

    for item in data.get("contested_points", []):
        chapter = chapters[item["chapter"]]
        point = ContestedPoint.objects.filter(chapter=chapter, title=item["title"]).first()
        if point is None:
            point = open_contested_point(
                chapter=chapter,
                title=item["title"],
                description=item.get("description", ""),
                target_date=_date(item.get("target_date")),
                raised_at=meetings.get(item.get("raised_at")),
                opened_on=_date(item.get("opened_on")),
                positions={parties[code]: text for code, text in item.get("positions", {}).items()},
            )
        if item.get("resolved_on") and point.resolved_on is None:
            resolve_contested_point(
                point=point,
                resolution=item.get("resolution", ""),
                resolved_on=_date(item["resolved_on"]),
            )

    for item in data.get("deadlines", []):
        done_on = _date(item.get("done_on"))
        Deadline.objects.update_or_create(
            agreement=agreement,
            working_group=groups.get(item.get("working_group")),
            title=item["title"],
            defaults={
                "due_on": _date(item["due_on"]),
                "set_at": meetings.get(item.get("set_at")),
                "done": done_on is not None,
                "done_on": done_on,
            },
        )

    for item in data.get("commitments", []):
        Commitment.objects.update_or_create(
            meeting=meetings[item["meeting"]],
            text=item["text"],
            defaults={
                "party": parties.get(item.get("party")),
                "due_on": _date(item.get("due_on")),
                "status": item.get("status", "pledged"),
                "source": item.get("source", ""),
            },
        )
    return agreement
