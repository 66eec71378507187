"""The funnel report and the trend computed by PostgreSQL, from the stays its trigger keeps
(:mod:`goldsieve.store.postgres.stays`): one statement each, a few ``GROUP BY`` over the visible
deals' stays, the same :class:`~.metrics.FunnelMetrics` as :func:`.metrics.funnel_metrics` and
the same buckets as :func:`.trend.trend`.

Why: with several app processes each would otherwise hold every history of a funnel in memory
(about a gigabyte and half a minute to build at a million events) and re-read new events before
each report. Here nothing is kept in the process, and the visibility scope is compiled by the
store's own filter compiler into the statement, so hidden deals never leave the database.

How it agrees with the Python computation, number by number:

- stages of older funnel versions are mapped by a ``VALUES`` list of what
  :class:`~.stays.StageMapper` renames; the newest version's stages, their kinds, positions and
  probabilities come as another ``VALUES`` list;
- the stays are read "as of" the window's end: a stay left at or after ``end`` counts as still
  open, as in a history made of the events before ``end`` (a ``migrated`` event relabels its
  stay for good, as in the app's history cache: the migration map names the same stage);
- instants are microseconds since 1970, so a duration is an exact integer, divided as
  ``timedelta.total_seconds() / 86400`` divides it (see :func:`_days`);
- the median is the mean of the lower and the upper middle value (``percentile_disc(0.5)``
  ascending and descending), p90 ``percentile_disc(0.9)``, nearest rank like :func:`.metrics.percentile`;
- means and sums are exact, as in :mod:`.metrics`: the statement sums durations as whole
  microseconds and amounts as ``numeric`` (15 significant digits of each ``float8``), and the
  means and the weighted amounts are then worked out from those sums by the same functions.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from ..funnels.model import Funnel
from ..funnels.registry import FunnelRegistry
from ..limits import NUMBER_LIMIT
from ..store.base import AMOUNTS, STAYS, StaysSql
from ..store.filters import Filter
from .loading import visible_filter
from .metrics import (
    FunnelMetrics,
    amounts_of,
    mean_amount,
    mean_days,
    span,
    stage_rows,
    summary,
    summary_of,
    totals,
)
from .stays import StageMapper
from .trend import trend_rows, trend_spans

#: Planner settings for these statements. The planner cannot estimate how many deals a scope
#: lets through (a condition on the JSON document): it guesses a handful, and would then join
#: the stays of thousands of deals in nested loops, quadratic in the deals; hash joins are right
#: at every size here (the amounts are still looked up by index, in subqueries). And sorting the
#: stays of 100,000 deals takes more than the default 4 MB of ``work_mem``: in memory, not on disk.
PLANNER = {"enable_nestloop": "off", "work_mem": "64MB"}

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(moment: datetime) -> int:
    """An instant as the stays table holds it: microseconds since 1970."""
    return span(EPOCH, moment)


def _days(since: str, until: str) -> str:
    """Days between two instants in microseconds, rounded as ``timedelta.total_seconds() /
    86400`` is: the exact count of microseconds over a million, then over 86,400."""
    return f"(({until} - {since})::float8 / 1000000 / 86400)"


def _counted(amount: str) -> str:
    """An amount as the sums count it (:func:`goldsieve.limits.in_range`): NULL, which the report
    reads as 0, beyond the limit (a ``float8`` NaN sorts above every number, so it is too)."""
    return f"CASE WHEN abs({amount}) <= {NUMBER_LIMIT} THEN {amount} END"


def _values(name: str, columns: str, types: tuple[str, ...], rows: list[tuple],
            params: dict[str, Any]) -> str:
    """A ``VALUES`` list as a CTE, its values passed as parameters (typed, so an empty list is
    a typed empty relation)."""
    if not rows:
        nulls = ", ".join(f"NULL::{kind}" for kind in types)
        return f"{name} ({columns}) AS (SELECT {nulls} WHERE false)"
    rendered = []
    for n, row in enumerate(rows):
        cells = []
        for m, (value, kind) in enumerate(zip(row, types)):
            params[f"{name}_{n}_{m}"] = value
            cells.append(f"%({name}_{n}_{m})s::{kind}")
        rendered.append(f"({', '.join(cells)})")
    return f"{name} ({columns}) AS (VALUES {', '.join(rendered)})"


def _stays(where: str, renamed: bool) -> str:
    """The visible deals' stays matching ``where`` (on ``t``), stages mapped onto the newest
    version when some are ``renamed``, as known at ``%(end)s``: a stay left then or later is
    still open."""
    stage, left_to, joins = "t.stage", "t.left_to", ""
    if renamed:
        stage, left_to = "coalesce(here.mapped, t.stage)", "coalesce(there.mapped, t.left_to)"
        joins = """
    LEFT JOIN renames AS here ON here.version = greatest(t.funnel_version, 0) AND here.stage = t.stage
    LEFT JOIN renames AS there ON there.version = greatest(t.left_version, 0) AND there.stage = t.left_to"""
    return f"""s AS MATERIALIZED (
    SELECT t.deal_id, t.seq, t.first, t.created_at, t.entered_at, t.lost_reason, t.bypassed, {stage} AS stage,
           CASE WHEN t.left_at < %(end)s THEN t.left_at END AS left_at,
           CASE WHEN t.left_at < %(end)s THEN {left_to} END AS left_to
    FROM {STAYS} AS t JOIN visible ON visible.id = t.deal_id{joins}
    WHERE {where}
)"""


def _prelude(store: StaysSql, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
             params: dict[str, Any]) -> tuple[str, bool]:
    """``WITH`` the visible deals, the stage renames and the newest version's stages; and
    whether there are renames at all.

    The deals are those of the funnel the scope lets through, whenever created: a deal created
    after the window counts nowhere, because its stays start after it (so the query needs no
    look into the deals' documents for their creation date).
    """
    funnel: Funnel = funnels.get(funnel_id)
    visible, compiled = store.ids_sql("deals", visible_filter(funnel_id, scope, None))
    params.update(compiled)
    renamed = StageMapper(funnels, funnel_id).renames()
    renames = _values("renames", "version, stage, mapped", ("int", "text", "text"), renamed, params)
    kinds = _values("kinds", "stage, kind, position, probability", ("text", "text", "int", "float8"),
                    [(s.id, s.kind, s.position, float(s.probability)) for s in funnel.stages], params)
    return f"WITH visible AS ({visible}),\n{renames},\n{kinds}", bool(renamed)


def _statement(prelude: str, renamed: bool) -> str:
    return f"""
{prelude},
{_stays("t.entered_at < %(end)s AND (t.left_at IS NULL OR t.left_at >= %(start)s OR t.first)", renamed)},
at_end AS MATERIALIZED (  -- the stay each deal is in at the end (the last one, if several)
    SELECT DISTINCT ON (s.deal_id) s.deal_id, s.stage, s.entered_at, k.kind
    FROM s LEFT JOIN kinds AS k USING (stage) WHERE s.left_at IS NULL
    ORDER BY s.deal_id, s.seq DESC
),
entries AS (  -- each deal's last entry into each stage within the window
    SELECT DISTINCT ON (deal_id, stage) deal_id, stage, left_at, left_to, lost_reason
    FROM s WHERE entered_at >= %(start)s ORDER BY deal_id, stage, seq DESC
),
judged AS MATERIALIZED (
    SELECT e.deal_id, e.stage, e.lost_reason, coalesce(a.kind = 'won', false) AS won,
           CASE WHEN e.left_at IS NULL THEN 'still_in'
                WHEN there.kind = 'lost' THEN 'lost'
                WHEN there.kind = 'won'
                  OR (there.kind = 'open' AND here.kind = 'open' AND there.position > here.position)
                THEN 'advanced'
                ELSE 'backward' END AS outcome
    FROM entries AS e JOIN kinds AS here ON here.stage = e.stage
    LEFT JOIN kinds AS there ON there.stage = e.left_to
    LEFT JOIN at_end AS a ON a.deal_id = e.deal_id AND a.kind = 'won'
),
closing AS MATERIALIZED (  -- each deal's last entry into a won or lost stage within the window
    SELECT DISTINCT ON (s.deal_id) s.deal_id, s.created_at, s.entered_at, k.kind
    FROM s JOIN kinds AS k USING (stage)
    WHERE s.entered_at >= %(start)s AND k.kind IN ('won', 'lost')
    ORDER BY s.deal_id, s.seq DESC
),
won AS (
    SELECT c.entered_at - c.created_at AS cycle,
           coalesce((SELECT {_counted("a.amount")} FROM {AMOUNTS} AS a WHERE a.deal_id = c.deal_id
                     AND a.at <= c.entered_at ORDER BY a.seq DESC LIMIT 1), 0) AS amount
    FROM closing AS c WHERE c.kind = 'won'
),
current AS MATERIALIZED (
    SELECT a.stage, greatest(%(as_of)s, a.entered_at) - a.entered_at AS age_us,
           {_days("a.entered_at", "greatest(%(as_of)s, a.entered_at)")} AS age,
           coalesce((SELECT {_counted("m.amount")} FROM {AMOUNTS} AS m WHERE m.deal_id = a.deal_id
                     AND m.at < %(end)s ORDER BY m.seq DESC LIMIT 1), 0) AS amount
    FROM at_end AS a WHERE a.kind = 'open'
),
dwell AS (
    SELECT s.stage, s.left_at - s.entered_at AS span, {_days("s.entered_at", "s.left_at")} AS days
    FROM s JOIN kinds USING (stage) WHERE s.left_at >= %(start)s
)
SELECT 'entry' AS part, stage, NULL AS reason, NULL::bigint[] AS ids,
       ARRAY[count(*), count(*) FILTER (WHERE outcome = 'advanced'),
             count(*) FILTER (WHERE outcome = 'lost'), count(*) FILTER (WHERE outcome = 'backward'),
             count(*) FILTER (WHERE outcome = 'still_in'), count(*) FILTER (WHERE won)]::float8[] AS numbers,
       NULL::numeric[] AS sums
FROM judged GROUP BY stage
UNION ALL
SELECT 'lost', stage, coalesce(nullif(lost_reason, ''), 'unknown'), array_agg(deal_id ORDER BY deal_id), NULL, NULL
FROM judged WHERE outcome = 'lost' GROUP BY 2, 3
UNION ALL
SELECT 'current', stage, NULL, NULL,
       ARRAY[count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY age),
             percentile_disc(0.5) WITHIN GROUP (ORDER BY age DESC), max(age)],
       ARRAY[sum(amount::numeric), sum(age_us)]
FROM current GROUP BY stage
UNION ALL
SELECT 'dwell', stage, NULL, NULL,
       ARRAY[count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY days),
             percentile_disc(0.5) WITHIN GROUP (ORDER BY days DESC),
             percentile_disc(0.9) WITHIN GROUP (ORDER BY days)],
       ARRAY[sum(span)]
FROM dwell GROUP BY stage
UNION ALL
SELECT 'bypassed', stage, NULL, NULL, ARRAY[count(*)]::float8[], NULL
FROM s JOIN kinds USING (stage) WHERE s.entered_at >= %(start)s AND s.bypassed GROUP BY stage
UNION ALL
SELECT 'totals', NULL, NULL, NULL,
       ARRAY[(SELECT count(*) FROM s WHERE first),
             (SELECT count(*) FROM closing WHERE kind = 'won'),
             (SELECT count(*) FROM closing WHERE kind = 'lost')]::float8[],
       ARRAY[(SELECT sum(cycle) FROM won), (SELECT sum(amount::numeric) FROM won)]
"""


def report_statement(store: StaysSql, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
                     start: datetime, end: datetime,
                     now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """The statement computing the report, with its parameters (also for ``EXPLAIN``)."""
    params: dict[str, Any] = {"start": micros(start), "end": micros(end),
                              "as_of": micros(min(end, now) if now else end)}
    return _statement(*_prelude(store, funnels, funnel_id, scope, params)), params


def sql_funnel_report(store: StaysSql, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
                      start: datetime, end: datetime, now: datetime | None = None) -> FunnelMetrics:
    """What :func:`.metrics.funnel_metrics` says of the histories of the deals ``scope`` lets
    through, for [start, end), computed by the database in one statement."""
    funnel = funnels.get(funnel_id)
    rows = stage_rows(funnel)
    deals = won = lost = 0
    cycles = won_amounts = None
    statement, params = report_statement(store, funnels, funnel_id, scope, start, end, now)
    for found in store.read_sql(statement, params, PLANNER):
        numbers, sums = found.numbers, found.sums
        if found.part == "totals":
            deals, won, lost = (int(n) for n in numbers)
            cycles, won_amounts = sums
            continue
        row = rows[found.stage]
        if found.part == "entry":
            (row.entered, row.advanced, row.lost, row.backward, row.still_in,
             row.won) = (int(n) for n in numbers)
        elif found.part == "lost":
            row.lost_deals[found.reason] = list(found.ids)
        elif found.part == "bypassed":
            row.bypassed = int(numbers[0])
        elif found.part == "current":
            row.current = int(numbers[0])
            amounts_of(row, sums[0], funnel.stage(found.stage).probability)
            age = summary_of(row.current, numbers[1], numbers[2], mean_days(sums[1], row.current), None)
            row.current_age_days = {"median": age["median"], "mean": age["mean"], "max": numbers[3]}
        else:
            count = int(numbers[0])
            row.dwell_days = summary_of(count, numbers[1], numbers[2], mean_days(sums[0], count), numbers[3])
    for row in rows.values():
        row.lost_deals = dict(sorted(row.lost_deals.items()))
        row.lost_by_reason = {reason: len(ids) for reason, ids in row.lost_deals.items()}
        row.dwell_days = row.dwell_days or summary([])
        row.current_age_days = row.current_age_days or {"median": None, "mean": None, "max": None}
    return totals(funnel, start, end, rows, deals, won, lost, mean_days(cycles, won),
                  mean_amount(won_amounts, won))


def _trend_statement(prelude: str, renamed: bool) -> str:
    return f"""
{prelude},
{_stays("t.entered_at >= %(start)s AND t.entered_at < %(end)s", renamed)},
placed AS (
    SELECT s.deal_id, s.seq, s.stage, s.left_at, s.left_to, k.kind, k.position,
           width_bucket(s.entered_at, %(starts)s::bigint[]) - 1 AS bucket
    FROM s JOIN kinds AS k USING (stage)
),
entries AS (  -- each deal's last entry into each open stage in each bucket
    SELECT DISTINCT ON (deal_id, bucket, stage) bucket, stage, position, left_at, left_to
    FROM placed WHERE kind = 'open' ORDER BY deal_id, bucket, stage, seq DESC
),
closes AS (  -- each deal's last close in each bucket
    SELECT DISTINCT ON (deal_id, bucket) bucket, kind
    FROM placed WHERE kind IN ('won', 'lost') ORDER BY deal_id, bucket, seq DESC
)
SELECT 'entry' AS part, e.bucket, e.stage AS key, count(*) AS deals,
       count(*) FILTER (WHERE e.left_at IS NOT NULL AND (there.kind = 'won'
                        OR (there.kind = 'open' AND there.position > e.position))) AS advanced
FROM entries AS e LEFT JOIN kinds AS there ON there.stage = e.left_to GROUP BY e.bucket, e.stage
UNION ALL
SELECT 'close', bucket, kind, count(*), 0 FROM closes GROUP BY bucket, kind
"""


def sql_trend(store: StaysSql, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
              start: datetime, end: datetime, interval: str, now: datetime | None = None) -> list[dict]:
    """What :func:`.trend.trend` says of the visible deals' histories, computed by the database."""
    funnel = funnels.get(funnel_id)
    last, spans = trend_spans(start, end, interval, now)
    entered: Counter = Counter()
    advanced: Counter = Counter()
    closed: Counter = Counter()
    if spans:
        params: dict[str, Any] = {"start": micros(start), "end": micros(last),
                                  "starts": [micros(low) for low, _ in spans]}
        statement = _trend_statement(*_prelude(store, funnels, funnel_id, scope, params))
        for found in store.read_sql(statement, params, PLANNER):
            if found.part == "entry":
                entered[(found.bucket, found.key)] = found.deals
                advanced[(found.bucket, found.key)] = found.advanced
            else:
                closed[(found.bucket, found.key)] = found.deals
    return trend_rows(funnel, spans, entered, advanced, closed)
