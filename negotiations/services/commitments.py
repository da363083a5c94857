"""Commitments: recorded, updated, delivered; each status move kept for "as of" views."""

import copy
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_create, record_update, snapshot
from negotiations.choices import CommitmentStatus
from negotiations.models import Commitment, CommitmentStatusChange, Meeting
from workinggroups.services import read_current, write_next_version


def create_commitment(
    *,
    meeting: Meeting,
    text: str,
    by=None,
    party=None,
    owner=None,
    chapter=None,
    due_on: dt.date | None = None,
    status: str = CommitmentStatus.PLEDGED,
    source: str = "",
) -> Commitment:
    commitment = Commitment(
        meeting=meeting,
        text=text.strip(),
        party=party,
        owner=owner,
        chapter=chapter,
        due_on=due_on,
        status=status,
        source=source.strip(),
    )
    commitment.full_clean()
    with transaction.atomic():
        commitment.save()
        record_create(instance=commitment, actor=by)
    return commitment


def _move_status(current: Commitment, to_status: str, by, at: dt.datetime) -> None:
    """Write the history row of a status move (the commitment row is written by the caller)."""
    CommitmentStatusChange.objects.create(
        commitment=current,
        from_status=current.status,
        to_status=to_status,
        changed_by=by if by is not None and by.is_authenticated else None,
        effective_at=at,
    )


def update_commitment(
    *,
    commitment: Commitment,
    by=None,
    text: str,
    party=None,
    owner=None,
    chapter=None,
    due_on: dt.date | None = None,
    status: str,
    source: str | None = None,
    expected_version: int | None = None,
) -> Commitment:
    """Change a commitment as a whole (its source only when given). `expected_version` is the
    version the person saw: if someone saved in between, `EditConflict` is raised and nothing is
    written."""
    with transaction.atomic():
        current = read_current(Commitment, commitment.pk, expected_version)
        before = snapshot(current)
        # Validated on a copy: the saved row is written by the version-checked update alone.
        candidate = copy.copy(current)
        candidate.text, candidate.party, candidate.owner = text.strip(), party, owner
        candidate.chapter, candidate.due_on, candidate.status = chapter, due_on, status
        if source is not None:
            candidate.source = source.strip()
        candidate.full_clean()
        if status != current.status:
            _move_status(current, status, by, timezone.now())
        write_next_version(
            current,
            text=candidate.text,
            party=party,
            owner=owner,
            chapter=chapter,
            due_on=due_on,
            status=status,
            source=candidate.source,
        )
        record_update(instance=current, before=before, actor=by)
    return current


def mark_commitment_delivered(
    *, commitment: Commitment, by=None, expected_version: int | None = None
) -> Commitment:
    with transaction.atomic():
        current = read_current(Commitment, commitment.pk, expected_version)
        if current.status == CommitmentStatus.DELIVERED:
            raise ValidationError({"status": _("This commitment is already delivered.")})
        before = snapshot(current)
        _move_status(current, CommitmentStatus.DELIVERED, by, timezone.now())
        write_next_version(current, status=CommitmentStatus.DELIVERED)
        record_update(instance=current, before=before, actor=by)
    return current
