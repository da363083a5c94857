"""A meeting's outcome: everything it decided, saved together or not at all."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from negotiations.models import Meeting
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
    """The meeting's last day, in its own time zone: when what it decided took effect."""
    return meeting.ends_at.astimezone(meeting.tzinfo).date()


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
    raised and the transaction is rolled back.
    """
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
            lambda a: resolve_contested_point(by=by, resolved_on=day, **a),
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
