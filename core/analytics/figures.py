"""One name per number: each headline figure of the analytics, defined once.

"Weighted pipeline" once meant three different amounts on three pages. A :class:`Figure` holds
a number's id, its label (a msgid, translated where it is shown) and how its value is read from
a report, and it is the only place either lives: the analytics page, the forecast page, the
API reports (their ``figures``) and the weekly digest all show figures from here, so one name
is always one number. docs/analytics.md defines each in words; a test holds the two together.

Three families, by the report they are read from: :data:`FUNNEL` from a window's
:class:`.metrics.FunnelMetrics`, :data:`STAGE` from one of its :class:`.metrics.StageMetrics`,
:data:`QUARTER` from a :class:`.forecast.Forecast`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from babel.numbers import format_currency, format_decimal, format_percent

from ..funnels.model import OPEN
from ..limits import is_number
from ..locales import N_
from .metrics import FunnelMetrics, StageMetrics

#: How a figure is written: a count, an amount in the funnel's currency, a share, days.
COUNT, MONEY, SHARE, DAYS = "count", "money", "share", "days"


@dataclass(frozen=True)
class Figure:
    """A named number: ``read`` takes it from its report; ``None`` means nothing to divide."""

    id: str
    label: str
    kind: str
    read: Callable[[Any], float | int | None]

    def entry(self, report: Any) -> dict[str, Any]:
        """The figure as the API reports carry it: id, label (English) and value."""
        return {"id": self.id, "label": self.label, "value": self.read(report)}


def open_rows(report: FunnelMetrics) -> list[StageMetrics]:
    return [row for row in report.stages if row.kind == OPEN]


def _conversion_to_won(report: FunnelMetrics) -> float | None:
    """The first open stage's ``to_won``: of the deals entering the funnel in the window, the
    share won by its end."""
    rows = open_rows(report)
    return rows[0].to_won if rows else None


def _exact_sum(values: list[float]) -> float:
    """A sum that does not depend on the order of the terms (the stages' amounts are exact
    decimals already, see :mod:`.metrics`)."""
    return float(sum((Decimal(repr(v)) for v in values), Decimal(0)))


FUNNEL: tuple[Figure, ...] = (
    Figure("deals", N_("Deals"), COUNT, lambda r: r.deals),
    Figure("open_deals", N_("Open deals"), COUNT, lambda r: r.open_deals),
    Figure("open_pipeline", N_("Open pipeline"), MONEY,
           lambda r: _exact_sum([row.current_amount for row in open_rows(r)])),
    Figure("open_pipeline_weighted", N_("Open pipeline, weighted"), MONEY,
           lambda r: _exact_sum([row.weighted_amount for row in open_rows(r)])),
    Figure("won", N_("Won deals"), COUNT, lambda r: r.won),
    Figure("lost", N_("Lost deals"), COUNT, lambda r: r.closed_lost),
    Figure("win_rate", N_("Win rate"), SHARE, lambda r: r.win_rate),
    Figure("conversion", N_("Conversion to won"), SHARE, _conversion_to_won),
    Figure("cycle_days", N_("Average cycle (days)"), DAYS, lambda r: r.cycle_days),
    Figure("average_won_amount", N_("Average won amount"), MONEY, lambda r: r.average_won_amount),
    Figure("velocity", N_("Pipeline velocity (per day)"), MONEY, lambda r: r.velocity),
)

STAGE: tuple[Figure, ...] = (
    Figure("entered", N_("Entered"), COUNT, lambda s: s.entered),
    Figure("advanced", N_("Advanced"), COUNT, lambda s: s.advanced),
    Figure("stage_conversion", N_("Conversion"), SHARE, lambda s: s.conversion),
    Figure("stage_open_deals", N_("Open deals"), COUNT, lambda s: s.current),
    Figure("stage_open_pipeline", N_("Open pipeline"), MONEY, lambda s: s.current_amount),
    Figure("stage_open_pipeline_weighted", N_("Open pipeline, weighted"), MONEY, lambda s: s.weighted_amount),
    Figure("dwell_median", N_("Median time in stage (days)"), DAYS, lambda s: s.dwell_days.get("median")),
)

QUARTER: tuple[Figure, ...] = (
    Figure("won_this_quarter", N_("Won this quarter"), MONEY, lambda f: f.won_so_far),
    Figure("expected_this_quarter", N_("Expected to close this quarter"), MONEY,
           lambda f: f.weighted_pipeline),
    Figure("won_and_expected_this_quarter", N_("Won and expected to close this quarter"), MONEY,
           lambda f: f.won_and_expected),
    Figure("forecast_from_history", N_("Forecast from history"), MONEY, lambda f: f.expected),
    Figure("forecast_p10", N_("Forecast from history, p10"), MONEY, lambda f: f.p10),
    Figure("forecast_p90", N_("Forecast from history, p90"), MONEY, lambda f: f.p90),
)

#: Every figure by id (the ids are unique across the families).
BY_ID: dict[str, Figure] = {figure.id: figure for figure in FUNNEL + STAGE + QUARTER}


def figure(figure_id: str) -> Figure:
    return BY_ID[figure_id]


def entries(family: tuple[Figure, ...], report: Any) -> list[dict[str, Any]]:
    """``figures`` of an API report: each figure of the family with its value in ``report``."""
    return [f.entry(report) for f in family]


def funnel_report_dict(report: FunnelMetrics) -> dict[str, Any]:
    """A funnel report as the API and ``goldsieve report`` print it: its numbers and its figures."""
    return {**report.as_dict(), "figures": entries(FUNNEL, report)}


def written(kind: str, value: Any, locale: str, currency: str) -> str:
    """A figure's value as ``locale`` (a catalog's name, ``zh_Hans``) writes it: on the pages and
    in the digest alike; a dash when there is no value. A sum may pass the limit one amount is
    held to (:data:`goldsieve.limits.NUMBER_LIMIT`) and is written all the same."""
    if not is_number(value) or not math.isfinite(value):
        return "–"
    if kind == MONEY:
        return format_currency(value, currency, locale=locale)
    if kind == SHARE:
        return format_percent(value, locale=locale)
    if kind == DAYS:
        return format_decimal(value, "#,##0.0", locale=locale)
    return format_decimal(value, locale=locale)
