"""Reads: who is concerned by a meeting, deadline, contested point or commitment, and when."""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet

from negotiations.choices import OPEN_COMMITMENT_STATUSES, MeetingKind, Role
from negotiations.models import Commitment, Deadline, Meeting, RoleAssignment
from reminders.choices import NOTICE_OF, PREFERENCE_FIELD, Reason, ReminderKind
from reminders.models import LeadTimes, Preference, TargetRevision, default_deadline_lead_days
from reminders.models import default_meeting_lead_days as _default_meeting_days
from workinggroups.choices import UNRESOLVED_POINT_STATES, ContestedPointState
from workinggroups.models import ContestedPoint, Membership

# Meetings of these kinds concern the chief negotiators and officials, not one group.
LEADERSHIP_MEETINGS = (MeetingKind.ROUND_PLENARY, MeetingKind.LEADERS)
LEADERSHIP_ROLES = (Role.CHIEF_NEGOTIATOR, Role.OFFICIAL)
# Contested points and commitments are followed up this often while overdue.
FOLLOW_UP_DAYS = 7
# An overdue deadline's one reminder is not sent at all after this long (e.g. after an outage).
OVERDUE_CATCH_UP = dt.timedelta(days=7)
# Nor is the news of an escalation, which the chief negotiators will have heard of by then.
ESCALATION_CATCH_UP = dt.timedelta(days=2)

MODELS = {
    ReminderKind.MEETING: Meeting,
    ReminderKind.DEADLINE: Deadline,
    ReminderKind.CONTESTED_POINT: ContestedPoint,
    ReminderKind.COMMITMENT: Commitment,
    ReminderKind.ESCALATION: ContestedPoint,
    ReminderKind.MEETING_CHANGE: Meeting,
    ReminderKind.DEADLINE_CHANGE: Deadline,
}


class Due(NamedTuple):
    """One reminder that should exist now: its target as scheduled, recipient and lead time.
    (A tuple: the scan makes thousands.)"""

    kind: str
    target_id: int
    agreement_id: int
    recipient_id: int
    offset_days: int
    target_at: dt.datetime
    due_at: dt.datetime


def _people() -> QuerySet:
    return get_user_model().objects.filter(is_active=True).exclude(email="")


def meeting_recipients(meeting: Meeting) -> QuerySet:
    if meeting.kind in LEADERSHIP_MEETINGS:
        return _people().filter(
            roles__agreement_id=meeting.agreement_id, roles__role__in=LEADERSHIP_ROLES
        )
    return _people().filter(memberships__working_group__meetings=meeting).distinct()


def deadline_recipients(deadline: Deadline) -> QuerySet:
    if deadline.working_group_id:
        return _people().filter(memberships__working_group_id=deadline.working_group_id)
    return _people().filter(
        roles__agreement_id=deadline.agreement_id, roles__role=Role.CHIEF_NEGOTIATOR
    )


def escalation_recipients(point: ContestedPoint) -> QuerySet:
    return _people().filter(
        roles__agreement_id=point.chapter.working_group.agreement_id,
        roles__role=Role.CHIEF_NEGOTIATOR,
    )


def owner_recipients(target) -> QuerySet:
    return _people().filter(pk=target.owner_id)


def recipients(kind: str, target) -> QuerySet:
    kind = NOTICE_OF.get(kind, kind)  # a notice goes to those its meeting or deadline concerns
    if kind == ReminderKind.MEETING:
        return meeting_recipients(target)
    if kind == ReminderKind.DEADLINE:
        return deadline_recipients(target)
    if kind == ReminderKind.ESCALATION:
        return escalation_recipients(target)
    return owner_recipients(target)


def _role_holders(agreement_ids, roles) -> dict[int, set[int]]:
    found = defaultdict(set)
    rows = RoleAssignment.objects.filter(agreement_id__in=agreement_ids, role__in=roles)
    for agreement_id, user_id in rows.order_by().values_list("agreement_id", "user_id"):
        found[agreement_id].add(user_id)
    return found


def recipients_of(kind: str, targets, within: QuerySet | None = None) -> dict[int, list]:
    """{target id: the people it concerns} for many targets of one kind, as `recipients`
    gives them for one: three queries at most, whatever the number of targets. `within`:
    a query that selects (at least) these targets, asked in place of a list of their ids."""
    kind = NOTICE_OF.get(kind, kind)
    targets = list(targets)
    wanted = defaultdict(set)
    if kind == ReminderKind.MEETING:
        leading = [t for t in targets if t.kind in LEADERSHIP_MEETINGS]
        if leading:
            holders = _role_holders({t.agreement_id for t in leading}, LEADERSHIP_ROLES)
            for target in leading:
                wanted[target.pk] |= holders[target.agreement_id]
        grouped = [t.pk for t in targets if t.kind not in LEADERSHIP_MEETINGS]
        if grouped:
            if within is not None:  # asked by the query, not with a list of their ids
                grouped = within.exclude(kind__in=LEADERSHIP_MEETINGS).values("pk")
            rows = (
                Membership.objects.filter(working_group__meetings__in=grouped)
                .order_by()
                .values_list("working_group__meetings", "user_id")
            )
            for meeting_id, user_id in rows:
                wanted[meeting_id].add(user_id)
    elif kind == ReminderKind.DEADLINE:
        by_group = [t for t in targets if t.working_group_id]
        if by_group:
            members = defaultdict(set)
            rows = (
                Membership.objects.filter(
                    working_group_id__in={t.working_group_id for t in by_group}
                )
                .order_by()
                .values_list("working_group_id", "user_id")
            )
            for group_id, user_id in rows:
                members[group_id].add(user_id)
            for target in by_group:
                wanted[target.pk] |= members[target.working_group_id]
        chiefs_only = [t for t in targets if not t.working_group_id]
        if chiefs_only:
            holders = _role_holders({t.agreement_id for t in chiefs_only}, [Role.CHIEF_NEGOTIATOR])
            for target in chiefs_only:
                wanted[target.pk] |= holders[target.agreement_id]
    elif kind == ReminderKind.ESCALATION:
        holders = _role_holders(
            {agreement_id_of(kind, t) for t in targets}, [Role.CHIEF_NEGOTIATOR]
        )
        for target in targets:
            wanted[target.pk] |= holders[agreement_id_of(kind, target)]
    else:
        for target in targets:
            if target.owner_id:
                wanted[target.pk].add(target.owner_id)
    ids = set().union(*wanted.values()) if wanted else set()
    people = {p.pk: p for p in _people().filter(pk__in=ids).order_by()} if ids else {}
    return {
        target.pk: [people[pk] for pk in sorted(wanted[target.pk]) if pk in people]
        for target in targets
    }


def agreement_id_of(kind: str, target) -> int:
    if isinstance(target, tuple):  # a row as the scan reads it (see `rows`) carries it
        return target.agreement_id
    kind = NOTICE_OF.get(kind, kind)
    if kind in (ReminderKind.CONTESTED_POINT, ReminderKind.ESCALATION):
        return target.chapter.working_group.agreement_id
    if kind == ReminderKind.COMMITMENT:
        return target.meeting.agreement_id
    return target.agreement_id


def target_date(kind: str, target) -> dt.date | None:
    return {
        ReminderKind.DEADLINE: lambda: target.due_on,
        ReminderKind.CONTESTED_POINT: lambda: target.target_date,
        ReminderKind.COMMITMENT: lambda: target.due_on,
    }[kind]()


def target_at(kind: str, target) -> dt.datetime | None:
    """The moment a target is scheduled for; dates count from their midnight, UTC."""
    if kind == ReminderKind.MEETING:
        return target.starts_at
    if kind == ReminderKind.ESCALATION:
        return target.escalated_at
    date = target_date(kind, target)
    return None if date is None else dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)


def state(kind: str, target) -> dict:
    """What a notice would report as changed: a meeting's time, zone, place and whether it is
    cancelled; the other kinds' date (or moment of escalation)."""
    if kind == ReminderKind.MEETING:
        return {
            "starts_at": target.starts_at.astimezone(dt.UTC).isoformat(),
            "ends_at": target.ends_at.astimezone(dt.UTC).isoformat(),
            "time_zone": target.time_zone,
            "location": target.location,
            "video_link": target.video_link,
            "cancelled": target.is_cancelled,
        }
    if kind == ReminderKind.ESCALATION:
        return {"at": target.escalated_at.isoformat() if target.escalated_at else ""}
    date = target_date(kind, target)
    return {"date": date.isoformat() if date else ""}


def fingerprint(kind: str, target) -> str:
    """What changes when a target is moved (and so bumps its revision)."""
    return fingerprint_of(state(kind, target))


def fingerprint_of(found: dict) -> str:
    return hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()


def sequences(kind: str, ids) -> dict[int, int]:
    """{target id: revision} for meetings or deadlines: the SEQUENCE of their calendar entry
    in every email, download and feed. Never seen by the scan: 0."""
    ids = list(ids)
    found = dict(
        TargetRevision.objects.filter(kind=kind, target_id__in=ids).values_list(
            "target_id", "revision"
        )
    )
    return {pk: found.get(pk, 0) for pk in ids}


def still_concerns(kind: str, target) -> bool:
    """The target still calls for reminders at all (not cancelled, done or resolved)."""
    if kind == ReminderKind.MEETING_CHANGE:
        return True  # a cancellation is news too
    if kind == ReminderKind.DEADLINE_CHANGE:
        return not target.done
    if kind == ReminderKind.MEETING:
        return not target.is_cancelled
    if kind == ReminderKind.DEADLINE:
        return not target.done
    if kind == ReminderKind.CONTESTED_POINT:
        return target.state in UNRESOLVED_POINT_STATES
    if kind == ReminderKind.ESCALATION:
        return target.state == ContestedPointState.ESCALATED
    return target.status in OPEN_COMMITMENT_STATUSES


def local_moment(date: dt.date, zone, hour: int) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def next_digest_moment(after: dt.datetime, zone, hour: int) -> dt.datetime:
    """The first moment at or after `after` when it is `hour`:00 in `zone`."""
    local = after.astimezone(zone)
    moment = local_moment(local.date(), zone, hour)
    if moment < after:
        moment = local_moment(local.date() + dt.timedelta(days=1), zone, hour)
    return moment


def lead_times(agreement_ids) -> dict[int, LeadTimes]:
    found = {lt.agreement_id: lt for lt in LeadTimes.objects.filter(agreement_id__in=agreement_ids)}
    return {
        agreement_id: found.get(agreement_id) or LeadTimes(agreement_id=agreement_id)
        for agreement_id in agreement_ids
    }


def preferences(user_ids) -> dict[int, Preference]:
    found = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    return {user_id: found.get(user_id) or Preference(user_id=user_id) for user_id in user_ids}


def delivery(preference: Preference, kind: str) -> str:
    return getattr(preference, PREFERENCE_FIELD[kind])


def too_late(kind, target, offset_days, recipient, now) -> str:
    """Why a reminder at this lead time would now come too late, or "": the meeting has
    started, or the day of a deadline it announces is over in the recipient's zone."""
    if kind == ReminderKind.MEETING and target.starts_at <= now:
        return Reason.MEETING_STARTED
    if kind != ReminderKind.DEADLINE or offset_days <= 0:
        return ""
    if now >= local_moment(target.due_on + dt.timedelta(days=1), recipient.zone, 0):
        return Reason.DEADLINE_PASSED
    return ""


def latest_due_offset(kind, target, lead: LeadTimes, recipient, now) -> tuple[int, dt.datetime]:
    """The most recent of the target's reminder moments that has come, for this recipient.

    Earlier moments that passed unsent (an outage, a target created late) are not sent as
    well: one reminder with the current state of things replaces them. None when nothing is
    due, or when what is due is about something already past.
    """
    if kind == ReminderKind.MEETING:
        starts = target.starts_at
        if too_late(kind, target, None, recipient, now):
            return None
        due = [
            d
            for d in (lead.meeting_days or _default_meeting_days())
            if starts - dt.timedelta(days=d) <= now
        ]
        if not due:
            return None
        offset = min(due)
        return offset, starts - dt.timedelta(days=offset)
    if kind == ReminderKind.ESCALATION:
        # At once; after an outage only while the news is fresh.
        escalated = target.escalated_at
        if escalated is None or escalated > now or now - escalated > ESCALATION_CATCH_UP:
            return None
        return 0, escalated
    zone = recipient.zone
    hour = settings.REMINDERS_LOCAL_HOUR
    date = target_date(kind, target)
    if date is None:
        return None
    if kind == ReminderKind.DEADLINE:
        moments = {
            d: local_moment(date - dt.timedelta(days=d), zone, hour)
            for d in (lead.deadline_days or default_deadline_lead_days())
        }
        if lead.deadline_overdue:
            moments[-1] = local_moment(date + dt.timedelta(days=1), zone, hour)
        due = [d for d, moment in moments.items() if moment <= now]
        if not due:
            return None
        offset = min(due)
        if too_late(kind, target, offset, recipient, now):
            return None
        if offset < 0 and now - moments[offset] > OVERDUE_CATCH_UP:
            return None
        return offset, moments[offset]
    # Contested points and commitments: on the day, then weekly while still open.
    first = local_moment(date, zone, hour)
    if first > now:
        return None
    weeks = (now - first) // dt.timedelta(days=FOLLOW_UP_DAYS)
    moment = local_moment(date + dt.timedelta(days=FOLLOW_UP_DAYS * weeks), zone, hour)
    if moment > now:  # a daylight-saving shift between the two dates
        weeks -= 1
        moment = local_moment(date + dt.timedelta(days=FOLLOW_UP_DAYS * weeks), zone, hour)
    return -FOLLOW_UP_DAYS * weeks, moment


# What the scan reads of the targets there may be thousands of, without model instances: what
# their state is made of (see `state`), and what says to whom and when their reminders go;
# each row carries its agreement's id, under that name (see `agreement_id_of`).
_POINT_FIELDS = ("pk", "agreement_id", "owner_id", "target_date", "state", "escalated_at")
_ROW_FIELDS = {
    ReminderKind.MEETING: (
        "pk", "kind", "agreement_id",
        "starts_at", "ends_at", "time_zone", "location", "video_link", "is_cancelled",
    ),
    ReminderKind.DEADLINE: ("pk", "agreement_id", "working_group_id", "done", "due_on"),
    ReminderKind.CONTESTED_POINT: _POINT_FIELDS,
    ReminderKind.ESCALATION: _POINT_FIELDS,
    ReminderKind.COMMITMENT: ("pk", "agreement_id", "owner_id", "due_on", "status"),
}  # fmt: skip
_POINT_AGREEMENT = {"agreement_id": F("chapter__working_group__agreement_id")}
_ROW_ANNOTATIONS = {
    ReminderKind.CONTESTED_POINT: _POINT_AGREEMENT,
    ReminderKind.ESCALATION: _POINT_AGREEMENT,
    ReminderKind.COMMITMENT: {"agreement_id": F("meeting__agreement_id")},
}


def _values(kind: str, queryset: QuerySet) -> QuerySet:
    """The rows of the targets `queryset` selects, as the scan reads them (named tuples)."""
    return (
        queryset.annotate(**_ROW_ANNOTATIONS.get(kind, {}))
        .order_by()
        .values_list(*_ROW_FIELDS[kind], named=True)
    )


def watched(now: dt.datetime) -> dict[str, QuerySet]:
    """The targets whose moves and cancellations are announced, by kind: every meeting still
    ahead, cancelled or not, and every deadline not done and not long past."""
    return {
        ReminderKind.MEETING: Meeting.objects.filter(starts_at__gt=now),
        ReminderKind.DEADLINE: Deadline.objects.filter(
            done=False, due_on__gte=now.date() - dt.timedelta(days=1)
        ),
    }


def rows(querysets: dict[str, QuerySet]) -> dict[str, dict[int, tuple]]:
    """{kind: {id: row}} of the targets these queries select, as the scan reads them: a query
    per kind."""
    return {
        kind: {row.pk: row for row in _values(kind, queryset)}
        for kind, queryset in querysets.items()
    }


def states(read: dict[str, dict[int, tuple]]) -> dict[tuple[str, int], dict]:
    """{(kind, id): state} of these targets (as `rows` reads them)."""
    return {
        (kind, pk): state(kind, row) for kind, found in read.items() for pk, row in found.items()
    }


def targets(keys) -> dict[tuple[str, int], object]:
    """{(kind, id): target} for these keys, a query per kind."""
    by_kind = defaultdict(set)
    for kind, pk in keys:
        by_kind[kind].add(pk)
    found = {}
    for kind, ids in by_kind.items():
        rows = MODELS[kind].objects.filter(pk__in=ids)
        if kind == ReminderKind.DEADLINE:
            rows = rows.select_related("working_group")
        found.update(((kind, target.pk), target) for target in rows)
    return found


def candidates(now: dt.datetime) -> dict[str, QuerySet]:
    """The targets that may have a reminder due now, by kind; a superset, checked one by one."""
    longest = max(
        [max(_default_meeting_days()), max(default_deadline_lead_days())]
        + [
            max([*(meeting_days or []), *(deadline_days or []), 0])
            for meeting_days, deadline_days in LeadTimes.objects.values_list(
                "meeting_days", "deadline_days"
            )
        ]
    )
    horizon = dt.timedelta(days=longest + 1)
    today = now.date()
    meetings = Meeting.objects.filter(
        is_cancelled=False, starts_at__gt=now, starts_at__lte=now + horizon
    )
    deadlines = Deadline.objects.filter(
        done=False,
        due_on__gte=today - OVERDUE_CATCH_UP - dt.timedelta(days=2),
        due_on__lte=today + horizon,
    )
    points = ContestedPoint.objects.filter(
        state__in=UNRESOLVED_POINT_STATES,
        owner__isnull=False,
        target_date__lte=today + dt.timedelta(days=1),
    )
    commitments = Commitment.objects.filter(
        status__in=OPEN_COMMITMENT_STATUSES,
        owner__isnull=False,
        due_on__lte=today + dt.timedelta(days=1),
    )
    escalations = ContestedPoint.objects.filter(
        state=ContestedPointState.ESCALATED,
        escalated_at__lte=now,
        escalated_at__gte=now - ESCALATION_CATCH_UP,
    )
    return {
        ReminderKind.MEETING: meetings,
        ReminderKind.DEADLINE: deadlines,
        ReminderKind.CONTESTED_POINT: points,
        ReminderKind.COMMITMENT: commitments,
        ReminderKind.ESCALATION: escalations,
    }


def _candidate_rows(kind: str, queryset: QuerySet, read: dict[int, tuple] | None) -> list:
    """The rows of the targets `queryset` selects, taken from those read already (`read`, see
    `rows`) where they are there: only their ids are asked for, and the others read."""
    if read is None:
        return list(_values(kind, queryset))
    ids = list(queryset.order_by().values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in read]
    if missing:  # not among those read (created since, or not watched)
        read = {**read, **rows({kind: queryset.filter(pk__in=missing)})[kind]}
    return [read[pk] for pk in ids if pk in read]


def due_reminders(
    now: dt.datetime, querysets: dict[str, QuerySet] | None = None, read: dict | None = None
):
    """Every reminder that should exist at `now`, with the people it goes to. `querysets`:
    the candidates (see `candidates`), when the caller has them already; `read`: the rows of
    some targets (see `rows`) read already by the caller, not read again."""
    querysets = querysets or candidates(now)
    read = read or {}
    targets = [
        (kind, target)
        for kind, queryset in querysets.items()
        for target in _candidate_rows(kind, queryset, read.get(kind))
    ]
    leads = lead_times({agreement_id_of(kind, target) for kind, target in targets})
    by_kind = defaultdict(list)
    for kind, target in targets:
        by_kind[kind].append(target)
    # The people of all the targets of a kind at once: the scan's cost does not grow with them.
    people = {
        kind: recipients_of(kind, found, within=querysets[kind]) for kind, found in by_kind.items()
    }
    for kind, target in targets:
        agreement_id = agreement_id_of(kind, target)
        for recipient in people[kind][target.pk]:
            found = latest_due_offset(kind, target, leads[agreement_id], recipient, now)
            if found is None:
                continue
            offset, due_at = found
            yield (
                Due(
                    kind=kind,
                    target_id=target.pk,
                    agreement_id=agreement_id,
                    recipient_id=recipient.pk,
                    offset_days=offset,
                    target_at=target_at(kind, target),
                    due_at=due_at,
                ),
                target,
                recipient,
            )
