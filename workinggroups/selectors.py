"""Reads of chapters and their history that are more than a filter."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from negotiations.models import Commitment, Meeting
from workinggroups.choices import UNRESOLVED_POINT_STATES, ChapterStatus
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint


def status_at(moment: dt.datetime, chapter_ref="pk"):
    """The status a chapter stood at, at `moment` (a value or an OuterRef), from its history:
    the target of the last change effective by then (not started if none)."""
    last_change = ChapterStatusChange.objects.filter(
        chapter=OuterRef(chapter_ref), effective_at__lte=moment
    ).order_by("-effective_at", "-pk")
    return Coalesce(
        Subquery(last_change.values("to_status")[:1]), Value(ChapterStatus.NOT_STARTED.value)
    )


def chapters_as_of(chapters: QuerySet[Chapter], moment: dt.datetime) -> QuerySet[Chapter]:
    """Annotate each chapter with `status_then` and `contested_then` at `moment`.

    Both come from the history in the same query: the status is the target of the last change
    effective at or before `moment` (not started if none), and a chapter was contested then if
    a point had been opened by that day and was not yet resolved.
    """
    day = moment.date()
    return chapters.annotate(
        status_then=status_at(moment),
        contested_then=Exists(
            ContestedPoint.objects.filter(chapter=OuterRef("pk"), opened_on__lte=day).filter(
                Q(resolved_on__isnull=True) | Q(resolved_on__gt=day)
            )
        ),
    )


def unresolved_points(chapters) -> QuerySet[ContestedPoint]:
    """Open and escalated points of these chapters, soonest target first."""
    return (
        ContestedPoint.objects.filter(chapter__in=chapters, state__in=UNRESOLVED_POINT_STATES)
        .select_related("chapter")
        .order_by("chapter__working_group__order", "chapter__order", "target_date", "pk")
    )


def chapter_history(chapter) -> QuerySet[ChapterStatusChange]:
    """Every status move of the chapter, newest first, with what each row shows."""
    return chapter.status_changes.select_related(
        "changed_by", "negotiation_round", "meeting"
    ).order_by("-effective_at", "-pk")


def chapter_commitments(chapter) -> QuerySet[Commitment]:
    """The chapter's own commitments, and those of the group's meetings tied to no chapter.

    Each half is found from its own index (the chapter's commitments; the group's meetings,
    then their commitments) and only the matching rows are read: one condition spanning both
    made the database join every commitment to every meeting's working groups first, a cost
    that grew with all agreements' commitments rather than this chapter's.
    """
    group_meetings = Meeting.working_groups.through.objects.filter(
        workinggroup_id=chapter.working_group_id
    )
    matching = (
        Commitment.objects.filter(chapter=chapter)
        .order_by()
        .values("pk")
        .union(
            Commitment.objects.filter(
                chapter__isnull=True, meeting__in=group_meetings.values("meeting_id")
            )
            .order_by()
            .values("pk")
        )
    )
    return Commitment.objects.filter(pk__in=matching).select_related("meeting", "party", "owner")
