"""Every write to a chapter or contested point goes through here, whatever door it came by."""

import copy
import datetime as dt
import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_create, record_delete, record_save, record_update, snapshot
from workinggroups.choices import ChapterStatus, ContestedPointState, MembershipRole
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Membership,
    Position,
    WorkingGroup,
)


class EditConflict(Exception):
    """Someone saved the object after this edit was started; nothing was written."""

    def __init__(self, current):
        super().__init__(_("This record was changed by someone else while you were editing it."))
        self.current = current


# Clocks disagree a little: a moment this close ahead of ours is taken as now, not refused.
CLOCK_SKEW = dt.timedelta(minutes=1)

# The zone where each calendar day begins first. A date is typed without a zone, by people at
# the table in zones up to a day apart: only a day that has not begun even here is in the
# future for everyone, so that is all a dateless check may refuse.
EARLIEST_ZONE = dt.timezone(dt.timedelta(hours=14))


def latest_today() -> dt.date:
    """The latest calendar day that has begun anywhere; any later day is in the future."""
    return timezone.localdate(timezone=EARLIEST_ZONE)


def _today_for(meeting) -> dt.date:
    """The last day that is not in the future for a date about `meeting` (or about nothing)."""
    if meeting is not None:
        # The meeting's own calendar says which day it is for what was decided there.
        return timezone.localdate(timezone=meeting.tzinfo)
    return latest_today()


def _moment_of(*, negotiation_round, meeting):
    """When a move made at this meeting or round happened, for "as of" views: its end, or now
    while it is still going on (the history never holds a moment still to come)."""
    now = timezone.now()
    if meeting is not None:
        return min(meeting.ends_at, now)
    if negotiation_round is not None:
        end = dt.datetime.combine(negotiation_round.ends_on, dt.time(12, 0), tzinfo=dt.UTC)
        return min(end, now)
    return now


def _check_not_ahead(*, negotiation_round, meeting, effective_at):
    """Refuse a move dated later than now, or said to be made at a meeting or round that has
    not started yet."""
    errors = {}
    now = timezone.now()
    if effective_at is not None and effective_at > now + CLOCK_SKEW:
        errors["effective_at"] = _("A status change cannot be dated in the future.")
    if meeting is not None and meeting.starts_at > now:
        errors["meeting"] = _(
            "This meeting has not started yet: nothing can have been decided at it."
        )
    if negotiation_round is not None and negotiation_round.starts_on > latest_today():
        errors["negotiation_round"] = _(
            "This round has not started yet: nothing can have been decided at it."
        )
    if errors:
        raise ValidationError(errors)


def _check_context(*, agreement_id, negotiation_round, meeting):
    errors = {}
    if negotiation_round is not None and negotiation_round.agreement_id != agreement_id:
        errors["negotiation_round"] = _("This round belongs to another agreement.")
    if meeting is not None:
        if meeting.agreement_id != agreement_id:
            errors["meeting"] = _("This meeting belongs to another agreement.")
        elif (
            negotiation_round is not None
            and meeting.negotiation_round_id
            and meeting.negotiation_round_id != negotiation_round.pk
        ):
            errors["meeting"] = _("This meeting was not part of the chosen round.")
    if errors:
        raise ValidationError(errors)


def read_current(model, pk, expected_version):
    """The row as saved now, locked where the database can; `EditConflict` if it is no
    longer the version the person saw (`expected_version`, when given)."""
    current = model.objects.select_for_update().get(pk=pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(current)
    return current


def fingerprint(instance, **extra) -> str:
    """A short digest of the record as saved (and of `extra`, such as its many-to-many
    choices): what an edit form saw, so that a record without a version column can still
    refuse a save based on an older state."""
    state = {**snapshot(instance), **extra}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:20]


def read_unchanged(model, pk, expected_fingerprint, extra=None):
    """The row as saved now, locked where the database can; `EditConflict` if it is no longer
    what the person saw (`expected_fingerprint`, when given). `extra(row)` adds what the
    fingerprint covers beyond the row's own columns."""
    current = model.objects.select_for_update().get(pk=pk)
    if expected_fingerprint and expected_fingerprint != fingerprint(
        current, **(extra(current) if extra else {})
    ):
        raise EditConflict(current)
    return current


def write_next_version(instance, **fields) -> None:
    """Write `fields` as the next version, only if nobody saved `instance` since it was read;
    otherwise refuse with the saved version. The check sits in the UPDATE itself, so it holds
    where select_for_update does nothing (SQLite)."""
    model = type(instance)
    updated = model.objects.filter(pk=instance.pk, version=instance.version).update(
        **fields, version=F("version") + 1
    )
    if not updated:
        raise EditConflict(model.objects.get(pk=instance.pk))
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.version += 1


def change_chapter_status(
    *,
    chapter: Chapter,
    to_status: str,
    by=None,
    negotiation_round=None,
    meeting=None,
    note: str = "",
    effective_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ChapterStatusChange:
    """Move a chapter to a new status and write its history row, together or not at all.

    `expected_version` is the chapter version the person saw; if someone saved in between,
    `EditConflict` is raised and nothing changes. Moving backwards needs a note saying why.
    The move takes effect at `effective_at`, else at the end of its meeting or round (now, while
    that is going on); a moment in the future, or a meeting or round not yet started, is refused.
    """
    if to_status not in ChapterStatus.values:
        raise ValidationError({"to_status": _("Choose a valid status.")})
    if negotiation_round is None and meeting is not None:
        negotiation_round = meeting.negotiation_round
    _check_context(
        agreement_id=chapter.working_group.agreement_id,
        negotiation_round=negotiation_round,
        meeting=meeting,
    )
    _check_not_ahead(
        negotiation_round=negotiation_round, meeting=meeting, effective_at=effective_at
    )
    with transaction.atomic():
        current = read_current(Chapter, chapter.pk, expected_version)
        before = snapshot(current)
        from_status = current.status
        if to_status == from_status:
            raise ValidationError({"to_status": _("The chapter already stands at this status.")})
        if ChapterStatus(to_status).rank < ChapterStatus(from_status).rank and not note.strip():
            raise ValidationError(
                {"note": _("Moving a chapter backwards needs a note saying why.")}
            )
        write_next_version(current, status=to_status)
        change = ChapterStatusChange(
            chapter=current,
            from_status=from_status,
            to_status=to_status,
            negotiation_round=negotiation_round,
            meeting=meeting,
            note=note.strip(),
            changed_by=by,
            effective_at=effective_at
            or _moment_of(negotiation_round=negotiation_round, meeting=meeting),
        )
        change.full_clean()
        change.save()
        record_update(instance=current, before=before, actor=by)
        record_create(instance=change, actor=by)
    chapter.status = to_status
    chapter.version = current.version
    return change


def open_contested_point(
    *,
    chapter: Chapter,
    title: str,
    by=None,
    description: str = "",
    owner=None,
    target_date: dt.date | None = None,
    raised_at=None,
    opened_on: dt.date | None = None,
    positions: dict | None = None,
) -> ContestedPoint:
    """Record a new disagreement in a chapter, with each party's position (party -> text).

    `opened_on` (today by default) may not be a day still to come."""
    if opened_on is not None and opened_on > latest_today():
        raise ValidationError(
            {
                "opened_on": _("A point cannot be opened on a day still to come (%(date)s).")
                % {"date": opened_on.isoformat()}
            }
        )
    if raised_at is not None:
        _check_context(
            agreement_id=chapter.working_group.agreement_id,
            negotiation_round=None,
            meeting=raised_at,
        )
    point = ContestedPoint(
        chapter=chapter,
        title=title,
        description=description,
        owner=owner,
        target_date=target_date,
        raised_at=raised_at,
        opened_on=opened_on or timezone.localdate(),
    )
    point.full_clean()
    with transaction.atomic():
        point.save()
        record_create(instance=point, actor=by)
        for party, text in (positions or {}).items():
            if text.strip():
                position = Position(contested_point=point, party=party, text=text.strip())
                position.full_clean()
                position.save()
                record_create(instance=position, actor=by)
    return point


def resolve_contested_point(
    *,
    point: ContestedPoint,
    by=None,
    resolution: str = "",
    resolved_on: dt.date | None = None,
    meeting=None,
    expected_version: int | None = None,
) -> ContestedPoint:
    """Close a contested point; the chapter stops being contested once none is left open.

    `resolved_on` (today by default) may not be a day still to come: on the calendar of
    `meeting` when it was settled at one, else anywhere at all.
    """
    # A bare date has no zone. Settled at a meeting, the day is read on that meeting's calendar,
    # the one its outcome is dated on; otherwise the person typing may sit anywhere from
    # UTC-12 to UTC+14, so only a day that has begun nowhere yet (after today in UTC+14) is
    # surely in the future, and only that is refused.
    if resolved_on is not None and resolved_on > _today_for(meeting):
        raise ValidationError(
            {
                "resolved_on": _("A point cannot be resolved on a day still to come (%(date)s).")
                % {"date": resolved_on.isoformat()}
            }
        )
    with transaction.atomic():
        current = read_current(ContestedPoint, point.pk, expected_version)
        if current.state == ContestedPointState.RESOLVED:
            raise ValidationError({"state": _("This point is already resolved.")})
        before = snapshot(current)
        current.state = ContestedPointState.RESOLVED
        current.resolved_on = resolved_on or timezone.localdate()
        if current.resolved_on < current.opened_on:
            raise ValidationError(
                {
                    "resolved_on": _("A point cannot be resolved before it was opened (%(date)s).")
                    % {"date": current.opened_on.isoformat()}
                }
            )
        current.resolution = resolution.strip()
        current.full_clean()
        write_next_version(
            current,
            state=current.state,
            resolved_on=current.resolved_on,
            resolution=current.resolution,
        )
        record_update(instance=current, before=before, actor=by)
    return current


def update_contested_point(
    *,
    point: ContestedPoint,
    by=None,
    title: str,
    description: str = "",
    owner=None,
    target_date: dt.date | None = None,
    positions: dict | None = None,
    expected_version: int | None = None,
) -> ContestedPoint:
    """Edit a point and each party's position (party -> text; empty text removes it).

    Refused with `EditConflict`, writing nothing, if someone saved the point since
    `expected_version`.
    """
    with transaction.atomic():
        current = read_current(ContestedPoint, point.pk, expected_version)
        before = snapshot(current)
        current.title = title.strip()
        current.description = description.strip()
        current.owner = owner
        current.target_date = target_date
        current.full_clean()
        write_next_version(
            current,
            title=current.title,
            description=current.description,
            owner=current.owner,
            target_date=current.target_date,
        )
        record_update(instance=current, before=before, actor=by)
        _save_positions(point=current, positions=positions or {}, by=by)
    return current


def _save_positions(*, point, positions, by):
    existing = {position.party_id: position for position in point.positions.all()}
    for party, text in positions.items():
        text = text.strip()
        position = existing.get(party.pk)
        if position is None and text:
            position = Position(contested_point=point, party=party, text=text)
            position.full_clean()
            position.save()
            record_create(instance=position, actor=by)
        elif position is not None and not text:
            record_delete(instance=position, actor=by)
            position.delete()
        elif position is not None and position.text != text:
            before = snapshot(position)
            position.text = text
            position.full_clean()
            position.save(update_fields=["text"])
            record_update(instance=position, before=before, actor=by)


def escalate_contested_point(
    *, point: ContestedPoint, by=None, note: str = "", expected_version: int | None = None
) -> ContestedPoint:
    """Hand an open point to the chief negotiators; they alone may then resolve it."""
    with transaction.atomic():
        current = read_current(ContestedPoint, point.pk, expected_version)
        if current.state != ContestedPointState.OPEN:
            raise ValidationError({"state": _("Only an open point can be escalated.")})
        before = snapshot(current)
        current.state = ContestedPointState.ESCALATED
        current.escalated_at = timezone.now()
        current.escalated_by = by if getattr(by, "pk", None) else None
        current.escalation_note = note.strip()
        if note.strip():
            current.description = "\n\n".join(
                part for part in (current.description, note.strip()) if part
            )
        current.full_clean()
        write_next_version(
            current,
            state=current.state,
            description=current.description,
            escalated_at=current.escalated_at,
            escalated_by=current.escalated_by,
            escalation_note=current.escalation_note,
        )
        record_update(instance=current, before=before, actor=by)
    return current


# --- The agreement's structure: working groups, chapters and the people in the groups ---------


def _next_order(queryset) -> int:
    last = queryset.order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


def create_working_group(
    *, agreement, name: str, code: str, by=None, order: int | None = None
) -> WorkingGroup:
    group = WorkingGroup(
        agreement=agreement,
        name=name.strip(),
        code=code.strip().upper(),
        order=order if order is not None else _next_order(agreement.working_groups.all()),
    )
    group.full_clean()
    with transaction.atomic():
        group.save()
        record_create(instance=group, actor=by)
    return group


def update_working_group(
    *,
    working_group: WorkingGroup,
    by=None,
    name: str,
    code: str,
    order: int | None = None,
    expected_fingerprint: str | None = None,
) -> WorkingGroup:
    with transaction.atomic():
        current = read_unchanged(WorkingGroup, working_group.pk, expected_fingerprint)
        before = snapshot(current)
        current.name, current.code = name.strip(), code.strip().upper()
        if order is not None:
            current.order = order
        current.full_clean()
        current.save()
        record_update(instance=current, before=before, actor=by)
    return current


def delete_working_group(*, working_group: WorkingGroup, by=None) -> None:
    """Remove an empty working group; one that still holds chapters is refused, so that no
    chapter (and none of its history) is lost with it."""
    with transaction.atomic():
        if working_group.chapters.exists():
            raise ValidationError(
                _("Move or remove the chapters of %(group)s before removing it.")
                % {"group": working_group.name}
            )
        for membership in working_group.memberships.all():
            record_delete(instance=membership, actor=by)
        record_delete(instance=working_group, actor=by)
        working_group.delete()


def create_chapter(
    *, working_group: WorkingGroup, title: str, by=None, order: int | None = None
) -> Chapter:
    chapter = Chapter(
        working_group=working_group,
        title=title.strip(),
        order=order if order is not None else _next_order(working_group.chapters.all()),
    )
    chapter.full_clean()
    with transaction.atomic():
        chapter.save()
        record_create(instance=chapter, actor=by)
    return chapter


def update_chapter(
    *,
    chapter: Chapter,
    by=None,
    title: str | None = None,
    order: int | None = None,
    working_group: WorkingGroup | None = None,
    expected_version: int | None = None,
) -> Chapter:
    """Rename, reorder or move a chapter to another working group of the same agreement. The
    chapter stays the same record, so its status history and contested points go with it."""
    with transaction.atomic():
        current = read_current(Chapter, chapter.pk, expected_version)
        before = snapshot(current)
        fields = {}
        if title is not None and title.strip() != current.title:
            fields["title"] = title.strip()
        if order is not None and order != current.order:
            fields["order"] = order
        if working_group is not None and working_group.pk != current.working_group_id:
            if working_group.agreement_id != current.working_group.agreement_id:
                raise ValidationError(
                    {"working_group": _("This working group belongs to another agreement.")}
                )
            fields["working_group"] = working_group
            if order is None:
                fields["order"] = _next_order(working_group.chapters.all())
        if not fields:
            return current
        # Validated on a copy: the saved row is written by the version-checked update alone.
        candidate = copy.copy(current)
        for name, value in fields.items():
            setattr(candidate, name, value)
        candidate.full_clean()
        write_next_version(current, **fields)
        record_update(instance=current, before=before, actor=by)
    return current


def delete_chapter(*, chapter: Chapter, by=None) -> None:
    """Remove a chapter added by mistake; one with any history or contested point is refused:
    a chapter that has been negotiated is never lost."""
    with transaction.atomic():
        if chapter.status_changes.exists() or chapter.contested_points.exists():
            raise ValidationError(
                _("%(chapter)s has a history: it can be renamed or moved, not removed.")
                % {"chapter": chapter.title}
            )
        record_delete(instance=chapter, actor=by)
        chapter.delete()


def add_membership(
    *, working_group: WorkingGroup, user, party, by=None, role: str = MembershipRole.MEMBER
) -> Membership:
    """Seat a person in a working group for a party's delegation (or change their seat)."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(working_group=working_group, user=user)
            .first()
        )
        before = snapshot(membership) if membership else None
        if membership is None:
            membership = Membership(working_group=working_group, user=user)
        membership.party, membership.role = party, role
        membership.full_clean()
        membership.save()
        record_save(instance=membership, before=before, actor=by)
    return membership


def remove_membership(*, membership: Membership, by=None) -> None:
    with transaction.atomic():
        record_delete(instance=membership, actor=by)
        membership.delete()
