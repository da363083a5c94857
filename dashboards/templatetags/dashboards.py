from django import template
from django.template.base import render_value_in_context
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from dashboards import charts
from workinggroups.choices import ChapterStatus

register = template.Library()


@register.filter
def status_label(value):
    """The translated label of a chapter status value ("agreed" → "Agreed")."""
    try:
        return ChapterStatus(value).label
    except ValueError:
        return value


@register.simple_tag
def status_badge(value):
    """A chapter status as a badge: coloured, and always with its label."""
    return format_html('<span class="badge badge-status-{}">{}</span>', value, status_label(value))


@register.simple_tag
def with_as_of(url, as_of):
    """`url` keeping the page's as-of point, so links stay in the same moment."""
    if as_of is None or as_of.is_now:
        return url
    return f"{url}{'&' if '?' in url else '?'}{as_of.query}"


@register.simple_tag
def progress_bar(record):
    """Segments of a portfolio row's bar, from its `count_<status>` annotations."""
    counts = {status: getattr(record, f"count_{status.value}", 0) for status in ChapterStatus}
    return charts.segments(counts, width=200)


@register.filter
def nonzero(counts):
    """(status, count) pairs of a {status: count} mapping, leaving out the statuses at zero,
    so a list of them can be joined without stray separators."""
    return [(status, count) for status, count in counts.items() if count]


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    """The rows of a django-tables2 table as its own template writes them (each row's and
    cell's attributes, the cell as the template would show it), written in Python: on a
    table of 25 rows the template's tags around each cell cost more than the cells."""
    rows = []
    for row in table.paginated_rows:
        cells = "".join(
            [
                format_html(
                    "<td {}>{}</td>", column.attrs["td"].as_html(), _shown(context, column, cell)
                )
                for column, cell in row.items()
            ]
        )
        rows.append(format_html("<tr {}>{}</tr>", row.attrs.as_html(), mark_safe(cells)))
    if not rows and table.empty_text:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text
        )
    return mark_safe("\n".join(rows))


def _shown(context, column, cell):
    """`{{ cell }}`, `{{ cell|localize }}` or `{{ cell|unlocalize }}`, as the column says."""
    if column.localize is None:
        return render_value_in_context(cell, context)
    return conditional_escape(formats.localize(cell, use_l10n=bool(column.localize)))
