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
