"""The officials' pages: portfolio, agreement dashboard, rounds, working groups and
the filterable tables behind them. Every page can be shown as of a past round or day."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from dashboards import asof, cache, charts, links, pdf, selectors
from dashboards.exports import FORMATS, export_filename, export_response
from dashboards.filtersets import (
    ChapterFilterSet,
    CommitmentFilterSet,
    ContestedPointFilterSet,
)
from dashboards.tables import ChapterTable, CommitmentTable, ContestedPointTable, PortfolioTable
from negotiations.choices import OPEN_COMMITMENT_STATUSES, CommitmentStatus
from negotiations.filtersets import AgreementFilterSet
from negotiations.models import Agreement, Commitment, Deadline, Meeting
from negotiations.permissions import (
    can_change_some_chapter,
    can_create_commitment,
    can_steer_agreement,
    can_view_agreement,
    visible_agreements,
)
from workinggroups.choices import ChapterStatus
from workinggroups.models import (
    Chapter,
    ChapterStatusChange,
    ContestedPoint,
    Membership,
    Position,
    WorkingGroup,
)


def _check_can_view(user, agreement_id):
    if not can_view_agreement(user, agreement_id):
        raise PermissionDenied


class AgreementScopeMixin:
    """Loads the agreement named in the URL, refuses people without a role in it, and reads
    the as-of point (`?as_of=round-2` or `?as_of=2020-05-01`) against its rounds."""

    def get_agreement(self):
        return get_object_or_404(Agreement, slug=self.kwargs["slug"])

    def dispatch(self, request, *args, **kwargs):
        self.agreement = self.get_agreement()
        _check_can_view(request.user, self.agreement.pk)
        self.as_of = asof.parse(request.GET.get("as_of"), lambda: self.rounds)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def rounds(self):
        """The agreement's rounds, read when first needed: a page served from the page cache
        (or as of a day) does without them."""
        return links.give_urls(
            selectors.rounds_of(self.agreement),
            "dashboards:round",
            varying="number",
            attribute="number",
            slug=self.agreement.slug,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            agreement=self.agreement,
            rounds=self.rounds,
            as_of=self.as_of,
            can_steer=can_steer_agreement(self.request.user, self.agreement.pk),
            **kwargs,
        )


class CachedPageMixin:
    """Serves the page's content from the page cache (dashboards/cache.py) on a GET; the rest
    of the page is rendered per request. Set on the dashboard, the brief, the working group
    page and the portfolio."""

    page_cache = True

    def page_generations(self):
        """[(agreement id, change generation)] of every agreement the page shows."""
        return [(self.agreement.pk, self.agreement.change_generation)]

    def page_cache_applies(self):
        return self.page_cache and cache.enabled()

    def page_context(self, **kwargs):
        """The whole page's context, as the view's own get() would build it."""
        return self.get_context_data(**kwargs)

    def shell_context(self, **kwargs):
        """What the page needs outside its content block: title, navigation."""
        return ContextMixin.get_context_data(self, **kwargs)

    def get(self, request, *args, **kwargs):
        if not self.page_cache_applies():
            return super().get(request, *args, **kwargs)
        return cache.cached_page(
            self,
            key=cache.page_key(
                request,
                kind=type(self).__name__,
                generations=self.page_generations(),
                as_of=self.as_of,
            ),
            seconds=cache.timeout(self.as_of),
            template=self.get_template_names()[0],
            context=lambda: self.page_context(**kwargs),
            shell_context=lambda: self.shell_context(**kwargs),
        )


class AgreementPageMixin(CachedPageMixin, AgreementScopeMixin):
    def shell_context(self, **kwargs):
        return super().shell_context(
            agreement=self.agreement,
            as_of=self.as_of,
            working_group=getattr(self, "working_group", None),
            **kwargs,
        )


class FilteredTableMixin(SingleTableMixin):
    """One view, two renderings (the page, or the table fragment for htmx), a column chooser
    (`?columns=…`) and CSV/XLSX export (`?export=csv`) of exactly what the filter shows."""

    # The table paginates; the list view must not as well, or it counts the rows a second time.
    table_pagination = {"per_page": 25}
    export_name = "table"
    template_name = "dashboards/table_page.html"
    page_title = ""

    def chosen_columns(self):
        return [c for c in self.request.GET.getlist("columns") if c]

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        chosen = self.chosen_columns()
        if chosen:
            kwargs["exclude"] = [c for c in self.table_class.base_columns if c not in chosen]
        return kwargs

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = self.chosen_columns()
        context.update(
            page_title=self.page_title,
            column_choices=[
                (name, column.verbose_name or name, not chosen or name in chosen)
                for name, column in self.table_class.base_columns.items()
            ],
            export_formats=list(FORMATS),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        export_format = self.request.GET.get("export")
        if export_format in FORMATS:
            return export_response(
                context["table"],
                export_format,
                self.export_filename(),
                title=self.page_title or self.export_name,
            )
        return super().render_to_response(context, **response_kwargs)

    def export_filename(self):
        """`cambodia-china-fta-chapters-as-of-round-2-status-agreed`, `portfolio-2026-11-30`."""
        agreement = getattr(self, "agreement", None)
        return export_filename(
            agreement.slug if agreement else "",
            self.export_name,
            as_of=getattr(self, "as_of", None),
            filterset=getattr(self, "filterset", None),
        )


# ---------------------------------------------------------------------------------------------
# Portfolio (the home page)
# ---------------------------------------------------------------------------------------------
class PortfolioView(CachedPageMixin, FilteredTableMixin, FilterView):
    """Every agreement the person may see, with its chapters by status and what comes next."""

    table_class = PortfolioTable
    filterset_class = AgreementFilterSet
    export_name = "portfolio"
    page_title = _("Portfolio")

    def get(self, request, *args, **kwargs):
        # Rounds are numbered per agreement, so across agreements only a day makes sense.
        self.as_of = asof.parse(request.GET.get("as_of"))
        return super().get(request, *args, **kwargs)

    def page_cache_applies(self):
        # The whole page only: not its table alone (htmx) nor its exports.
        return (
            super().page_cache_applies()
            and not self.request.htmx
            and self.request.GET.get("export") not in FORMATS
        )

    def page_generations(self):
        # One query: every agreement the person may see, and how often it changed.
        return list(
            visible_agreements(self.request.user)
            .order_by("pk")
            .values_list("pk", "change_generation")
        )

    def page_context(self, **kwargs):
        # As FilterView.get builds it.
        self.filterset = self.get_filterset(self.get_filterset_class())
        if not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict():
            self.object_list = self.filterset.qs
        else:
            self.object_list = self.filterset.queryset.none()
        return self.get_context_data(filter=self.filterset, object_list=self.object_list, **kwargs)

    def shell_context(self, **kwargs):
        return super().shell_context(as_of=self.as_of, page_title=self.page_title, **kwargs)

    def get_queryset(self):
        return selectors.portfolio(visible_agreements(self.request.user), self.as_of).order_by(
            "name"
        )

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "as_of": self.as_of}

    def get_context_data(self, **kwargs):
        return super().get_context_data(as_of=self.as_of, **kwargs)


# ---------------------------------------------------------------------------------------------
# Agreement dashboard
# ---------------------------------------------------------------------------------------------
OPEN_COMMITMENTS_SHOWN = 8


def open_commitments(agreement, as_of):
    """The agreement's commitments open at the as-of point, overdue first then by due day, as
    many as the dashboard's panel shows; each row carries `status_at`, `is_overdue` and
    `open_total` (how many are open in all). One query, left lazy: the page that shows them
    runs it, the brief does not."""
    commitments = selectors.commitments_known_at(
        selectors.commitments_of(Meeting.objects.filter(agreement=agreement)), as_of
    )
    return (
        commitments.annotate(status_at=selectors.commitment_status_at(as_of))
        .filter(status_at__in=OPEN_COMMITMENT_STATUSES)
        .select_related("party", "owner")
        .annotate(
            is_overdue=selectors.commitment_overdue(as_of.day, "status_at"),
            open_total=Window(Count("pk")),
        )
        .order_by("-is_overdue", F("due_on").asc(nulls_last=True), "pk")[:OPEN_COMMITMENTS_SHOWN]
    )


def give_urls_to_rows(data):
    """Links for every row the dashboard (or the working group page) lists, from one reversed
    pattern per kind of row."""
    chapters = data["chapters"]
    links.give_urls(chapters, "workinggroups:chapter-detail")
    links.give_urls([c.working_group for c in chapters], "dashboards:working-group")
    links.give_urls(data["open_points"], "workinggroups:contestedpoint-detail")
    links.give_urls(data.get("overdue_commitments", ()), "negotiations:commitment-detail")
    meetings = [*data["upcoming_meetings"], data["next_meeting"]]
    links.give_urls(meetings, "meetings:detail")


class AgreementDashboardView(AgreementPageMixin, TemplateView):
    """Where one negotiation stands: agreed, contested, late and next, as of any point."""

    template_name = "dashboards/agreement.html"

    def get_context_data(self, **kwargs):
        data = selectors.agreement_dashboard(self.agreement, self.as_of, self.rounds)
        give_urls_to_rows(data)
        counts = data["counts"]
        progress = [
            (_("Round %(number)s") % {"number": r.number}, row) for r, row in counts["rounds"]
        ]
        user, agreement_id = self.request.user, self.agreement.pk
        return super().get_context_data(
            **data,
            status_bar=charts.stacked_rows([(_("Chapters"), counts["current"])]),
            progress_chart=charts.stacked_rows(progress),
            timeline=charts.timeline(data["milestones"]),
            statuses=selectors.STATUSES,
            open_commitments=open_commitments(self.agreement, self.as_of),
            can_create_commitment=can_create_commitment(user, agreement_id),
            # "Read only" only for those who may change nothing here.
            read_only=not can_change_some_chapter(user, agreement_id),
            **kwargs,
        )


class BriefView(AgreementDashboardView):
    """A one-page brief of the agreement for a head of delegation, styled for print."""

    template_name = "dashboards/brief.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            delegations=list(self.agreement.delegations.select_related("party")),
            pdf_available=pdf.available(),
            **kwargs,
        )
        # Each party's position on every open point: one query for all of them.
        prefetch_related_objects(
            context["open_points"],
            Prefetch("positions", queryset=Position.objects.select_related("party")),
        )
        next_meetings = list(context["upcoming_meetings"])
        if context["next_meeting"] is not None and context["next_meeting"] not in next_meetings:
            next_meetings.insert(0, context["next_meeting"])
        context.update(
            chapter_groups=self.chapters_by_status(context["chapters"]),
            commitments=self.commitments(),
            next_meetings=next_meetings,
        )
        return context

    @staticmethod
    def chapters_by_status(chapters):
        """[(status, [chapter...])]: each status once, in the order of the chapters' life,
        only those some chapter is at; the chapters keep their order within a status."""
        by_status = {}
        for chapter in chapters:
            by_status.setdefault(ChapterStatus(chapter.status_at), []).append(chapter)
        return [(status, by_status[status]) for status in ChapterStatus if status in by_status]

    def commitments(self):
        """The agreement's commitments known at the as-of point and not dropped then: overdue
        first, then the open ones, then the delivered ones, each by due day. One query."""
        as_of = self.as_of
        known = selectors.commitments_known_at(
            selectors.commitments_of(Meeting.objects.filter(agreement=self.agreement)), as_of
        )
        rows = list(
            known.annotate(status_at=selectors.commitment_status_at(as_of))
            .exclude(status_at=CommitmentStatus.DROPPED)
            .annotate(
                is_overdue=selectors.commitment_overdue(as_of.day, "status_at"),
                rank=Case(
                    When(is_overdue=True, then=Value(0)),
                    When(status_at__in=OPEN_COMMITMENT_STATUSES, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                ),
            )
            .select_related("party", "owner")
            .order_by("rank", F("due_on").asc(nulls_last=True), "pk")
        )
        for commitment in rows:
            commitment.status_label = CommitmentStatus(commitment.status_at).label
        return rows


class BriefPdfView(BriefView):
    """The same brief as a PDF file drawn on the server, to print or send as it is."""

    page_cache = False

    def render_to_response(self, context, **response_kwargs):
        try:
            document = pdf.render(self.request, context)
        except pdf.PdfUnavailable:
            return HttpResponse(
                _("This server cannot draw PDFs. Use your browser's Print command instead."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        filename = f"{self.agreement.slug}-brief-{self.as_of.day:%Y-%m-%d}.pdf"
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


# ---------------------------------------------------------------------------------------------
# Round, meeting and working group pages
# ---------------------------------------------------------------------------------------------
class RoundView(AgreementScopeMixin, TemplateView):
    """What moved during a round: each chapter's status before and after it."""

    template_name = "dashboards/round.html"

    def get_context_data(self, **kwargs):
        number = self.kwargs["number"]
        negotiation_round = next((r for r in self.rounds if r.number == number), None)
        if negotiation_round is None:
            raise Http404
        before = dt.datetime.combine(negotiation_round.starts_on, dt.time.min, tzinfo=dt.UTC)
        after = asof.end_of_round(negotiation_round)
        chapters = (
            Chapter.objects.filter(working_group__agreement=self.agreement)
            .select_related("working_group")
            .annotate(
                status_before=selectors.status_at(before),
                status_after=selectors.status_at(after),
            )
            .order_by("working_group__order", "working_group__name", "order", "title")
        )
        chapters = list(chapters)
        for chapter in chapters:
            chapter.moved = chapter.status_before != chapter.status_after
        index = self.rounds.index(negotiation_round)
        round_meetings = Meeting.objects.filter(negotiation_round=negotiation_round)
        return super().get_context_data(
            negotiation_round=negotiation_round,
            previous_round=self.rounds[index - 1] if index else None,
            next_round=self.rounds[index + 1] if index + 1 < len(self.rounds) else None,
            chapters=chapters,
            moved_count=sum(chapter.moved for chapter in chapters),
            before=before,
            after=after,
            meetings=list(round_meetings.order_by("starts_at")),
            points_raised=list(
                ContestedPoint.objects.filter(
                    chapter__working_group__agreement=self.agreement,
                    opened_on__gte=negotiation_round.starts_on,
                    opened_on__lte=after.date(),
                ).select_related("chapter", "chapter__working_group", "owner")
            ),
            deadlines_set=list(
                Deadline.objects.filter(set_at__negotiation_round=negotiation_round)
                .select_related("working_group")
                .order_by("due_on", "pk")
            ),
            round_query=f"as_of=round-{number}",
            **kwargs,
        )


class WorkingGroupView(AgreementPageMixin, TemplateView):
    """One working group: its chapters, open points, members, meetings and deadlines."""

    template_name = "dashboards/working_group.html"

    def get_agreement(self):
        self.working_group = get_object_or_404(
            WorkingGroup.objects.select_related("agreement"), pk=self.kwargs["pk"]
        )
        return self.working_group.agreement

    def get_context_data(self, **kwargs):
        group, as_of = self.working_group, self.as_of
        chapters = Chapter.objects.filter(working_group=group)
        meetings = Meeting.objects.filter(working_groups=group)
        chapter_rows = list(selectors.chapter_states(chapters, as_of).order_by("order", "title"))
        context = super().get_context_data(
            working_group=group,
            chapters=chapter_rows,
            counts=selectors.status_counts(chapters, as_of),
            open_points=selectors.open_points(
                ContestedPoint.objects.filter(chapter__working_group=group), as_of
            ),
            members=list(
                Membership.objects.filter(working_group=group)
                .select_related("user", "party")
                .order_by("party__name", "role", "user__last_name")
            ),
            **selectors.meetings_ahead(meetings, as_of),
            deadlines=selectors.open_deadlines(Deadline.objects.filter(working_group=group), as_of),
            latest_changes=list(
                selectors.latest_changes([chapter.pk for chapter in chapter_rows], as_of)
            ),
            **kwargs,
        )
        links.give_urls(chapter_rows, "workinggroups:chapter-detail")
        links.give_urls(context["open_points"], "workinggroups:contestedpoint-detail")
        meetings = [*context["upcoming_meetings"], context["next_meeting"]]
        links.give_urls(meetings, "meetings:detail")
        return context


# ---------------------------------------------------------------------------------------------
# Tables of one agreement
# ---------------------------------------------------------------------------------------------
class AgreementTableView(AgreementScopeMixin, FilteredTableMixin, FilterView):
    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "agreement": self.agreement}

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "as_of": self.as_of}


class ChapterListView(AgreementTableView):
    """Every chapter of the agreement with its status and contested state, as of any point."""

    table_class = ChapterTable
    filterset_class = ChapterFilterSet
    export_name = "chapters"
    page_title = _("Chapters")

    def get_queryset(self):
        as_of = self.as_of
        chapters = Chapter.objects.filter(working_group__agreement=self.agreement)
        points = selectors.points_open_at(
            ContestedPoint.objects.filter(chapter=OuterRef("pk")), as_of
        )
        changes = ChapterStatusChange.objects.filter(
            chapter=OuterRef("pk"), effective_at__lte=as_of.moment
        )
        return (
            selectors.chapter_states(chapters, as_of)
            .select_related("working_group")
            .annotate(
                open_points=selectors.count_of(points, "chapter"),
                last_change_at=Subquery(
                    changes.order_by("-effective_at").values("effective_at")[:1]
                ),
            )
            .order_by("working_group__order", "working_group__name", "order", "title")
        )


class ContestedPointListView(AgreementTableView):
    """Every contested point of the agreement, overdue first, filterable by group and owner."""

    table_class = ContestedPointTable
    filterset_class = ContestedPointFilterSet
    export_name = "contested-points"
    page_title = _("Contested points")

    def get_queryset(self):
        # The same points, in the same state, as the dashboard's open points (plus resolved).
        points = ContestedPoint.objects.filter(chapter__working_group__agreement=self.agreement)
        return (
            selectors.points_at(points, self.as_of)
            .select_related("chapter", "chapter__working_group", "owner")
            .annotate(is_overdue=selectors.point_overdue(self.as_of.day))
            .order_by("-is_overdue", F("target_date").asc(nulls_last=True), "pk")
        )


class CommitmentListView(AgreementTableView):
    """What each side undertook at the agreement's meetings, and whether it was delivered."""

    table_class = CommitmentTable
    filterset_class = CommitmentFilterSet
    export_name = "commitments"
    page_title = _("Commitments")

    def get_queryset(self):
        commitments = selectors.commitments_known_at(
            Commitment.objects.filter(meeting__agreement=self.agreement), self.as_of
        )
        return (
            commitments.select_related("party", "owner", "meeting")
            .annotate(status_at=selectors.commitment_status_at(self.as_of))
            .annotate(is_overdue=selectors.commitment_overdue(self.as_of.day, "status_at"))
            .order_by("-is_overdue", F("due_on").asc(nulls_last=True), "pk")
        )


__all__ = [
    "AgreementDashboardView",
    "BriefPdfView",
    "BriefView",
    "ChapterListView",
    "CommitmentListView",
    "ContestedPointListView",
    "PortfolioView",
    "RoundView",
    "WorkingGroupView",
]
