"""Reads behind the dashboards: every figure is counted by the database, as of a moment.

Each function runs a fixed number of queries whatever the number of agreements, chapters,
history rows or meetings; the views' query budgets are tested.
"""

import dataclasses
import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dashboards.asof import AsOf, end_of_round
from negotiations import moments
from negotiations.choices import OPEN_COMMITMENT_STATUSES, AgreementStatus
from negotiations.models import (
    Agreement,
    AgreementStatusChange,
    Commitment,
    CommitmentStatusChange,
    Deadline,
    Meeting,
    NegotiationRound,
)
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint
from workinggroups.selectors import chapters_as_of, status_at
from workinggroups.services import latest_today

STATUSES = list(ChapterStatus)
# What negotiators mean by "agreed": agreed at their level, or further (legally scrubbed).
AGREED_STATUSES = (ChapterStatus.AGREED, ChapterStatus.CONCLUDED)
# And what a headline during the talks counts as settled, in principle at least.
SETTLED_STATUSES = (ChapterStatus.AGREED_IN_PRINCIPLE, *AGREED_STATUSES)
# The agreement's steps after the talks, each dated by a milestone.
CLOSED_STATUSES = (AgreementStatus.CONCLUDED, AgreementStatus.SIGNED, AgreementStatus.IN_FORCE)
UPCOMING_DAYS = 30
LATEST_CHANGES = 10


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------
def chapter_states(chapters: QuerySet[Chapter], as_of: AsOf) -> QuerySet[Chapter]:
    """Annotate `status_at` and `contested_at`: as recorded now, or from the history then."""
    if as_of.is_now:
        # Contested by the same reading of the points' dates as the open-points panel, so that
        # a chapter counts as contested exactly when the panel lists one of its points.
        points = points_open_at(ContestedPoint.objects.filter(chapter=OuterRef("pk")), as_of)
        return chapters.annotate(status_at=F("status"), contested_at=Exists(points))
    return chapters_as_of(chapters, as_of.moment).annotate(
        status_at=F("status_then"), contested_at=F("contested_then")
    )


def _point_day(as_of: AsOf) -> dt.date:
    """The day against which a point's dates (opened, resolved) are read.

    As of a past day, that day. Now, the latest day begun anywhere: the dates are typed
    without a zone by people up to a day apart, and the services accept any day that has begun
    somewhere, so a point opened or resolved today in Phnom Penh is open or resolved now for a
    reader in Washington too, while a day still to come everywhere (legacy rows written before
    the services refused them) is not yet reached.
    """
    return latest_today() if as_of.is_now else as_of.day


def _point_known(as_of: AsOf) -> Q:
    """A contested point already opened at the as-of point."""
    return Q(opened_on__lte=_point_day(as_of))


def _point_resolved(as_of: AsOf) -> Q:
    """A contested point resolved by the as-of point."""
    return Q(resolved_on__lte=_point_day(as_of))


def _point_escalated(as_of: AsOf) -> Q:
    """A contested point escalated by the as-of point. An escalation dated later, even one
    stored as escalated already (legacy rows dated in the future), is not yet made."""
    return Q(escalated_at__lte=as_of.moment) | Q(
        # Escalated before the moment was recorded: the best that is known.
        escalated_at__isnull=True,
        state=ContestedPointState.ESCALATED,
    )


def points_at(points: QuerySet[ContestedPoint], as_of: AsOf) -> QuerySet[ContestedPoint]:
    """Contested points already opened at the as-of point, annotated `state_at`: what the
    contested-points table lists. Its open and escalated rows are exactly `points_open_at`."""
    return points.filter(_point_known(as_of)).annotate(state_at=point_state_at(as_of))


def points_open_at(points: QuerySet[ContestedPoint], as_of: AsOf) -> QuerySet[ContestedPoint]:
    """Contested points open (or escalated) at the as-of point, now as for any past point:
    opened by then and not resolved by then, by their dates alone."""
    return points.filter(_point_known(as_of)).exclude(_point_resolved(as_of))


def point_state_at(as_of: AsOf):
    """A contested point's state at the as-of point, now as for any past point: resolved from
    its resolution day, escalated from the moment it was escalated, open before."""
    return Case(
        When(_point_resolved(as_of), then=Value(ContestedPointState.RESOLVED.value)),
        When(_point_escalated(as_of), then=Value(ContestedPointState.ESCALATED.value)),
        default=Value(ContestedPointState.OPEN.value),
        output_field=CharField(),
    )


def deadline_open_at(day: dt.date) -> Q:
    """A deadline not yet done on `day` (a deadline done without a date counts as done)."""
    return Q(done=False) | Q(done_on__gt=day)


def point_overdue(day: dt.date):
    """A contested point past its target date and still unresolved on `day`."""
    return Case(
        When(
            Q(target_date__lt=day) & (Q(resolved_on__isnull=True) | Q(resolved_on__gt=day)),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def commitment_status_at(as_of: AsOf):
    """A commitment's status at the as-of point: the last move made by then, else what it
    was before its first later move, else (never moved) what it is now."""
    if as_of.is_now:
        return F("status")
    moves = CommitmentStatusChange.objects.filter(commitment=OuterRef("pk"))
    made_by_then = moves.filter(effective_at__lte=as_of.moment).order_by("-effective_at", "-pk")
    made_later = moves.filter(effective_at__gt=as_of.moment).order_by("effective_at", "pk")
    return Coalesce(
        Subquery(made_by_then.values("to_status")[:1]),
        Subquery(made_later.values("from_status")[:1]),
        F("status"),
        output_field=CharField(),
    )


def commitments_known_at(commitments: QuerySet[Commitment], as_of: AsOf) -> QuerySet[Commitment]:
    """The commitments made by the as-of point: nobody knew of one made at a later meeting."""
    if as_of.is_now:
        return commitments
    return commitments.filter(meeting__starts_at__lte=as_of.moment)


def commitment_overdue(day: dt.date, status: str = "status"):
    """A commitment still open (by `status`: its current status, or an annotation such as
    `status_at`) whose due day had passed."""
    return Case(
        When(
            Q(due_on__lt=day) & Q(**{f"{status}__in": OPEN_COMMITMENT_STATUSES}),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def count_of(queryset: QuerySet, group_by: str):
    """A correlated COUNT of `queryset` (already filtered on OuterRef), 0 when empty."""
    counted = (
        queryset.order_by().values(group_by).annotate(n=Count("pk", distinct=True)).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def count_rows(queryset: QuerySet):
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef) with no GROUP BY:
    one row, 0 when empty, and no join back to the table that `count_of` groups by."""
    counted = queryset.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n")
    return Subquery(counted[:1], output_field=IntegerField())


def commitments_of(meetings: QuerySet[Meeting]) -> QuerySet[Commitment]:
    """Commitments made at these meetings.

    Read through the meetings' primary keys rather than a join on the agreement: without
    table statistics PostgreSQL otherwise scans every commitment once per meeting.
    """
    return Commitment.objects.filter(meeting__in=meetings)


def rounds_of(agreement: Agreement) -> list[NegotiationRound]:
    """The agreement's rounds with `last_meeting_end`, which `asof` needs to place them, and
    their host (fetched with them, so that showing a round's host never costs a query of its
    own: a page asks the same number of queries whether or not its round was hosted)."""
    return list(
        agreement.rounds.select_related("host_party")
        .annotate(last_meeting_end=Max("meetings__ends_at"))
        .order_by("number")
    )


def status_counts(chapters: QuerySet[Chapter], as_of: AsOf, rounds=()) -> dict:
    """Chapters at each status at the as-of point, and after every round finished by then.

    Two grouped queries, each returning a handful of rows whatever the number of chapters:
    returns {"current": {status: n}, "total": n, "contested": n, "rounds": [(round,
    {status: n})...]}.
    """
    current = dict.fromkeys(STATUSES, 0)
    total = contested = 0
    grouped = (
        chapter_states(chapters, as_of)
        .order_by()
        .values("status_at", "contested_at")
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        current[ChapterStatus(row["status_at"])] += row["n"]
        total += row["n"]
        contested += row["n"] if row["contested_at"] else 0
    past_rounds = [r for r in rounds if end_of_round(r) <= as_of.moment]
    return {
        "current": current,
        "total": total,
        "agreed": sum(current[s] for s in AGREED_STATUSES),
        "settled": sum(current[s] for s in SETTLED_STATUSES),
        "contested": contested,
        "rounds": _status_counts_after_rounds(chapters, past_rounds),
    }


def _status_counts_after_rounds(chapters: QuerySet[Chapter], past_rounds) -> list:
    """[(round, {status: n})...]: each chapter paired with each round of its agreement, the
    pair's status read from the history at the end of that round, counted per round.

    One query whatever the number of rounds: the cutoffs are literals chosen per pair, so the
    history lookup is one index probe per (chapter, round).
    """
    if not past_rounds:
        return []
    by_round = {r.pk: dict.fromkeys(STATUSES, 0) for r in past_rounds}
    round_field = "working_group__agreement__rounds"
    pairs = (
        chapters.filter(**{f"{round_field}__in": list(by_round)})
        .annotate(
            round_id=F(round_field),
            cutoff=Case(
                *(When(**{round_field: r.pk}, then=Value(end_of_round(r))) for r in past_rounds),
                output_field=DateTimeField(),
            ),
        )
        .annotate(status_then=status_at(OuterRef("cutoff")))
        .order_by()
        .values("round_id", "status_then")
        .annotate(n=Count("pk"))
    )
    for row in pairs:
        by_round[row["round_id"]][ChapterStatus(row["status_then"])] = row["n"]
    return [(r, by_round[r.pk]) for r in past_rounds]


# ---------------------------------------------------------------------------------------------
# The agreement's own status and milestones
# ---------------------------------------------------------------------------------------------
def agreement_status_at(as_of: AsOf):
    """An agreement's status at the as-of day, for a queryset of agreements: the last step
    taken by then, else (a day before its first step) its first step; never stepped, as now."""
    if as_of.is_now:
        return F("status")
    steps = AgreementStatusChange.objects.filter(agreement=OuterRef("pk"))
    return Coalesce(
        Subquery(
            steps.filter(effective_on__lte=as_of.day)
            .order_by("-effective_on", "-pk")
            .values("to_status")[:1]
        ),
        Subquery(steps.order_by("effective_on", "pk").values("to_status")[:1]),
        F("status"),
        output_field=CharField(),
    )


@dataclasses.dataclass(frozen=True)
class Milestone:
    """One dated step on an agreement's timeline."""

    day: dt.date
    label: str
    kind: str  # "status", "round" or "target"
    reached: bool
    assumed: bool = False
    status: str = ""
    url: str = ""


def status_history(agreement: Agreement) -> list[AgreementStatusChange]:
    return list(agreement.status_changes.order_by("effective_on", "pk"))


def status_on(agreement: Agreement, history, as_of: AsOf) -> AgreementStatus:
    """The agreement's status at the as-of day, from its history (see agreement_status_at)."""
    if as_of.is_now or not history:
        return AgreementStatus(agreement.status)
    taken = [step for step in history if step.effective_on <= as_of.day]
    return AgreementStatus((taken or history[:1])[-1].to_status)


def milestones(agreement: Agreement, history, rounds, as_of: AsOf) -> list[Milestone]:
    """The agreement's timeline: each status step, each round, and the target conclusion date
    while it is not concluded; in order, each marked reached or not at the as-of day. As of a
    past day, steps taken later are not shown (they were not known), planned rounds are."""
    found = []
    for step in history:
        if step.effective_on > as_of.day:
            continue
        found.append(
            Milestone(
                day=step.effective_on,
                label=AgreementStatus(step.to_status).label,
                kind="status",
                reached=True,
                status=step.to_status,
            )
        )
    for negotiation_round in rounds:
        found.append(
            Milestone(
                day=negotiation_round.starts_on,
                label=_("Round %(number)s") % {"number": negotiation_round.number},
                kind="round",
                reached=negotiation_round.starts_on <= as_of.day,
                assumed=negotiation_round.dates_assumed,
                url=negotiation_round.get_absolute_url(),
            )
        )
    status = status_on(agreement, history, as_of)
    if agreement.target_conclusion_on and status not in CLOSED_STATUSES:
        found.append(
            Milestone(
                day=agreement.target_conclusion_on,
                label=_("Target: conclusion"),
                kind="target",
                reached=False,
            )
        )
    return sorted(found, key=lambda m: (m.day, m.kind != "status"))


def headline(agreement: Agreement, status, counts: dict, history, next_meeting, as_of) -> list:
    """What an official says of the agreement in one breath, as phrases to join with " · ":
    "15 of 15 chapters concluded · signed 12 Oct 2020 · in force 1 Jan 2022"; during the talks
    "9 of 15 agreed or agreed in principle · 4 contested · next round 15 Jun, Beijing". Days
    of another year than the reader's own say their year, as of a past point too."""
    today = None
    total = counts["total"]
    phrases = []
    if total and counts["current"][ChapterStatus.CONCLUDED] == total:
        phrases.append(
            ngettext(
                "%(count)d of %(total)d chapter concluded",
                "%(count)d of %(total)d chapters concluded",
                total,
            )
            % {"count": total, "total": total}
        )
    elif status in CLOSED_STATUSES:
        phrases.append(
            ngettext(
                "%(count)d of %(total)d chapter agreed",
                "%(count)d of %(total)d chapters agreed",
                total,
            )
            % {"count": counts["agreed"], "total": total}
        )
    else:
        phrases.append(
            ngettext(
                "%(count)d of %(total)d chapter agreed or agreed in principle",
                "%(count)d of %(total)d chapters agreed or agreed in principle",
                total,
            )
            % {"count": counts["settled"], "total": total}
        )
    if counts["contested"]:
        phrases.append(
            ngettext("%(count)d contested", "%(count)d contested", counts["contested"])
            % {"count": counts["contested"]}
        )
    steps = {s.to_status: s.effective_on for s in history if s.effective_on <= as_of.day}
    closing = {
        AgreementStatus.CONCLUDED: _("concluded %(day)s"),
        AgreementStatus.SIGNED: _("signed %(day)s"),
        AgreementStatus.IN_FORCE: _("in force %(day)s"),
    }
    for step, words in closing.items():
        # Signed says concluded: the conclusion's day is for the timeline.
        later = step == AgreementStatus.CONCLUDED and AgreementStatus.SIGNED in steps
        if step in steps and not later:
            phrases.append(words % {"day": moments.format_day(steps[step], today=today)})
    if status not in CLOSED_STATUSES and next_meeting is not None:
        local_day = next_meeting.starts_at.astimezone(next_meeting.tzinfo).date()
        day = moments.format_day(local_day, today=today)
        place = next_meeting.location or (
            next_meeting.negotiation_round.location if next_meeting.negotiation_round else ""
        )
        if next_meeting.negotiation_round_id:
            words = _("next round %(day)s") % {"day": day}
        else:
            words = _("next meeting %(day)s") % {"day": day}
        phrases.append(f"{words}, {place}" if place else words)
    return phrases


# ---------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------
def _first_of(queryset: QuerySet, **fields) -> dict:
    """Annotations reading fields of the first row of an ordered, correlated queryset."""
    return {name: Subquery(queryset.values(field)[:1]) for name, field in fields.items()}


def portfolio(agreements: QuerySet[Agreement], as_of: AsOf) -> QuerySet[Agreement]:
    """Agreements annotated with chapter counts by status, contested and overdue counts, their
    next meeting and their nearest open deadline, all in one query."""
    day = as_of.day

    def chapter_count(**lookups):
        inner = chapter_states(
            Chapter.objects.filter(working_group__agreement=OuterRef("pk")), as_of
        ).filter(**lookups)
        return count_of(inner, "working_group__agreement")

    open_deadlines = Deadline.objects.filter(agreement=OuterRef("pk")).filter(deadline_open_at(day))
    return agreements.annotate(
        contested_count=chapter_count(contested_at=True),
        **{f"count_{s.value}": chapter_count(status_at=s.value) for s in STATUSES},
        agreed_count=chapter_count(status_at__in=AGREED_STATUSES),
        status_at=agreement_status_at(as_of),
        **_first_of(
            meetings_known_at(
                Meeting.objects.filter(
                    agreement=OuterRef("pk"), starts_at__gt=as_of.moment, is_cancelled=False
                ),
                as_of,
            ).order_by("starts_at", "pk"),
            next_meeting_id="pk",
            next_meeting_title="title",
            next_meeting_at="starts_at",
        ),
        **_first_of(
            open_deadlines.filter(due_on__gte=day).order_by("due_on", "pk"),
            nearest_deadline_title="title",
            nearest_deadline_on="due_on",
        ),
        overdue_deadlines=count_of(open_deadlines.filter(due_on__lt=day), "agreement"),
        # The meetings are a subquery of the commitments: the agreement is two levels out.
        # One probe per meeting into the index of open commitments by due day (migration
        # 0009), which holds only what can be overdue and answers without reading the rows.
        overdue_commitments=count_rows(
            commitments_of(Meeting.objects.filter(agreement=OuterRef(OuterRef("pk")))).filter(
                status__in=OPEN_COMMITMENT_STATUSES, due_on__lt=day
            )
        ),
    )


# ---------------------------------------------------------------------------------------------
# Agreement dashboard
# ---------------------------------------------------------------------------------------------
def agreement_chapters(agreement: Agreement, as_of: AsOf) -> QuerySet[Chapter]:
    return chapter_states(
        Chapter.objects.filter(working_group__agreement=agreement).select_related("working_group"),
        as_of,
    ).order_by("working_group__order", "working_group__name", "order", "title")


def open_points(points: QuerySet[ContestedPoint], as_of: AsOf) -> list[ContestedPoint]:
    """Open contested points, overdue first, then by target date, with `age_days`."""
    rows = list(
        points_open_at(points, as_of)
        .select_related("chapter", "chapter__working_group", "owner")
        .annotate(is_overdue=point_overdue(as_of.day), state_at=point_state_at(as_of))
        .order_by("-is_overdue", F("target_date").asc(nulls_last=True), "pk")
    )
    for point in rows:
        # Opened today on a calendar ahead of the reader's: a new point, not one of -1 days.
        point.age_days = max(0, (as_of.day - point.opened_on).days)
    return rows


def meetings_known_at(meetings: QuerySet[Meeting], as_of: AsOf) -> QuerySet[Meeting]:
    """The meetings scheduled by the as-of point: nobody knew then of one announced later."""
    if as_of.is_now:
        return meetings
    return meetings.filter(Q(announced_on__isnull=True) | Q(announced_on__lte=as_of.day))


def meetings_ahead(meetings: QuerySet[Meeting], as_of: AsOf) -> dict:
    """The next meeting, however far, and the meetings of the next 30 days, in one query."""
    ahead = (
        meetings_known_at(meetings, as_of)
        .filter(starts_at__gt=as_of.moment, is_cancelled=False)
        .order_by("starts_at", "pk")
    )
    until = as_of.moment + dt.timedelta(days=UPCOMING_DAYS)
    rows = list(
        ahead.filter(
            Q(starts_at__lte=until) | Q(pk=Subquery(ahead.values("pk")[:1]))
        ).select_related("negotiation_round")
    )
    return {
        "next_meeting": rows[0] if rows else None,
        "upcoming_meetings": [m for m in rows if m.starts_at <= until],
    }


def open_deadlines(deadlines: QuerySet[Deadline], as_of: AsOf) -> dict:
    """Deadlines not done at the as-of day: overdue ones and those of the next 30 days."""
    until = as_of.day + dt.timedelta(days=UPCOMING_DAYS)
    rows = list(
        deadlines.filter(deadline_open_at(as_of.day), due_on__lte=until)
        .select_related("working_group")
        .order_by("due_on", "pk")
    )
    return {
        "overdue": [d for d in rows if d.due_on < as_of.day],
        "upcoming": [d for d in rows if d.due_on >= as_of.day],
    }


def commitment_counts(commitments: QuerySet[Commitment], as_of: AsOf) -> dict:
    """How many of these commitments (those known at the as-of point) were open, overdue,
    delivered and dropped then: one grouped query."""
    counts = {"open": 0, "overdue": 0, "delivered": 0, "dropped": 0, "total": 0}
    rows = (
        commitments_known_at(commitments, as_of)
        .annotate(status_at=commitment_status_at(as_of))
        .annotate(is_overdue=commitment_overdue(as_of.day, "status_at"))
        .order_by()
        .values("status_at", "is_overdue")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        n = row["n"]
        counts["total"] += n
        if row["status_at"] in OPEN_COMMITMENT_STATUSES:
            counts["open"] += n
            counts["overdue"] += n if row["is_overdue"] else 0
        else:
            counts[row["status_at"]] += n
    return counts


def overdue_commitments(commitments: QuerySet[Commitment], as_of: AsOf) -> QuerySet[Commitment]:
    """Commitments still open at the as-of point whose due day had passed by then."""
    return (
        commitments_known_at(commitments, as_of)
        .annotate(status_at=commitment_status_at(as_of))
        .filter(status_at__in=OPEN_COMMITMENT_STATUSES, due_on__lt=as_of.day)
        .select_related("party", "owner", "meeting")
        .order_by("due_on", "pk")
    )


def latest_changes(chapter_ids, as_of: AsOf, limit=LATEST_CHANGES):
    """The last status changes of these chapters made by the as-of point, latest first.

    Read through the chapters' own keys, already loaded by the page, from the (chapter,
    effective_at) index: a few hundred rows at most, sorted. Ordered by the date as such,
    PostgreSQL would rather walk the index of every agreement's history by date, filtering
    rows out until it met enough of this agreement's, a walk that grows with the portfolio
    (240,000 rows skipped for an agreement whose last move is old, at ten times the large
    data set); the sort key below is the same instant, but no index serves it.
    """
    changes = ChapterStatusChange.objects.filter(chapter_id__in=list(chapter_ids))
    instant = ExpressionWrapper(
        F("effective_at") + Value(dt.timedelta(0)), output_field=DateTimeField()
    )
    return (
        changes.filter(effective_at__lte=as_of.moment)
        .select_related("chapter", "chapter__working_group", "meeting", "negotiation_round")
        .order_by(instant.desc(), "-pk")[:limit]
    )


def agreement_dashboard(agreement: Agreement, as_of: AsOf, rounds) -> dict:
    """Everything the dashboard and the brief say of one agreement at the as-of point."""
    chapters = list(agreement_chapters(agreement, as_of))
    meetings = Meeting.objects.filter(agreement=agreement)
    counts = status_counts(
        Chapter.objects.filter(working_group__agreement=agreement), as_of, rounds
    )
    history = status_history(agreement)
    status = status_on(agreement, history, as_of)
    ahead = meetings_ahead(meetings, as_of)
    return {
        "chapters": chapters,
        "counts": counts,
        "agreement_status": status,
        "milestones": milestones(agreement, history, rounds, as_of),
        "headline": headline(agreement, status, counts, history, ahead["next_meeting"], as_of),
        "commitment_counts": commitment_counts(commitments_of(meetings), as_of),
        "open_points": open_points(
            ContestedPoint.objects.filter(chapter__working_group__agreement=agreement), as_of
        ),
        **ahead,
        "deadlines": open_deadlines(Deadline.objects.filter(agreement=agreement), as_of),
        "overdue_commitments": list(overdue_commitments(commitments_of(meetings), as_of)),
        # Left lazy: the page that shows them runs the query, the brief does not.
        "latest_changes": latest_changes([chapter.pk for chapter in chapters], as_of),
    }
