"""A meeting's outcome: everything it decided, saved together or not at all."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from negotiations.models import Meeting
from negotiations.moments import format_moment
from negotiations.services.commitments import create_commitment
from workinggroups.services import (
    EditConflict,
    change_chapter_status,
    open_contested_point,
    resolve_contested_point,
)


class OutcomeRefused(Exception):
    """At least one row of a meeting's outcome was refused; nothing of it was saved.

    `errors` maps (section, row index) to the ValidationError or EditConflict of that row.
    """

    def __init__(self, errors: dict):
        super().__init__(_("The meeting's outcome was not saved."))
        self.errors = errors


def meeting_day(meeting: Meeting) -> dt.date:
    """The day what the meeting decided took effect, on its own calendar: its last day, or
    today there while it is still going on (a decision is never dated ahead)."""
    today = timezone.localdate(timezone=meeting.tzinfo)
    return min(meeting.ends_at.astimezone(meeting.tzinfo).date(), today)


def outcome_refusal(meeting: Meeting) -> str | None:
    """Why no outcome can be recorded for this meeting (yet); None when it can."""
    if meeting.is_cancelled:
        return _("This meeting was cancelled: no outcome can be recorded for it.")
    if meeting.starts_at > timezone.now():
        start = format_moment(
            meeting.starts_at, meeting.time_zone, viewer_zone=timezone.get_current_timezone()
        )
        return _(
            "This meeting has not started yet: its outcome can be recorded from %(start)s."
        ) % {"start": start}
    return None


def record_meeting_outcome(
    *,
    meeting: Meeting,
    by=None,
    status_changes: list[dict] = (),
    resolutions: list[dict] = (),
    new_points: list[dict] = (),
    commitments: list[dict] = (),
) -> None:
    """Save everything a meeting decided, together or not at all.

    Each list holds (row index, arguments) pairs: status changes for `change_chapter_status`
    (chapter, to_status, note, expected_version), resolutions for `resolve_contested_point`
    (point, resolution, expected_version), new points for `open_contested_point` (chapter, title,
    description, target_date, positions) and commitments for `create_commitment`. Every row is
    tried so that all refusals are reported at once; if any is refused, `OutcomeRefused` is
    raised and the transaction is rolled back. A meeting that has not started, or was
    cancelled, has no outcome: a ValidationError on `meeting` says so and nothing is saved.
    """
    refusal = outcome_refusal(meeting)
    if refusal:
        code = "cancelled" if meeting.is_cancelled else "not_started"
        raise ValidationError({"meeting": ValidationError(refusal, code=code)})
    day = meeting_day(meeting)
    errors = {}
    steps = [
        (
            "statuses",
            status_changes,
            lambda a: change_chapter_status(meeting=meeting, by=by, **a),
        ),
        (
            "resolutions",
            resolutions,
            lambda a: resolve_contested_point(by=by, resolved_on=day, meeting=meeting, **a),
        ),
        (
            "points",
            new_points,
            lambda a: open_contested_point(raised_at=meeting, opened_on=day, by=by, **a),
        ),
        ("commitments", commitments, lambda a: create_commitment(meeting=meeting, by=by, **a)),
    ]
    with transaction.atomic():
        for section, rows, save in steps:
            for index, arguments in rows:
                try:
                    with transaction.atomic():
                        save(arguments)
                except (ValidationError, EditConflict) as error:
                    errors[(section, index)] = error
        if errors:
            # Raised inside the block: everything already saved above is rolled back.
            raise OutcomeRefused(errors)
