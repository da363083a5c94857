"""What the secretariat's pages read: counted by the database, a fixed number of queries
whatever the agreement's size."""

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from negotiations.models import (
    Agreement,
    Deadline,
    Delegation,
    Meeting,
    NegotiationRound,
    RoleAssignment,
)
from workinggroups.models import Chapter, ChapterStatusChange, ContestedPoint, WorkingGroup

# How many upcoming meetings and open deadlines the workspace lists.
WORKSPACE_LIST_LENGTH = 10


def _count(queryset, link: str):
    """The number of rows of `queryset` whose `link` is the outer agreement, as a subquery."""
    counted = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def workspace_figures(agreement: Agreement) -> dict:
    """The counts the workspace's panels show, in one query."""
    return (
        Agreement.objects.filter(pk=agreement.pk)
        .annotate(
            party_count=_count(Delegation.objects.all(), "agreement"),
            group_count=_count(WorkingGroup.objects.all(), "agreement"),
            chapter_count=_count(Chapter.objects.all(), "working_group__agreement"),
            people_count=_count(RoleAssignment.objects.all(), "agreement"),
            # As accounts.services.invitation_pending: never signed in, no password yet (an
            # unusable password is stored with Django's "!" prefix).
            not_signed_in_count=_count(
                RoleAssignment.objects.filter(
                    user__last_login__isnull=True, user__password__startswith="!"
                ),
                "agreement",
            ),
            round_count=_count(NegotiationRound.objects.all(), "agreement"),
        )
        .values(
            "party_count",
            "group_count",
            "chapter_count",
            "people_count",
            "not_signed_in_count",
            "round_count",
        )
        .get()
    )


def upcoming_meetings(agreement: Agreement) -> list[Meeting]:
    """The next meetings not cancelled (one under way counts as upcoming)."""
    return list(
        Meeting.objects.filter(agreement=agreement, is_cancelled=False, ends_at__gte=timezone.now())
        .select_related("negotiation_round")
        .order_by("starts_at")[:WORKSPACE_LIST_LENGTH]
    )


def open_deadlines(agreement: Agreement) -> list[Deadline]:
    """The deadlines not yet met, the most pressing (overdue ones included) first."""
    return list(
        Deadline.objects.filter(agreement=agreement, done=False)
        .select_related("working_group")
        .order_by("due_on", "title")[:WORKSPACE_LIST_LENGTH]
    )


def delegations_of(agreement: Agreement) -> list[Delegation]:
    """The parties at the agreement's table, with their delegation, by name."""
    return list(agreement.delegations.select_related("party").order_by("party__name"))


def structure_of(agreement: Agreement) -> list[WorkingGroup]:
    """The agreement's working groups in order, each with its chapters in order
    (`group.chapter_list`), each chapter annotated `has_history`: whether it may no longer be
    removed (it moved status, or holds contested points)."""
    chapters = Chapter.objects.annotate(
        has_history=ExpressionWrapper(
            Exists(ChapterStatusChange.objects.filter(chapter=OuterRef("pk")))
            | Exists(ContestedPoint.objects.filter(chapter=OuterRef("pk"))),
            output_field=BooleanField(),
        )
    ).order_by("order", "title")
    return list(
        WorkingGroup.objects.filter(agreement=agreement)
        .order_by("order", "name")
        .prefetch_related(Prefetch("chapters", queryset=chapters, to_attr="chapter_list"))
    )
