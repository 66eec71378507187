"""Analytics over the REST API: the same numbers as the pages, for the token's user.

``GET /api/v1/analytics/funnel`` and ``/analytics/trend`` take ``funnel`` (required), ``from``
and ``to`` (``YYYY-MM-DD``, ``to`` exclusive; this quarter by default); the trend also
``interval`` (``week`` or ``month``). Every count covers only the deals the user may see.
``/analytics/customers`` groups a funnel's closed deals by a declared customer field and
``/analytics/pool`` counts the pool's comings and goings per week, both within the customers the
user may see (:mod:`goldsieve.analytics.customers`).
"""
from __future__ import annotations

from datetime import datetime

from flask import g, jsonify, request

from ...analytics import funnel_report, funnel_trend
from ...analytics.advisor import advice_window, advise
from ...analytics.cache import HistoryCache
from ...analytics.figures import QUARTER, entries, funnel_report_dict
from ...analytics.customers import by_customer_field, pool_weeks
from ...analytics.forecast import backtest, forecast
from ...analytics.metrics import FunnelMetrics, funnel_metrics
from ...analytics.windows import BadWindow, check_interval, parse_quarter, quarter_of, window
from ...errors import ValidationFailed, Violation
from ...funnels.model import Funnel
from ..app import current_runtime
from .routes import bp


def asked_funnel() -> Funnel:
    """The ``funnel`` parameter as a funnel: 422 when missing, 404 when unknown."""
    funnel_id = request.args.get("funnel")
    if not funnel_id:
        raise ValidationFailed([Violation("/funnel", "required", "Name a funnel: ?funnel=<id>.")])
    return current_runtime().funnels.get(funnel_id)


def asked_window() -> tuple[datetime, datetime]:
    try:
        return window(request.args.get("from"), request.args.get("to"), current_runtime().engine.clock())
    except BadWindow as error:
        raise ValidationFailed([Violation(f"/{error.param}", "invalid", str(error))]) from None


def history_cache() -> HistoryCache:
    """The runtime's deal histories (the pages, the API and the worker share them)."""
    return current_runtime().histories


def visible_histories(funnel: Funnel, end: datetime) -> list:
    """Histories of the funnel's deals the user may see that were created before ``end``."""
    return history_cache().histories(funnel.id, current_runtime().engine.scope(g.user), end)


def scoped_report(funnel: Funnel, start: datetime, end: datetime) -> FunnelMetrics:
    """The funnel report for the user over [start, end): by the database when the store keeps
    stays, else from the app's history cache."""
    rt = current_runtime()
    return funnel_report(rt.store, rt.funnels, funnel.id, rt.engine.scope(g.user), start, end,
                         rt.engine.clock(), cache=_cache_unless_sql())


def scoped_trend(funnel: Funnel, start: datetime, end: datetime, interval: str) -> list[dict]:
    """The trend's buckets for the user, from where :func:`scoped_report` takes the report."""
    rt = current_runtime()
    return funnel_trend(rt.store, rt.funnels, funnel.id, rt.engine.scope(g.user), start, end, interval,
                        rt.engine.clock(), cache=_cache_unless_sql())


def _cache_unless_sql() -> HistoryCache | None:
    """The app's history cache, unless the database computes the numbers (then none is made:
    a process on PostgreSQL holds no histories for the report and the trend)."""
    return None if current_runtime().store.keeps_stays else history_cache()


@bp.get("/analytics/funnel")
def analytics_funnel():
    funnel = asked_funnel()
    start, end = asked_window()
    report = scoped_report(funnel, start, end)
    return jsonify(funnel_report_dict(report))


@bp.get("/analytics/trend")
def analytics_trend():
    funnel = asked_funnel()
    start, end = asked_window()
    interval = request.args.get("interval", "week")
    try:
        check_interval(interval)
    except BadWindow as error:
        raise ValidationFailed([Violation("/interval", "invalid", str(error))]) from None
    buckets = scoped_trend(funnel, start, end, interval)
    return jsonify(funnel=funnel.id, interval=interval, **{"from": start.isoformat(), "to": end.isoformat()},
                   buckets=buckets)


@bp.get("/forecast")
def forecast_quarter():
    """``?funnel=&quarter=2026Q4`` (this quarter by default): both forecasts and the backtest."""
    funnel = asked_funnel()
    now = current_runtime().engine.clock()
    try:
        year, quarter = parse_quarter(request.args["quarter"]) if request.args.get("quarter") else quarter_of(now)
    except BadWindow as error:
        raise ValidationFailed([Violation("/quarter", "invalid", str(error))]) from None
    histories = visible_histories(funnel, now)
    outlook = forecast(histories, funnel, year, quarter, now)
    return jsonify(funnel=funnel.id, **outlook.as_dict(), figures=entries(QUARTER, outlook),
                   backtest=backtest(histories, funnel, year, quarter))


@bp.get("/analytics/advice")
def analytics_advice():
    """The stage advisor over the half year up to now, or ``from``/``to`` when given."""
    funnel = asked_funnel()
    now = current_runtime().engine.clock()
    start, end = asked_window() if request.args.get("from") or request.args.get("to") else advice_window(now)
    histories = visible_histories(funnel, end)
    report = funnel_metrics(histories, funnel, start, end, now)
    return jsonify(funnel=funnel.id, **{"from": start.isoformat(), "to": end.isoformat()},
                   suggestions=[s.as_dict() for s in advise(report, funnel, histories)])


@bp.get("/analytics/customers")
def analytics_customers():
    """``?funnel=&field=&from=&to=``: the funnel's win rate and won amount by a declared
    customer field (docs/analytics.md)."""
    funnel = asked_funnel()
    start, end = asked_window()
    rt = current_runtime()
    field = request.args.get("field")
    declared = rt.customers.types.customer.fields.get("properties", {})
    if not field:
        raise ValidationFailed([Violation("/field", "required", "Name a customer field: ?field=<id>.")])
    if field not in declared or declared[field].get("type") in ("array", "object"):
        choices = ", ".join(n for n, s in declared.items() if s.get("type") not in ("array", "object")) or "none"
        raise ValidationFailed([Violation("/field", "enum", f"Choose a declared customer field: {choices}.")])
    groups = by_customer_field(rt.store, rt.funnels, funnel.id, rt.engine.scope(g.user), rt.customers.scope(g.user),
                               field, start, end, cache=_cache_unless_sql())
    return jsonify(funnel=funnel.id, field=field, **{"from": start.isoformat(), "to": end.isoformat()},
                   groups=groups)


@bp.get("/analytics/pool")
def analytics_pool():
    """``?from=&to=``: customers into the pool and claimed from it, per week."""
    start, end = asked_window()
    rt = current_runtime()
    return jsonify(**{"from": start.isoformat(), "to": end.isoformat()},
                   weeks=pool_weeks(rt.store, rt.customers.scope(g.user), start, end))
