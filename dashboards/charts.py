"""Charts drawn on the server as SVG geometry; templates print them with labels and numbers.

Colour is never the only signal: every segment carries its label and count, as text in the
chart, in its <title> and in the table that serves as the chart's text alternative.
"""

import dataclasses

from workinggroups.choices import CHAPTER_STATUS_COLOURS, ChapterStatus

BAR_WIDTH = 600  # SVG user units; the bar scales to its container
BAR_HEIGHT = 28
ROW_GAP = 10
LABEL_WIDTH = 110
MIN_LABEL_WIDTH = 22  # narrower segments show their count in the legend only


@dataclasses.dataclass(frozen=True)
class Segment:
    status: ChapterStatus
    count: int
    x: float
    width: float

    @property
    def label(self):
        return self.status.label

    @property
    def colour(self):
        return CHAPTER_STATUS_COLOURS[self.status]

    @property
    def text_x(self):
        return round(self.x + self.width / 2, 2)

    @property
    def shows_count(self):
        return self.width >= MIN_LABEL_WIDTH

    @property
    def text_colour(self):
        dark = (ChapterStatus.AGREED, ChapterStatus.CONCLUDED)
        return "#ffffff" if self.status in dark else "#1d2430"


def segments(counts: dict, width: float = BAR_WIDTH, x0: float = 0) -> list[Segment]:
    """One segment per status with chapters, in the order a negotiation moves them."""
    total = sum(counts.values())
    result, x = [], float(x0)
    if not total:
        return result
    for status in ChapterStatus:
        count = counts.get(status, 0)
        if count:
            w = width * count / total
            result.append(Segment(status=status, count=count, x=round(x, 2), width=round(w, 2)))
            x += w
    return result


@dataclasses.dataclass(frozen=True)
class StackedRow:
    label: str
    counts: dict
    y: float
    segments: list

    @property
    def text_y(self):
        return round(self.y + BAR_HEIGHT / 2, 2)

    @property
    def total(self):
        return sum(self.counts.values())


def stacked_rows(rows: list[tuple[str, dict]]) -> dict:
    """Horizontal stacked bars, one per (label, counts) row, sharing one scale per row."""
    drawn = []
    for index, (label, counts) in enumerate(rows):
        y = index * (BAR_HEIGHT + ROW_GAP)
        drawn.append(
            StackedRow(
                label=label,
                counts=counts,
                y=y,
                segments=segments(counts, BAR_WIDTH - LABEL_WIDTH, LABEL_WIDTH),
            )
        )
    return {
        "rows": drawn,
        "width": BAR_WIDTH,
        "height": max(len(drawn) * (BAR_HEIGHT + ROW_GAP) - ROW_GAP, BAR_HEIGHT),
        "bar_height": BAR_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
    }


TIMELINE_WIDTH = 360
TIMELINE_ROW = 30
TIMELINE_AXIS_X = 14
TIMELINE_TEXT_X = 30


@dataclasses.dataclass(frozen=True)
class TimelineRow:
    milestone: object  # dashboards.selectors.Milestone
    y: float

    @property
    def dot_y(self):
        return round(self.y + TIMELINE_ROW / 2, 2)


def timeline(milestones: list) -> dict:
    """An agreement's milestones as a vertical timeline, one row each, in order: a filled dot
    for a step reached by the as-of day, a hollow one for what was still ahead. Vertical, so
    that it reads as well on a phone as on a wall screen."""
    rows = [TimelineRow(milestone=m, y=index * TIMELINE_ROW) for index, m in enumerate(milestones)]
    height = max(len(rows), 1) * TIMELINE_ROW
    return {
        "rows": rows,
        "width": TIMELINE_WIDTH,
        "height": height,
        "axis_x": TIMELINE_AXIS_X,
        "axis_top": TIMELINE_ROW / 2,
        "axis_bottom": height - TIMELINE_ROW / 2,
        "text_x": TIMELINE_TEXT_X,
    }
