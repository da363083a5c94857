from django import template
from django.utils.html import format_html

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
