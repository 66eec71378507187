"""Geometry of the analytics charts, drawn as server-side SVG by ``analytics/_charts.html``.

Our own few lines instead of a charting library: the charts are bars and lines, the page must
work under the CSP ``default-src 'self'`` with no script and no inline style (presentation
attributes such as ``width`` are not CSS, so they are allowed), and the numbers are shown in a
table beside each chart anyway. The math lives here, in Python, so it is tested without a browser.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640  # viewBox units; the SVG scales to its container
BAR_HEIGHT = 28
GAP = 10
LABEL = 170  # room for the stage title left of the bars


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    note: str = ""


def bars(rows: list[tuple[str, float, str]]) -> tuple[list[Bar], float]:
    """Horizontal bars, longest = full width: ``(label, value, note)`` → bars and the height."""
    top = max((value for _, value, _ in rows), default=0) or 1
    room = WIDTH - LABEL - 80
    found = [Bar(label, value, LABEL, i * (BAR_HEIGHT + GAP), room * value / top, BAR_HEIGHT, note)
             for i, (label, value, note) in enumerate(rows)]
    return found, max(1, len(rows)) * (BAR_HEIGHT + GAP)


#: Below this many deals a trend point is drawn hollow: a share of 1-4 deals swings 0 %↔100 %.
SMALL_SAMPLE = 5
#: The series' dash patterns (``stroke-dasharray``), one per palette colour (``series-0`` to
#: ``series-7`` in analytics.css): two lines differ in dash as well as colour, so they stay
#: apart for a reader who cannot tell the colours apart, and in print.
DASHES = ("", "8 4", "2 3", "10 3 2 3", "5 5", "14 4", "2 7", "6 2 2 2 2 2")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float | None  # None: nothing entered the stage in that bucket
    count: int  # the deals the value rests on

    @property
    def small(self) -> bool:
        return self.count < SMALL_SAMPLE


@dataclass(frozen=True)
class Line:
    label: str
    points: list[Point]
    css: str
    dash: str

    @property
    def path(self) -> str:
        """``x,y`` pairs of the points that have a value, for a ``polyline``."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points if p.value is not None)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


PLOT_HEIGHT = 200
PLOT_LEFT = 40
PLOT_RIGHT = 10
AXIS_ROOM = 34  # below the plot: the dates
MAX_TICKS = 8  # dates written on the axis; the others are in each point's title and the table


def _x(index: int, count: int) -> float:
    return PLOT_LEFT + index * (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(1, count - 1)


def lines(series: list[tuple[str, list[tuple[float | None, int]]]]) -> list[Line]:
    """Lines of shares (0..1) over equally spaced buckets, y = 0 at the bottom of the plot, from
    ``(label, [(share, deals it rests on), …])``; the n-th series takes the n-th colour and dash."""
    count = max((len(values) for _, values in series), default=0)
    found = []
    for n, (label, values) in enumerate(series):
        points = [Point(_x(i, count), PLOT_HEIGHT * (1 - (v or 0)), v, deals)
                  for i, (v, deals) in enumerate(values)]
        found.append(Line(label, points, f"series-{n % len(DASHES)}", DASHES[n % len(DASHES)]))
    return found


def ticks(labels: list[str]) -> list[Tick]:
    """The date axis: the buckets' labels under their points, every k-th so that at most
    :data:`MAX_TICKS` are written (the last bucket always is: the newest matters most)."""
    count = len(labels)
    step = max(1, -(-count // MAX_TICKS))
    shown = set(range(count - 1, -1, -step))
    return [Tick(_x(i, count), label) for i, label in enumerate(labels) if i in shown]
