"""Analytics pages: the funnel, conversion against targets, dwell, lost reasons, trend, forecast.

Every number is computed by :mod:`goldsieve.analytics` over the deals the signed-in user may see
(``engine.scope``): a rep's page counts only their own deals, a manager's their team's. The
window and the funnel come from GET parameters (this quarter by default), so every view is a
link that can be shared. Bad parameters answer 400 with the reason.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton
from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from goldsieve.analytics import figures
from goldsieve.analytics.advisor import advice_window, advise
from goldsieve.analytics.customers import by_customer_field, pool_weeks
from goldsieve.analytics.forecast import backtest, expected_to_close, forecast
from goldsieve.analytics.metrics import FunnelMetrics, funnel_metrics
from goldsieve.analytics.windows import (
    FIRST_YEAR,
    LAST_YEAR,
    BadWindow,
    check_interval,
    parse_quarter,
    previous_quarter,
    quarter_label,
    quarter_of,
    quarter_window,
    window,
)
from goldsieve.errors import NotFound
from goldsieve.funnels.model import OPEN, Funnel
from goldsieve.spreadsheets import write_csv
from goldsieve.store.filters import In, all_of
from goldsieve.web.api.analytics import scoped_report, scoped_trend, visible_histories
from goldsieve.web.app import current_runtime

from . import charts
from .deals import show_value
from .i18n import text

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

LIST_LIMIT = 500  # deals listed under one cell of the lost-reason review
PICKER_AHEAD, PICKER_BEHIND = 2, 8  # quarters the forecast's picker offers around this one
QUARTER_SHOWN = 40  # characters of a bad quarter parameter repeated in the error



@dataclass
class Request:
    """What one analytics view was asked for, checked."""

    funnel: Funnel
    start: datetime
    end: datetime
    interval: str

    def args(self, **more: str) -> dict[str, str]:
        return {"from": self.start.date().isoformat(), "to": self.end.date().isoformat(),
                "interval": self.interval, **more}


def _asked(funnel_id: str) -> Request:
    try:
        funnel = current_runtime().funnels.get(funnel_id)
    except NotFound:
        abort(404)
    args = request.args
    interval = args.get("interval", "week")
    try:
        start, end = window(args.get("from"), args.get("to"), current_runtime().engine.clock())
        check_interval(interval)
    except BadWindow as error:
        abort(400, description=str(error))
    return Request(funnel, start, end, interval)


def _report(asked: Request) -> FunnelMetrics:
    return scoped_report(asked.funnel, asked.start, asked.end)


@bp.get("/")
def index():
    first = next(iter(current_runtime().funnels), None)
    if first is None:
        abort(404)
    return redirect(url_for("analytics.page", funnel_id=first.id))


@bp.get("/<funnel_id>")
def page(funnel_id: str):
    asked = _asked(funnel_id)
    report = _report(asked)
    funnel = asked.funnel
    titles = {s.id: text(s.title) or s.id for s in funnel.stages}
    path = [row for row in report.stages if row.kind != "lost"]
    entered_bars, entered_height = charts.bars(
        [(titles[r.stage], r.entered, _percent(r.conversion)) for r in path])
    weeks = scoped_trend(funnel, asked.start, asked.end, asked.interval)
    open_stages = [s.id for s in funnel.stages if s.kind == OPEN]
    trend_lines = charts.lines([
        (titles[stage], [next((x["conversion"], x["entered"])
                               for x in bucket["stages"] if x["stage"] == stage) for bucket in weeks])
        for stage in open_stages])
    starts = [date.fromisoformat(bucket["from"][:10]) for bucket in weeks]
    trend_labels = [bucket_label(day, asked.interval) for day in starts]
    reasons = sorted({reason for row in report.stages for reason in row.lost_by_reason})
    return render_template(
        "analytics/page.html", funnel=funnel, asked=asked, report=report, titles=titles,
        path=path, entered_bars=entered_bars, entered_height=entered_height, trend=weeks,
        trend_labels=trend_labels,
        trend_ticks=charts.ticks([bucket_label(day, asked.interval, short=True) for day in starts]),
        # the exceptions are worth a column only when there were some
        show_bypassed=any(r.bypassed for r in path),
        trend_lines=trend_lines, open_stages=open_stages, reasons=reasons,
        reason_titles={r: text(funnel.lost_reasons.get(r, r)) for r in reasons},
        funnels=list(current_runtime().funnels), charts=charts, figures=figures.FUNNEL,
        **_customer_section(asked),
    )


def _customer_section(asked: Request) -> dict:
    """The page's customer section: the funnel's closed deals by the customer field asked for
    (``customer_field``; the first declared field that holds a single value by default) and the
    pool per week, both within what the user may see."""
    rt = current_runtime()
    kind = rt.customers.types.customer
    choices = [(name, text(schema.get("title")) or name)
               for name, schema in kind.fields.get("properties", {}).items()
               if schema.get("type") not in ("array", "object")]
    names = [name for name, _label in choices]
    field = request.args.get("customer_field")
    field = field if field in names else (names[0] if names else None)
    groups = (by_customer_field(rt.store, rt.funnels, asked.funnel.id, rt.engine.scope(g.user),
                                rt.customers.scope(g.user), field, asked.start, asked.end,
                                cache=rt.histories) if field else [])
    schema = kind.fields.get("properties", {}).get(field) if field else None
    return {"customer_fields": choices, "customer_field": field, "customer_groups": groups,
            "group_label": lambda value: show_value(value, schema if isinstance(schema, dict) else None),
            "pool_weeks": pool_weeks(rt.store, rt.customers.scope(g.user), asked.start, asked.end)}


@bp.get("/<funnel_id>/forecast")
def forecast_page(funnel_id: str):
    """The quarter's forecast (``?quarter=2026Q4``, this quarter by default) and its backtest."""
    asked = _asked(funnel_id)
    now = current_runtime().engine.clock()
    written = request.args.get("quarter")
    try:
        year, quarter = parse_quarter(written) if written else quarter_of(now)
    except BadWindow:
        first, last = quarter_label(FIRST_YEAR, 1), quarter_label(LAST_YEAR, 4)
        abort(400, description=_(
            "quarter: “%(value)s” is not a quarter from %(first)s to %(last)s, like 2026Q4.",
            value=written[:QUARTER_SHOWN], first=first, last=last))
    found = visible_histories(asked.funnel, now)
    outlook = forecast(found, asked.funnel, year, quarter, now)
    checks = backtest(found, asked.funnel, year, quarter)
    titles = {s.id: text(s.title) or s.id for s in asked.funnel.stages}
    by_stage = _forecast_by_stage(outlook, asked.funnel)
    top = max([outlook.p90, outlook.won_and_expected]
              + [max(r["actual"], r["p90"], r["weighted"]) for r in checks]) or 1
    return render_template("analytics/forecast.html", funnel=asked.funnel, asked=asked,
                           outlook=outlook, checks=checks, titles=titles, by_stage=by_stage,
                           top=top, charts=charts, funnels=list(current_runtime().funnels),
                           figures=figures.QUARTER, quarter=quarter_label(year, quarter),
                           quarter_name=quarter_name(year, quarter),
                           quarters=_quarter_choices(quarter_of(now), (year, quarter)))


def _quarter_choices(current: tuple[int, int], asked: tuple[int, int]) -> list[tuple[str, str]]:
    """The quarter picker's options, newest first: the next two quarters, this one and the
    eight before (two years: what a review looks back on), and the one asked for if elsewhere;
    each as ``(2026Q4, its name in the page's language)``."""
    year, quarter = current
    for _step in range(PICKER_AHEAD):
        year, quarter = quarter_of(quarter_window(year, quarter)[1])
    found = []
    for _step in range(PICKER_AHEAD + 1 + PICKER_BEHIND):
        found.append((year, quarter))
        year, quarter = previous_quarter(year, quarter)
    if asked not in found:
        found = sorted([*found, asked], reverse=True)
    return [(quarter_label(y, q), quarter_name(y, q)) for y, q in found]


def quarter_name(year: int, quarter: int) -> str:
    """A quarter as the page's language names it: ``Q4 2026``, ``2026年第4季度``."""
    return _("Q%(quarter)s %(year)s", quarter=quarter, year=year)


def _forecast_by_stage(outlook, funnel: Funnel) -> list[dict]:
    rows = []
    for stage in funnel.open_stages():
        deals = [d for d in outlook.deals if d.stage == stage.id]
        rows.append({"stage": stage.id, "deals": len(deals), "amount": sum(d.amount for d in deals),
                     "weighted": expected_to_close(deals),
                     "expected": sum(d.amount * d.chance for d in deals)})
    return rows


@bp.get("/<funnel_id>/advice")
def advice_page(funnel_id: str):
    """The stage advisor over the half year up to now (or the ``from``/``to`` asked for)."""
    asked = _asked(funnel_id)
    now = current_runtime().engine.clock()
    start, end = (asked.start, asked.end) if request.args.get("from") or request.args.get("to") \
        else advice_window(now)
    found = visible_histories(asked.funnel, end)
    report = funnel_metrics(found, asked.funnel, start, end, now)
    titles = {s.id: text(s.title) or s.id for s in asked.funnel.stages}
    return render_template("analytics/advice.html", funnel=asked.funnel, asked=asked, start=start,
                           end=end, suggestions=advise(report, asked.funnel, found), titles=titles,
                           reason_titles={r: text(t) for r, t in asked.funnel.lost_reasons.items()},
                           funnels=list(current_runtime().funnels))


@bp.get("/<funnel_id>/lost")
def lost_deals(funnel_id: str):
    """The deals behind one cell of the lost-reason review (a stage and a reason)."""
    asked = _asked(funnel_id)
    stage = asked.funnel.stage(request.args.get("stage", ""))
    if stage is None:
        abort(400, description=_("Choose a stage of this funnel."))
    reason = request.args.get("reason", "")
    report = _report(asked)
    ids = report.stage(stage.id).lost_deals.get(reason, [])[:LIST_LIMIT]
    engine = current_runtime().engine
    deals = engine.store.find("deals", all_of(engine.scope(g.user), In("id", tuple(ids)))) if ids else []
    return render_template("analytics/lost.html", funnel=asked.funnel, asked=asked, stage=stage,
                           reason=reason, reason_title=text(asked.funnel.lost_reasons.get(reason, reason)),
                           deals=deals)


@bp.get("/<funnel_id>/<table>.csv")
def export_csv(funnel_id: str, table: str):
    """Each table of the page as CSV, for the spreadsheet the review meeting runs on."""
    asked = _asked(funnel_id)
    if table not in CSV_TABLES:
        abort(404)
    head, *rows = CSV_TABLES[table](asked)
    out = io.StringIO()
    write_csv(out, head, rows)
    name = f"{asked.funnel.id}-{table}-{asked.start.date()}-{asked.end.date()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _stages_table(asked: Request) -> list[list]:
    report = _report(asked)
    head = ["stage", "entered", "advanced", "conversion", "target", "shortfall", "to_won", "lost",
            "current", "current_amount", "weighted_amount", "dwell_median", "dwell_mean",
            "dwell_p90", "age_median", "bypassed"]
    return [head] + [
        [r.stage, r.entered, r.advanced, r.conversion, r.target, r.shortfall, r.to_won, r.lost,
         r.current, r.current_amount, r.weighted_amount, r.dwell_days["median"],
         r.dwell_days["mean"], r.dwell_days["p90"], r.current_age_days["median"], r.bypassed]
        for r in report.stages]


def _lost_table(asked: Request) -> list[list]:
    report = _report(asked)
    return [["stage", "reason", "lost"]] + [
        [r.stage, reason, count] for r in report.stages for reason, count in r.lost_by_reason.items()]


def _trend_table(asked: Request) -> list[list]:
    rows = [["from", "to", "stage", "entered", "advanced", "conversion"]]
    for bucket in scoped_trend(asked.funnel, asked.start, asked.end, asked.interval):
        rows += [[bucket["from"], bucket["to"], s["stage"], s["entered"], s["advanced"], s["conversion"]]
                 for s in bucket["stages"]]
    return rows


CSV_TABLES = {"stages": _stages_table, "lost": _lost_table, "trend": _trend_table}


def bucket_label(day: date, interval: str, short: bool = False) -> str:
    """A trend bucket's first day as the page's language writes it: a week by its Monday
    (``Jan 5, 2026``, ``2026年1月5日``; on the axis ``Jan 5``), a month by its name."""
    skeleton = ("yMMM" if interval == "month" else ("MMMd" if short else "yMMMd"))
    return format_skeleton(skeleton, day, locale=str(get_locale()))


def _week_label(stamp: str) -> str:
    """A week given by its first instant (the pool's weeks), written as the trend writes its weeks."""
    return bucket_label(date.fromisoformat(stamp[:10]), "week")


def _percent(share: float | None) -> str:
    """A share as the page's language writes percentages; a dash when there is nothing to divide."""
    return "–" if share is None else format_percent(share)


def _days(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, "#,##0.0")


def figure_value(figure: figures.Figure, value: float | int | None, currency: str) -> str:
    """A figure's value as the page's language writes its kind (an amount, a share…)."""
    return figures.written(figure.kind, value, str(get_locale()), currency)


bp.add_app_template_filter(_percent, "percent")
bp.add_app_template_filter(_days, "days")
bp.add_app_template_filter(_week_label, "week_label")
bp.add_app_template_global(figure_value, "figure_value")
bp.add_app_template_global(figures.figure, "figure")
