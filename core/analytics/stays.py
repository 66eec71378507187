"""A deal's past as stays: the event log turned into "was in stage s from t1 to t2, then went to u".

Every number in the reports is a count or a duration over stays, so this is the one place that
reads event types. ``created`` opens the first stay; ``stage_changed`` and ``reopened`` close the
current stay and open the next (a reopen is an entry like any other); ``migrated`` moves the deal
onto another funnel version's stage without leaving it, so it relabels the open stay; a
``gate_bypassed`` event marks the next entry as one that bypassed its stage's gates (the engine
writes it just before that entry's ``stage_changed``). Every other type — ``updated`` aside,
which carries the amount — is ignored, so new event types (automation) change nothing here.

Stage ids are those of the funnel's newest version: a stage of an older version is sent through
the ``migration.map`` of every later version the registry holds, so a deal on version 2 and one on
version 3 are counted in the same row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from ..clock import parse_stamp
from ..funnels.registry import FunnelRegistry
from ..limits import in_range

ENTERING = frozenset({"stage_changed", "reopened"})


@dataclass(slots=True)
class Stay:
    """One deal in one stage, from ``entered_at`` until ``left_at`` (``None`` while still there)."""

    deal_id: int
    stage: str
    entered_at: datetime
    left_at: datetime | None = None
    left_to: str | None = None
    lost_reason: str | None = None
    #: entered past the stage's gates by an admin's ``bypass_gate``
    bypassed: bool = False

    def open_at(self, moment: datetime) -> bool:
        """Whether the deal was in this stage at ``moment``."""
        return self.entered_at < moment and (self.left_at is None or self.left_at >= moment)

    def left_by(self, moment: datetime) -> str | None:
        """Where the deal went from here, as known at ``moment`` (``None``: still here then)."""
        return self.left_to if self.left_at is not None and self.left_at < moment else None


@dataclass(slots=True)
class DealHistory:
    """One deal's stays in order, its amount over time (for "amount at that moment") and, when
    the funnel has one, its expected closing date over time (for the forecast)."""

    deal_id: int
    created_at: datetime
    stays: list[Stay] = field(default_factory=list)
    #: ``()`` until the first change (most deals never get a closing date: no list each)
    amounts: list[tuple[datetime, Any]] | tuple[()] = ()
    close_dates: list[tuple[datetime, Any]] | tuple[()] = ()

    def amount_at(self, moment: datetime, inclusive: bool = False) -> float:
        """The deal's amount just before ``moment`` (or at it: a move writes the amount and the
        stage change at one instant, so a won amount is read inclusively); 0 when unset or not
        a number the sums can count (:func:`goldsieve.limits.in_range`)."""
        value = _value_at(self.amounts, moment, inclusive)
        return float(value) if in_range(value) else 0.0

    def close_date_at(self, moment: datetime) -> str | None:
        """The expected closing date (``YYYY-MM-DD`` text) the deal had just before ``moment``."""
        value = _value_at(self.close_dates, moment, False)
        return value if isinstance(value, str) else None

    def stay_at(self, moment: datetime) -> Stay | None:
        """The stay the deal was in at ``moment`` (``None`` before it was created)."""
        for stay in reversed(self.stays):
            if stay.open_at(moment):
                return stay
        return None


def _value_at(changes: Iterable[tuple[datetime, Any]], moment: datetime, inclusive: bool) -> Any:
    value: Any = None
    for at, after in changes:
        if at > moment or (at == moment and not inclusive):
            break
        value = after
    return value


class StageMapper:
    """Sends ``(version, stage id)`` to the stage id of the newest version of one funnel."""

    def __init__(self, funnels: FunnelRegistry, funnel_id: str):
        latest = funnels.get(funnel_id)
        self.latest = latest.version
        self._maps: list[tuple[int, dict[str, str]]] = []
        for version in range(1, latest.version + 1):
            funnel = funnels.get(funnel_id, version)
            if funnel.version != version:  # not loaded: the registry answered with the newest
                continue
            mapping = (funnel.definition.get("migration") or {}).get("map") or {}
            if mapping:
                self._maps.append((version, mapping))
        self._cache: dict[tuple[Any, Any], Any] = {}

    def renames(self) -> list[tuple[int, str, str]]:
        """Every ``(version, stage, newest stage)`` this mapper changes, for versions 0 to the
        newest (a lower version maps as 0 does, a higher one or a non-integer not at all): what a
        database needs to map stages the same way. Only a key of some ``migration.map`` can
        change, so those are the stages tried."""
        keys = sorted({stage for _, mapping in self._maps for stage in mapping})
        return [(version, stage, mapped) for version in range(self.latest + 1) for stage in keys
                if (mapped := self(version, stage)) != stage]

    def __call__(self, version: Any, stage: Any) -> Any:
        key = (version, stage)
        found = self._cache.get(key)
        if found is None:
            found = stage
            start = version if isinstance(version, int) else self.latest
            for later, mapping in self._maps:
                if later > start:
                    found = mapping.get(found, found)
            self._cache[key] = found
        return found


class HistoryFold:
    """Events folded into the histories of their deals, one event at a time and in the log's
    order: what :func:`build_history` does for one deal, kept open so that the events appended
    later extend the same histories (the history cache follows the log this way, reading each
    event once). A ``created`` event starts its deal's history afresh; events of a deal before
    its ``created`` are ignored."""

    def __init__(self, to_latest: StageMapper, amount_field: str = "amount", close_field: str | None = None,
                 histories: dict[int, DealHistory] | None = None, bypassing: Iterable[int] = ()):
        self.to_latest, self.amount_field, self.close_field = to_latest, amount_field, close_field
        self.histories: dict[int, DealHistory] = {} if histories is None else histories
        #: deals with a ``gate_bypassed`` since their current stay began: their next entry bypassed
        self.bypassing: set[int] = set(bypassing)

    def add(self, event: dict, deal_id: int | None = None) -> None:
        """Fold one event into the history of ``deal_id`` (default: the event's deal)."""
        deal_id = event["deal_id"] if deal_id is None else deal_id
        kind = event.get("type")
        at = parse_stamp(event["at"])
        if kind == "created":
            history = self.histories[deal_id] = DealHistory(deal_id, at)
            history.stays.append(Stay(deal_id, self.to_latest(event.get("funnel_version"), event.get("to_stage")), at))
            self.bypassing.discard(deal_id)
        else:
            history = self.histories.get(deal_id)  # type: ignore[assignment]
            if history is None:
                return
            current = history.stays[-1]
            if kind == "gate_bypassed":
                self.bypassing.add(deal_id)
            elif kind in ENTERING:
                to = self.to_latest(event.get("funnel_version"), event.get("to_stage"))
                current.left_at, current.left_to = at, to
                current.lost_reason = event.get("lost_reason")
                history.stays.append(Stay(deal_id, to, at, bypassed=deal_id in self.bypassing))
                self.bypassing.discard(deal_id)
            elif kind == "migrated":
                current.stage = self.to_latest(event.get("funnel_version"), event.get("to_stage"))
        if kind in ("created", "updated"):
            changes = event.get("changes") or {}
            for kept, name in (("amounts", self.amount_field), ("close_dates", self.close_field)):
                change = changes.get(name) if name else None
                if isinstance(change, (list, tuple)) and len(change) == 2:
                    values = getattr(history, kept)
                    if values:
                        values.append((at, change[1]))
                    else:
                        setattr(history, kept, [(at, change[1])])


def build_history(deal_id: int, events: Iterable[dict], to_latest: StageMapper,
                  amount_field: str = "amount", close_field: str | None = None) -> DealHistory | None:
    """The stays of one deal from its events, oldest first; ``None`` without a ``created`` event."""
    fold = HistoryFold(to_latest, amount_field, close_field)
    for event in events:
        fold.add(event, deal_id)
    return fold.histories.get(deal_id)
