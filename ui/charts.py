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


@dataclass(frozen=True)
class Line:
    label: str
    points: list[tuple[float, float, float | None]]  # x, y, value (None: no data there)
    css: str

    @property
    def path(self) -> str:
        """``x,y`` pairs of the points that have a value, for a ``polyline``."""
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, value in self.points if value is not None)


PLOT_HEIGHT = 200
PLOT_LEFT = 40
PLOT_RIGHT = 10


def lines(series: list[tuple[str, list[float | None]]]) -> list[Line]:
    """Lines of shares (0..1) over equally spaced buckets; y = 0 at the bottom of the plot."""
    count = max((len(values) for _, values in series), default=0)
    step = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(1, count - 1)
    found = []
    for n, (label, values) in enumerate(series):
        points = [(PLOT_LEFT + i * step, PLOT_HEIGHT * (1 - (v or 0)), v) for i, v in enumerate(values)]
        found.append(Line(label, points, f"series-{n % 8}"))
    return found
