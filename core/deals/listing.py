"""The list of deals (docs/deal-list.md): every deal a user may see, open, won and lost,
filtered, searched and sorted in the store's query, a cursor page at a time.

One rule for what a list asks the store: :func:`criteria_filter` turns :class:`Criteria` into
a store filter, and everything that lists deals builds its filter there — the engine's
``list`` (API, board, task forms), the board's column totals, the list page, its CSV export
and bulk changes "of everything the filter shows". :func:`read_criteria` is the one reading of
those criteria from a query string, for the page and the API alike, so both accept and refuse
the same things, naming the parameter.

The search (``q``) looks at a deal's title, every text field its funnel declares, and the name
of its customer and of that customer's contacts (customers the user may see): a substring of the
folded search text the writers keep (:mod:`goldsieve.store.search`, indexed by both stores), so
that 白云 finds 广州白云医院 and ＡＣＭＥ finds Acme. The customers and contacts are looked up first
(at most :data:`MAX_LINKED` of each) and become an ``In`` on the deal's ``customer_id``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ValidationFailed, Violation
from ..funnels.choices import field_choices
from ..funnels.model import LOST, OPEN, WON, Funnel
from ..limits import in_range, read_number, searchable, storable_text, whole_number
from ..store.filters import Contains, Eq, Filter, In, Not, Nothing, Or, Range, all_of, any_of
from ..store.ordering import Key, Order, decode_cursor, encode_cursor
from ..store.search import SEARCH, fold

if TYPE_CHECKING:
    from .engine import Engine

STATUSES = (OPEN, WON, LOST)
#: The deal's own columns a list sorts by (any declared field too, as ``data.<name>``).
SORT_COLUMNS = ("id", "title", "funnel", "stage", "status", "owner", "customer_id", "created_at",
                "updated_at", "stage_entered_at")
#: Customers (and contacts) whose names a search matches, at most, per search.
MAX_LINKED = 1000
MAX_QUERY = 200  # characters of a search
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: After every date-time of a day in text order: an inclusive "up to" day bound.
_END_OF_DAY = "~"


@dataclass(frozen=True)
class Criteria:
    """What a list shows. ``title`` is a search of titles alone (the board's); ``text`` the
    full search; ``ranges`` are ``(field, low, high)`` of data fields, both bounds inclusive
    (``None``: open); ``choices`` are ``(field, values)`` of data fields."""

    funnel: str | None = None
    stages: tuple[str, ...] = ()
    owner: str | None = None
    status: str | None = None
    customer_id: int | None = None
    title: str | None = None
    text: str | None = None
    stale: bool = False
    #: only open deals without a planned activity (``next_step=none``; docs/activities.md)
    no_next_step: bool = False
    #: only deals with a done activity of this type (``activity=visit``)
    activity: str | None = None
    ranges: tuple[tuple[str, Any, Any], ...] = ()
    choices: tuple[tuple[str, tuple[Any, ...]], ...] = ()


def readable(deal: dict) -> dict:
    """The deal as pages and edits read it: data that is no object (written past the engine)
    reads as no fields, so that the deal still shows and an edit replaces it."""
    return deal if isinstance(deal.get("data"), dict) else {**deal, "data": {}}


def criteria_filter(criteria: Criteria, text_match: Filter | None = None,
                    activity_match: Filter | None = None) -> Filter:
    """The store filter of ``criteria`` (the user's scope is the engine's to add). ``text_match``
    is what :func:`text_search` made of ``criteria.text``, ``activity_match`` what
    :func:`with_done_activity` made of ``criteria.activity``. Text no store keeps matches nothing."""
    c = criteria
    if not searchable(c.funnel, c.owner, c.status, c.title, c.text, c.activity, *c.stages):
        return Nothing()
    return all_of(
        Eq("funnel", c.funnel) if c.funnel else None,
        (Eq("stage", c.stages[0]) if len(c.stages) == 1 else In("stage", c.stages)) if c.stages else None,
        Eq("owner", c.owner) if c.owner else None,
        Eq("status", c.status) if c.status else None,
        Eq("customer_id", c.customer_id) if c.customer_id is not None else None,
        Contains("title", c.title) if c.title else None,
        Range("stale_since", "", None) if c.stale else None,  # any text: a stamp
        all_of(Eq("status", "open"), Not(Range("next_activity_at", "", None))) if c.no_next_step else None,
        *(_bounded(f"data.{name}", low, high) for name, low, high in c.ranges),
        *(In(f"data.{name}", values) for name, values in c.choices),
        text_match if c.text else None,
        activity_match if c.activity else None,
    )


def _bounded(path: str, low: Any, high: Any) -> Filter:
    """``low <= value <= high``; a day as the upper bound takes in its date-times too."""
    if isinstance(high, str):
        return Range(path, low, high + _END_OF_DAY)
    upper = None if high is None else Or((Range(path, None, high), Eq(path, high)))
    return all_of(Range(path, low, None) if low is not None else None, upper)


def text_search(engine: Engine, user: dict, text: str) -> Filter:
    """Deals whose search text (their title and declared text fields, :mod:`goldsieve.store.search`)
    holds ``text``, or whose customer's or contact's name does (customers the user may see)."""
    if not searchable(text):
        return Nothing()
    folded = Contains(SEARCH, fold(text))
    parts: list[Filter] = [folded]
    customers = engine.customers
    if customers is not None:
        scope = customers.scope(user)
        named = engine.store.find("customers", all_of(scope, folded), limit=MAX_LINKED)
        ids = {c["id"] for c in named}
        linked = {c.get("customer_id") for c in engine.store.find("contacts", folded, limit=MAX_LINKED)}
        linked = {i for i in linked - ids if isinstance(i, int)}
        if linked:
            ids |= {c["id"] for c in engine.store.find("customers", all_of(scope, In("id", tuple(linked))))}
        if ids:
            parts.append(In("customer_id", tuple(sorted(ids))))
    return any_of(*parts)


def with_done_activity(engine: Engine, type_id: str) -> Filter:
    """Deals with a done activity of ``type_id``: the activities by the index on their type,
    then an ``In`` on the deals' ids (what the reader may see of them is the scope's to say)."""
    rows = engine.store.find("activities", all_of(Eq("type", type_id), Eq("status", "done")))
    ids = sorted({r["deal_id"] for r in rows if isinstance(r.get("deal_id"), int)})
    return In("id", tuple(ids)) if ids else Nothing()


def find(engine: Engine, user: dict, criteria: Criteria, order: Order | None = None,
         after: int | Key | None = None, limit: int = 50) -> tuple[list[dict], str | None]:
    """A page of the deals ``user`` may see that match ``criteria``, and the next page's cursor.

    Without ``order``: newest first, the cursor a deal id (the API's cursor since its first
    version). With one: sorted by it in the store (:meth:`Store.find_ordered`), the cursor an
    opaque text.
    """
    match = text_search(engine, user, criteria.text) if criteria.text else None
    done = with_done_activity(engine, criteria.activity) if criteria.activity else None
    where = all_of(engine.scope(user), criteria_filter(criteria, match, done))
    if order is None:
        rows = engine.store.find("deals", where, after=after, limit=limit, descending=True)
        return [readable(d) for d in rows], str(rows[-1]["id"]) if len(rows) == limit else None
    rows, key = engine.store.find_ordered("deals", where, order, after=after, limit=limit)
    return [readable(d) for d in rows], encode_cursor(key) if key else None


def every(engine: Engine, user: dict, criteria: Criteria, batch: int = 500) -> Iterable[dict]:
    """Every deal the list shows, newest first, a page at a time (an export, a bulk change)."""
    after = None
    while True:
        rows, cursor = find(engine, user, criteria, after=after, limit=batch)
        yield from rows
        if cursor is None:
            return
        after = int(cursor)


# --- reading the criteria from a query string --------------------------------------------------


class Args(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...
    def keys(self) -> Any: ...


def field_kind(funnels: Iterable[Funnel], name: str) -> str | None:
    """How a list filters a declared field: ``number``, ``date``, ``choice``, ``boolean`` or
    ``text``; ``None`` when no funnel declares it."""
    for funnel in funnels:
        prop = funnel.fields_schema.get("properties", {}).get(name)
        if not isinstance(prop, dict):
            continue
        if field_choices(prop):
            return "choice"
        kind = prop.get("type")
        if kind in ("number", "integer"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "string" and prop.get("format") in ("date", "date-time"):
            return "date"
        return "text"
    return None


def read_criteria(args: Args, funnels: list[Funnel], *, cursor: bool = True
                  ) -> tuple[Criteria, Order | None, int | Key | None]:
    """The list's criteria, order and cursor from a query string; :class:`ValidationFailed`
    names each parameter that is wrong (``/status``, ``/max.amount``, …).

    Parameters: ``q``, ``funnel``, ``stage`` (repeated), ``owner``, ``status``, ``customer``,
    ``stale``, ``next_step`` (``none``: open deals without a planned activity), ``activity`` (a
    type: deals with a done activity of it), ``min.<field>`` and ``max.<field>`` (numbers and dates), ``in.<field>``
    (repeated; choices), ``sort`` (a column or ``data.<field>``, ``-`` first for descending)
    and ``cursor``. ``funnels``: those of the workspace (the declared fields come from the one
    chosen, else from all).
    """
    problems: list[Violation] = []
    for name in args.keys():
        if any(not storable_text(v) for v in args.getlist(name)):
            problems.append(Violation(f"/{name}", "invalid", "NUL characters or broken Unicode."))
    if problems:
        raise ValidationFailed(problems)

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip() or None

    funnel = text("funnel")
    chosen = [f for f in funnels if f.id == funnel] if funnel else funnels
    if funnel and not chosen:
        problems.append(Violation("/funnel", "unknown_funnel", f"There is no funnel “{funnel}”."))
    status = text("status")
    if status and status not in STATUSES:
        problems.append(Violation("/status", "enum", "status is one of: open, won, lost."))
    customer = text("customer")
    customer_id = whole_number(customer) if customer else None
    if customer and customer_id is None:
        problems.append(Violation("/customer", "invalid", "customer is a customer's id."))
    q = text("q")
    if q and len(q) > MAX_QUERY:
        problems.append(Violation("/q", "maxLength", f"A search has at most {MAX_QUERY} characters."))
    ranges: dict[str, list[Any]] = {}
    choices = []
    for key in sorted(args.keys()):
        prefix, _, name = key.partition(".")
        if prefix not in ("min", "max", "in") or not name:
            continue
        kind = field_kind(chosen, name)
        values = [v.strip() for v in args.getlist(key) if v.strip()]
        if not values:
            continue
        if prefix == "in":
            if kind not in ("choice", "text", "boolean"):
                problems.append(Violation(f"/{key}", "unknown_field", f"No funnel has a choice field “{name}”."))
            else:
                choices.append((name, tuple({"true": True, "false": False}.get(v, v) if kind == "boolean" else v
                                            for v in values)))
            continue
        bound = _bound(kind, values[0])
        if bound is None:
            what = "a date (YYYY-MM-DD)" if kind == "date" else "a number"
            problems.append(Violation(f"/{key}", "unknown_field" if kind not in ("number", "date") else "type",
                                      f"No funnel has a number or date field “{name}”."
                                      if kind not in ("number", "date") else f"{key} is {what}."))
            continue
        ranges.setdefault(name, [None, None])[0 if prefix == "min" else 1] = bound
    order = None
    sort = text("sort")
    if sort:
        column = sort.removeprefix("-")
        declared = column.startswith("data.") and field_kind(chosen, column[5:]) is not None
        if column not in SORT_COLUMNS and not declared:
            problems.append(Violation("/sort", "enum", f"Sort by one of {', '.join(SORT_COLUMNS)} or data.<field>."))
        else:
            order = Order(column, sort.startswith("-"))
    after: int | Key | None = None
    written = args.get("cursor") if cursor else None
    if written is not None:
        after = whole_number(written) if order is None else decode_cursor(written)
        if after is None:
            problems.append(Violation("/cursor", "invalid", "Use the next_cursor of a previous page."))
    next_step = text("next_step")
    if next_step not in (None, "none"):
        problems.append(Violation("/next_step", "enum", "next_step is none (open deals without a planned activity)."))
    if problems:
        raise ValidationFailed(problems)
    stale = (args.get("stale") or "").lower() in ("1", "true", "yes", "on")
    criteria = Criteria(
        funnel=funnel, stages=tuple(s.strip() for s in args.getlist("stage") if s.strip()),
        owner=text("owner"), status=status, customer_id=customer_id, text=q, stale=stale,
        no_next_step=next_step == "none", activity=text("activity"),
        ranges=tuple((name, low, high) for name, (low, high) in ranges.items()), choices=tuple(choices))
    return criteria, order, after


def _bound(kind: str | None, written: str) -> Any:
    if kind == "number":
        number = read_number(written)
        return number if number is not None and in_range(number) else None
    if kind == "date":
        return written if _DATE.fullmatch(written) else None
    return None
