import datetime as dt

import django_tables2 as tables
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.utils import signature

from dashboards.links import SLUG, url_pattern
from dashboards.templatetags.dashboards import (
    progress_bar,
    status_badge,
    status_label,
    with_as_of,
)
from negotiations import moments
from negotiations.choices import AgreementStatus, CommitmentStatus
from negotiations.models import Agreement, Commitment
from negotiations.templatetags.moments import moment
from workinggroups.choices import ChapterStatus, ContestedPointState
from workinggroups.models import Chapter, ContestedPoint


class IsoDateColumn(tables.Column):
    """A date, or a moment's date in the reader's zone: on screen as every page writes a day
    ("Fri 20 Sep 2013"), in exports as YYYY-MM-DD, which spreadsheets read as a date.
    (django-tables2's date columns render a template per cell, which long tables pay for.)"""

    @staticmethod
    def _day(value):
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).date()
        return value

    def render(self, value):
        day = self._day(value)
        return format_html(
            '<time datetime="{}">{}</time>', day.isoformat(), moments.format_day(day)
        )

    def value(self, value):
        return self._day(value).isoformat()


def _link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)


class YesNoColumn(tables.Column):
    """Yes or no in words, on screen as in exports: a tick reads as "fine" to many, and
    "Overdue ✔" said the opposite of what it meant."""

    def render(self, value):
        if value:
            return format_html('<strong class="overdue">{}</strong>', _("yes"))
        return _("no")

    def value(self, value):
        return _("yes") if value else _("no")


def in_lifecycle_order(queryset, field: str, choices, is_descending: bool):
    """Order by a status field in the order its choices are declared (the lifecycle), not
    alphabetically."""
    rank = Case(
        *(When(**{field: choice.value}, then=Value(index)) for index, choice in enumerate(choices)),
        default=Value(len(choices)),
        output_field=IntegerField(),
    )
    return queryset.order_by(rank.desc() if is_descending else rank.asc(), "pk"), True


# ---------------------------------------------------------------------------------------------
# Cells without introspection
# ---------------------------------------------------------------------------------------------
# django-tables2 reads the signature of a cell's render (or value) callable for every cell it
# renders, to pass it only the arguments it names: inspect.signature thousands of times a page.
# The hot tables read each callable's signature once, and reuse it for every row.
_SIGNATURES: dict = {}


def _call(fn, kwargs):
    key = getattr(fn, "__func__", fn)
    wanted = _SIGNATURES.get(key)
    if wanted is None:
        wanted = _SIGNATURES[key] = signature(fn)
    args, catch_all = wanted
    if catch_all:
        return fn(**kwargs)
    if any(arg not in kwargs for arg in args):
        return None
    return fn(**{arg: kwargs[arg] for arg in args})


class _Row(BoundRow):
    def _call_render(self, bound_column, value=None):
        kwargs = self._optional_cell_arguments(bound_column, value)
        content = _call(bound_column.render, kwargs)
        return bound_column.link(content, **kwargs) if bound_column.link else content

    def _call_value(self, bound_column, value=None):
        return _call(bound_column.value, self._optional_cell_arguments(bound_column, value))


class _Rows(BoundRows):
    def __iter__(self):
        for pinned in self.generator_pinned_row(self.pinned_data.get("top")):
            yield pinned
        for record in self.data:
            yield _Row(record, table=self.table)
        for pinned in self.generator_pinned_row(self.pinned_data.get("bottom")):
            yield pinned

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _Rows(data=self.data[key], table=self.table, pinned_data=self.pinned_data)
        return _Row(record=self.data[key], table=self.table)


class FastTable(tables.Table):
    """A table whose cells are rendered without reading signatures per cell."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = _Rows(data=self.data, table=self, pinned_data=self.pinned_data)


class AsOfTable(FastTable):
    """A table that knows the as-of point it is shown at (for ages, overdue flags, links)."""

    def __init__(self, *args, as_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.as_of = as_of


class PortfolioTable(AsOfTable):
    # Every cell renders in Python: a template per cell, four columns by 25 rows, cost more
    # than the page's one query.
    name = tables.Column(verbose_name=_("Agreement"))
    status_at = tables.Column(verbose_name=_("Status"))
    progress = tables.Column(verbose_name=_("Chapters by status"), orderable=False, empty_values=())
    # Agreed as negotiators say it: agreed or concluded (the bar beside it breaks it down).
    agreed_count = tables.Column(verbose_name=_("Agreed"))
    contested_count = tables.Column(verbose_name=_("Contested"))
    next_meeting_at = tables.Column(verbose_name=_("Next meeting"), empty_values=())
    nearest_deadline_on = tables.Column(verbose_name=_("Nearest deadline"), empty_values=())
    overdue_deadlines = tables.Column(verbose_name=_("Overdue deadlines"))
    overdue_commitments = tables.Column(verbose_name=_("Overdue commitments"))

    class Meta:
        model = Agreement
        fields = []
        sequence = [
            "name",
            "status_at",
            "progress",
            "agreed_count",
            "contested_count",
            "next_meeting_at",
            "nearest_deadline_on",
            "overdue_deadlines",
            "overdue_commitments",
        ]
        empty_text = _("No agreement is assigned to you yet.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each row's links from one reversed pattern, not a reverse() per cell.
        self.agreement_url = url_pattern("dashboards:agreement", "slug", SLUG)
        self.meeting_url = url_pattern("meetings:detail", "pk")

    def render_name(self, record):
        url = with_as_of(self.agreement_url(record.slug), self.as_of)
        link = _link(url, record.name)
        if not record.is_demo:
            return link
        return format_html('{} <span class="badge badge-demo">{}</span>', link, _("demo"))

    def render_progress(self, record):
        bar = progress_bar(record)
        if not bar:
            none = _("No chapters")
            return format_html(
                '<div class="progress" role="img" aria-label="{}">\n  <svg class="progress-bar"'
                ' viewBox="0 0 200 14" preserveAspectRatio="none" aria-hidden="true"></svg>\n'
                '  <small class="progress-legend">{}</small>\n</div>',
                none,
                none,
            )
        label = ", ".join(f"{s.status.label}: {localize(s.count)}" for s in bar)
        rects = format_html_join(
            "",
            '<rect x="{}" y="0" width="{}" height="14" fill="{}"/>',
            (
                (localize(s.x, use_l10n=False), localize(s.width, use_l10n=False), s.colour)
                for s in bar
            ),
        )
        legend = format_html_join(
            "",
            '<span class="legend-item"><span class="swatch swatch-{}" aria-hidden="true">'
            "</span>{} {}</span>",
            ((s.status.value, localize(s.count), str(s.status.label).lower()) for s in bar),
        )
        return format_html(
            '<div class="progress" role="img" aria-label="{}">\n  <svg class="progress-bar"'
            ' viewBox="0 0 200 14" preserveAspectRatio="none" aria-hidden="true">{}</svg>\n'
            '  <small class="progress-legend">{}</small>\n</div>',
            label,
            rects,
            legend,
        )

    def render_next_meeting_at(self, record):
        if not record.next_meeting_id:
            return "—"
        when = record.next_meeting_at
        return format_html(
            '{}<br><small><time datetime="{}">{}</time></small>',
            _link(self.meeting_url(record.next_meeting_id), record.next_meeting_title),
            timezone.localtime(when).isoformat() if when else "",
            moment(when),
        )

    def render_nearest_deadline_on(self, record):
        day = record.nearest_deadline_on
        if not day:
            return "—"
        return format_html(
            '{}<br><small><time datetime="{}">{}</time></small>',
            record.nearest_deadline_title,
            day.isoformat(),
            moments.format_day(day),
        )

    def value_name(self, record):
        return record.name

    def render_status_at(self, value):
        return AgreementStatus(value).label

    def value_status_at(self, value):
        return AgreementStatus(value).label

    def order_status_at(self, queryset, is_descending):
        return in_lifecycle_order(queryset, "status_at", AgreementStatus, is_descending)

    def value_progress(self, record):
        return "; ".join(
            f"{status.label}: {getattr(record, f'count_{status.value}')}"
            for status in ChapterStatus
        )

    def value_next_meeting_at(self, record):
        if not record.next_meeting_at:
            return ""
        # The reader's clock, named: the same words as the cell on screen.
        when = moments.format_moment(record.next_meeting_at, timezone.get_current_timezone())
        return f"{when} — {record.next_meeting_title}"

    def value_nearest_deadline_on(self, record):
        if not record.nearest_deadline_on:
            return ""
        return f"{record.nearest_deadline_on:%Y-%m-%d} — {record.nearest_deadline_title}"


class ChapterTable(AsOfTable):
    working_group = tables.Column(
        verbose_name=_("Working group"), order_by=("working_group__order", "working_group__name")
    )
    # Cells of the long tables render in Python: a template per cell costs more than the query.
    title = tables.Column(verbose_name=_("Chapter"))
    status_at = tables.Column(verbose_name=_("Status"))
    contested_at = YesNoColumn(verbose_name=_("Contested"))
    open_points = tables.Column(verbose_name=_("Open contested points"))
    last_change_at = IsoDateColumn(verbose_name=_("Last change"))

    class Meta:
        model = Chapter
        fields = []
        sequence = [
            "working_group",
            "title",
            "status_at",
            "contested_at",
            "open_points",
            "last_change_at",
        ]
        empty_text = _("No chapter matches.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chapter_url = url_pattern("workinggroups:chapter-detail", "pk")

    def render_title(self, record):
        return _link(self.chapter_url(record.pk), record.title)

    def render_status_at(self, record):
        badge = status_badge(record.status_at)
        if not record.contested_at:
            return badge
        return format_html(
            '{} <span class="badge badge-contested">⚑ {}</span>', badge, _("contested")
        )

    def value_title(self, record):
        return record.title

    def value_status_at(self, value):
        return status_label(value)

    def order_status_at(self, queryset, is_descending):
        return in_lifecycle_order(queryset, "status_at", ChapterStatus, is_descending)


class ContestedPointTable(AsOfTable):
    title = tables.Column(verbose_name=_("Contested point"))
    chapter = tables.Column(verbose_name=_("Chapter"), order_by=("chapter__title",))
    working_group = tables.Column(
        accessor="chapter__working_group",
        verbose_name=_("Working group"),
        order_by=("chapter__working_group__order", "chapter__working_group__name"),
    )
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__last_name",))
    opened_on = IsoDateColumn(verbose_name=_("Opened"))
    age_days = tables.Column(
        accessor="opened_on", verbose_name=_("Age (days)"), order_by=("-opened_on",)
    )
    target_date = IsoDateColumn(verbose_name=_("Target date"))
    state = tables.Column(accessor="state_at", verbose_name=_("State"))
    is_overdue = YesNoColumn(verbose_name=_("Overdue"))

    class Meta:
        model = ContestedPoint
        fields = []
        sequence = [
            "title",
            "working_group",
            "chapter",
            "owner",
            "opened_on",
            "age_days",
            "target_date",
            "state",
            "is_overdue",
        ]
        empty_text = _("No contested point matches.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.point_url = url_pattern("workinggroups:contestedpoint-detail", "pk")

    def render_title(self, record):
        return _link(self.point_url(record.pk), record.title)

    def value_title(self, record):
        return record.title

    def render_state(self, value):
        return ContestedPointState(value).label

    def value_state(self, value):
        return self.render_state(value)

    def order_state(self, queryset, is_descending):
        return in_lifecycle_order(queryset, "state_at", ContestedPointState, is_descending)

    def render_age_days(self, record):
        end = (
            record.resolved_on
            if record.resolved_on and record.resolved_on < self.as_of.day
            else self.as_of.day
        )
        # A point opened "today" in a zone ahead of the reader's is 0 days old, not −1.
        return max(0, (end - record.opened_on).days)

    def value_age_days(self, record):
        return self.render_age_days(record)


class CommitmentTable(AsOfTable):
    text = tables.Column(verbose_name=_("Commitment"))
    party = tables.Column(
        verbose_name=_("Party"), default=_("All parties"), order_by=("party__name",)
    )
    meeting = tables.Column(verbose_name=_("Made at"), order_by=("meeting__starts_at",))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__last_name",))
    due_on = IsoDateColumn(verbose_name=_("Due"))
    # As of a past moment, the status it had then (from its history).
    status_at = tables.Column(verbose_name=_("Status"))
    is_overdue = YesNoColumn(verbose_name=_("Overdue"))

    class Meta:
        model = Commitment
        fields = []
        sequence = ["text", "party", "meeting", "owner", "due_on", "status_at", "is_overdue"]
        empty_text = _("No commitment matches.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment_url = url_pattern("negotiations:commitment-detail", "pk")
        self.meeting_url = url_pattern("meetings:detail", "pk")

    def render_text(self, record):
        return _link(self.commitment_url(record.pk), record.text)

    def value_text(self, record):
        return record.text

    def render_meeting(self, record):
        return _link(self.meeting_url(record.meeting_id), record.meeting.title)

    def value_meeting(self, record):
        return record.meeting.title

    def render_status_at(self, value):
        return CommitmentStatus(value).label

    def value_status_at(self, value):
        return CommitmentStatus(value).label

    def order_status_at(self, queryset, is_descending):
        return in_lifecycle_order(queryset, "status_at", CommitmentStatus, is_descending)
