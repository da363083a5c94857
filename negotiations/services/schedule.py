"""Rounds, meetings and deadlines: the negotiation's calendar."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_save, snapshot
from negotiations.choices import MeetingKind
from negotiations.models import Agreement, Deadline, Meeting, NegotiationRound
from negotiations.services.agreements import align_status_history
from workinggroups.services import fingerprint, read_unchanged

ROUND_FIELDS = (
    "number",
    "starts_on",
    "ends_on",
    "mode",
    "host_party",
    "location",
    "summary",
    "dates_assumed",
)
MEETING_FIELDS = (
    "negotiation_round",
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "time_zone",
    "host_party",
    "location",
    "video_link",
    "summary",
    "is_cancelled",
)
DEADLINE_FIELDS = ("working_group", "title", "due_on", "set_at", "done", "done_on")


def in_zone(day: dt.date, time: dt.time, time_zone: str) -> dt.datetime:
    """The moment a clock in `time_zone` shows `day` at `time`: how a meeting's times are
    typed, in the meeting's own zone whoever types them. A time that a daylight-saving
    change skips or repeats is read as the clock's first reading (fold 0)."""
    return dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(time_zone))


def not_on_the_clock(day: dt.date, time: dt.time, time_zone: str) -> str | None:
    """Why `time` on `day` cannot be read on that zone's clock (it is skipped when the clocks
    go forward), or None when it can. A time that is repeated when they go back is read as its
    first reading, which is what `in_zone` gives."""
    moment = in_zone(day, time, time_zone)
    back = moment.astimezone(dt.UTC).astimezone(zoneinfo.ZoneInfo(time_zone))
    if back.replace(tzinfo=None) == dt.datetime.combine(day, time):
        return None
    return _(
        "%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward then. "
        "Choose another time."
    ) % {"time": time.strftime("%H:%M"), "day": day.isoformat(), "zone": time_zone}


def zone_for(*, time_zone: str | None, host_party=None, negotiation_round=None) -> str:
    """The zone a meeting is held in: as given, else its host's capital, else the round's
    host's capital, else UTC."""
    if time_zone:
        return time_zone
    host = host_party or (negotiation_round.host_party if negotiation_round else None)
    return host.capital_time_zone if host is not None else "UTC"


def meeting_fingerprint(meeting: Meeting) -> str:
    """What a meeting's edit form saw: its columns and the working groups that meet."""
    return fingerprint(meeting, **_meeting_extra(meeting))


def _meeting_extra(meeting: Meeting) -> dict:
    return {"working_groups": sorted(meeting.working_groups.values_list("pk", flat=True))}


def _save(instance, fields: dict, by, *, extra_check=None, expected_fingerprint=None):
    """Validate and save a new or changed record with its audit entry; a change is refused
    with `EditConflict` if the record is no longer what the person saw."""
    with transaction.atomic():
        before = None
        if instance.pk:
            extra = _meeting_extra if isinstance(instance, Meeting) else None
            current = read_unchanged(type(instance), instance.pk, expected_fingerprint, extra)
            before = snapshot(current)
            instance = current
        for name, value in fields.items():
            setattr(instance, name, value.strip() if isinstance(value, str) else value)
        instance.full_clean()
        if extra_check is not None:
            extra_check(instance)
        instance.save()
        record_save(instance=instance, before=before, actor=by)
    return instance


def _only(fields: dict, allowed: tuple, what: str) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{what} got unexpected fields: {sorted(unknown)}")
    return fields


# --- Rounds ------------------------------------------------------------------------------------


def create_round(*, agreement: Agreement, by=None, **fields) -> NegotiationRound:
    fields = _only(fields, ROUND_FIELDS, "create_round()")
    if not fields.get("number"):
        last = agreement.rounds.order_by("-number").values_list("number", flat=True).first()
        fields["number"] = (last or 0) + 1
    with transaction.atomic():
        negotiation_round = _save(NegotiationRound(agreement=agreement), fields, by)
        # The first round dates the agreement's step into negotiation.
        align_status_history(agreement=agreement, by=by)
    return negotiation_round


def update_round(
    *,
    negotiation_round: NegotiationRound,
    by=None,
    expected_fingerprint: str | None = None,
    **fields,
) -> NegotiationRound:
    with transaction.atomic():
        negotiation_round = _save(
            negotiation_round,
            _only(fields, ROUND_FIELDS, "update_round()"),
            by,
            expected_fingerprint=expected_fingerprint,
        )
        align_status_history(agreement=negotiation_round.agreement, by=by)
    return negotiation_round


# --- Meetings ----------------------------------------------------------------------------------


def _check_working_groups(agreement_id, working_groups) -> None:
    foreign = [g for g in working_groups if g.agreement_id != agreement_id]
    if foreign:
        raise ValidationError(
            {
                "working_groups": _("%(groups)s belong to another agreement.")
                % {"groups": ", ".join(str(g) for g in foreign)}
            }
        )


def _check_groups_meet(kind, working_groups) -> None:
    """A working-group meeting is a meeting of at least one group: otherwise nobody would be
    told of it, and nobody could record its outcome but those who steer."""
    if kind == MeetingKind.WORKING_GROUP and not working_groups:
        raise ValidationError(
            {"working_groups": _("Choose the working groups that meet at this meeting.")}
        )


def _set_working_groups(meeting: Meeting, working_groups, by, before_ids) -> None:
    ids = sorted(g.pk for g in working_groups)
    if ids == sorted(before_ids):
        return
    meeting.working_groups.set(working_groups)
    # The groups are not a column of the meeting: their change gets an entry of its own.
    from audit.choices import AuditAction
    from audit.services import record

    entry_before = {**snapshot(meeting), "working_groups": sorted(before_ids)}
    entry = record(action=AuditAction.UPDATE, instance=meeting, actor=by, before=entry_before)
    if entry is not None:
        entry.after = {**snapshot(meeting), "working_groups": ids}
        entry.save(update_fields=["after"])


def create_meeting(*, agreement: Agreement, by=None, working_groups=(), **fields) -> Meeting:
    """Schedule a meeting of the agreement. `starts_at`/`ends_at` are aware moments (see
    `in_zone`); without a `time_zone` the host's capital's zone is used."""
    fields = _only(fields, MEETING_FIELDS, "create_meeting()")
    fields["time_zone"] = zone_for(
        time_zone=fields.get("time_zone"),
        host_party=fields.get("host_party"),
        negotiation_round=fields.get("negotiation_round"),
    )
    working_groups = list(working_groups)
    _check_working_groups(agreement.pk, working_groups)
    _check_groups_meet(fields.get("kind"), working_groups)
    with transaction.atomic():
        # Known from today: a view of an earlier day does not list it.
        meeting = _save(Meeting(agreement=agreement, announced_on=timezone.localdate()), fields, by)
        if working_groups:
            meeting.working_groups.set(working_groups)
    return meeting


def update_meeting(
    *,
    meeting: Meeting,
    by=None,
    working_groups=None,
    expected_fingerprint: str | None = None,
    **fields,
) -> Meeting:
    fields = _only(fields, MEETING_FIELDS, "update_meeting()")
    if "time_zone" in fields or "host_party" in fields:
        fields["time_zone"] = zone_for(
            time_zone=fields.get("time_zone"),
            host_party=fields.get("host_party", meeting.host_party),
            negotiation_round=fields.get("negotiation_round", meeting.negotiation_round),
        )
    with transaction.atomic():
        before_ids = list(meeting.working_groups.values_list("pk", flat=True))
        meeting = _save(meeting, fields, by, expected_fingerprint=expected_fingerprint)
        if working_groups is not None:
            working_groups = list(working_groups)
            _check_working_groups(meeting.agreement_id, working_groups)
            _check_groups_meet(meeting.kind, working_groups)
            _set_working_groups(meeting, working_groups, by, before_ids)
    return meeting


def cancel_meeting(*, meeting: Meeting, by=None) -> Meeting:
    if meeting.is_cancelled:
        raise ValidationError(_("This meeting is already cancelled."))
    return _save(meeting, {"is_cancelled": True}, by)


# --- Deadlines ---------------------------------------------------------------------------------


def _deadline_fields(fields: dict) -> dict:
    fields = dict(fields)
    if "done" in fields and not fields["done"]:
        fields["done_on"] = None
    return fields


def _check_set_at(deadline: Deadline) -> None:
    if deadline.set_at_id and deadline.set_at.agreement_id != deadline.agreement_id:
        raise ValidationError({"set_at": _("This meeting belongs to another agreement.")})


def create_deadline(*, agreement: Agreement, by=None, **fields) -> Deadline:
    fields = _deadline_fields(_only(fields, DEADLINE_FIELDS, "create_deadline()"))
    return _save(Deadline(agreement=agreement), fields, by, extra_check=_check_set_at)


def update_deadline(
    *, deadline: Deadline, by=None, expected_fingerprint: str | None = None, **fields
) -> Deadline:
    fields = _deadline_fields(_only(fields, DEADLINE_FIELDS, "update_deadline()"))
    return _save(
        deadline,
        fields,
        by,
        extra_check=_check_set_at,
        expected_fingerprint=expected_fingerprint,
    )
