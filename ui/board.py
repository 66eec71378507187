"""The pipeline board: a column per open stage, a card per deal, totals in each column's head.

Every deal on the board is read through the engine (``Engine.list``, ``Engine.get``), so the
user's visibility scope is part of every query. Per request, what can be is prepared once —
clock, language, currency formatter, stage titles, labels, each column's move choices — and
never once per card: the board prints hundreds of cards.

Column totals (count, amount, weighted amount) are over *every* deal the user may see in a
stage, not just the cards shown. A store that sums in its own query (PostgreSQL:
``Store.aggregate`` is one GROUP BY with the scope in its WHERE) is asked at every render,
which is also right for several app processes. On the embedded store summing means reading
every open deal, far too slow for each render, so the board keeps a small materialized view
per (funnel, scope, filters):
built once by paging through ``Engine.list``, then kept current by replaying the events written
since — each names the deal it changed, which is re-read through ``Engine.get`` (the scope
still decides). That is sound because every change of a deal appends an event in the same
transaction (docs/architecture.md, principle 5) and events are never deleted; a render first reads the
event count and newest event id, and when they moved, it catches up before printing.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from babel import Locale, numbers
from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from goldsieve.errors import NotFound
from goldsieve.funnels.model import OPEN, Funnel, Stage
from goldsieve.funnels.validation import compile_schema
from goldsieve.store import Group
from goldsieve.store.filters import Contains, Eq, Filter, all_of, matches
from goldsieve.web.app import current_runtime

from .i18n import text

bp = Blueprint("board", __name__, url_prefix="/board")

PAGE = 50  # cards per column, and per "Load more"
MAX_QUERY = 200  # characters of the title filter
REPLAY_MAX = 500  # new events beyond which rebuilding the totals is cheaper than replaying
BUILD_BATCH = 2000  # deals per Engine.list call while building totals
MAX_TOTALS = 32  # totals views kept (one per funnel, scope and filters)
MAX_STYLES = 100_000  # remembered highlight results
_MISSING = object()



# ---------------------------------------------------------------------------------------------
# Money, fast: one Babel lookup per (locale, currency), not one per card


@lru_cache(maxsize=64)
def money_formatter(locale: str, currency: str) -> Callable[[Any], str]:
    """A function formatting amounts exactly as ``babel.numbers.format_currency`` does.

    Babel resolves the locale, pattern and currency data again on every call (about 12 µs);
    a board formats hundreds of amounts. For the usual pattern shapes (the symbol before or
    after, groups of three) this prints the same ``Decimal`` Babel would, with Python's own
    formatting, and checks itself against Babel on tricky values before it is trusted.
    """
    loc = Locale.parse(locale)

    def slow(amount: Any) -> str:
        return numbers.format_currency(amount, currency, locale=loc)

    pattern = loc.currency_formats["standard"]
    prefix, suffix = pattern.prefix[0], pattern.suffix[0]
    if (pattern.grouping != (3, 3) or pattern.scale != 0
            or any(part.replace("¤", "", 1).strip("\u00a0 ") for part in (prefix, suffix))):
        return slow
    symbol = numbers.get_currency_symbol(currency, loc)
    prefix, suffix = prefix.replace("¤", symbol), suffix.replace("¤", symbol)
    digits = numbers.get_currency_precision(currency)
    spec, zeros = f",.{digits}f", ("." + "0" * digits) if digits else ""
    table = str.maketrans({",": numbers.get_group_symbol(loc), ".": numbers.get_decimal_symbol(loc)})

    def fast(amount: Any) -> str:
        if type(amount) is int and amount >= 0:
            body = f"{amount:,}{zeros}"
        elif type(amount) is float and amount >= 0 and math.isfinite(amount):
            body = format(Decimal(str(amount)), spec)  # Babel's Decimal, Babel's half-even
        else:
            return slow(amount)
        return f"{prefix}{body.translate(table)}{suffix}"

    samples = (0, 7, 1234, 1234567, 0.5, 0.125, 2.675, 1.005, 999.995, 1234567.891, 1e16, 12.3)
    return fast if all(fast(v) == slow(v) for v in samples) else slow


def is_amount(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------------------------------------
# Time in a stage


def business_days(start: date, end: date) -> int:
    """Weekdays (Monday to Friday) from ``start`` (included) to ``end`` (excluded)."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)


def is_stale(stage: Stage, active: datetime, now: datetime) -> bool:
    """No activity for ``rot_days`` (calendar or business days) while in this stage."""
    if not stage.rot_days:
        return False
    if stage.raw.get("rot_days_business"):
        return business_days(active.date(), now.date()) >= stage.rot_days
    return (now - active).days >= stage.rot_days


# ---------------------------------------------------------------------------------------------
# Column totals: a view kept current from the event log


def event_marker(store) -> tuple[int, int]:
    """(number of events, newest event id): moves with every committed change of a deal."""
    newest = store.find("events", descending=True, limit=1)
    return store.count("events"), newest[0]["id"] if newest else 0


def deal_filter(funnel_id: str, owner: str | None, q: str | None) -> Filter:
    """What :func:`fetch` asks ``Engine.list`` for, besides the scope the engine adds."""
    return all_of(Eq("funnel", funnel_id), Eq("status", OPEN),
                  Eq("owner", owner) if owner else None, Contains("title", q) if q else None)


def fetch(user: dict, funnel: Funnel, stage: Stage | None, owner: str | None, q: str | None,
          after: int | None, limit: int) -> list[dict]:
    """Open deals of the funnel the user may see, newest first (keep in step with deal_filter)."""
    return current_runtime().engine.list(user, funnel=funnel.id, stage=stage.id if stage else None,
                                 status=OPEN, owner=owner, text=q, after=after, limit=limit)


@dataclass
class Totals:
    """The open deals of one (funnel, scope, filters) by stage: deal id -> amount."""

    marker: tuple[int, int] = (-1, -1)
    by_stage: dict[str, dict[int, float]] = field(default_factory=dict)
    stage_of: dict[int, str] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, stage: str) -> int:
        return len(self.by_stage.get(stage, ()))

    def put(self, deal_id: int, deal: dict | None) -> set[str]:
        """Count the deal as it is now (``None``: not on this board); returns changed stages."""
        touched = set()
        old = self.stage_of.pop(deal_id, None)
        if old is not None:
            del self.by_stage[old][deal_id]
            touched.add(old)
        if deal is not None and deal.get("stage") in self.by_stage:
            data = deal.get("data")
            amount = data.get("amount") if isinstance(data, dict) else None
            self.by_stage[deal["stage"]][deal_id] = amount if is_amount(amount) else 0
            self.stage_of[deal_id] = deal["stage"]
            touched.add(deal["stage"])
        return touched

    def refresh(self, user: dict, funnel: Funnel, owner: str | None, q: str | None,
                marker: tuple[int, int]) -> None:
        stages = [s.id for s in funnel.open_stages()]
        if self.marker == marker and list(self.by_stage) == stages:
            return
        if self.marker[0] >= 0 and list(self.by_stage) == stages and self._replay(
                user, funnel, owner, q, marker):
            return
        # Build from scratch, into a fresh view so that a failure leaves nothing half-built.
        # The marker was read before the deals: a write landing meanwhile is replayed next
        # time (counting a deal again is idempotent).
        fresh = Totals(by_stage={stage: {} for stage in stages})
        after = None
        while True:
            rows = fetch(user, funnel, None, owner, q, after, BUILD_BATCH)
            for deal in rows:
                fresh.put(deal["id"], deal)
            if len(rows) < BUILD_BATCH:
                break
            after = rows[-1]["id"]
        fresh._resum(stages)
        self.by_stage, self.stage_of, self.sums = fresh.by_stage, fresh.stage_of, fresh.sums
        self.marker = marker

    def _replay(self, user: dict, funnel: Funnel, owner: str | None, q: str | None,
                marker: tuple[int, int]) -> bool:
        engine = current_runtime().engine
        events = engine.store.find("events", after=self.marker[1], limit=REPLAY_MAX + 1)
        # The cursor misses events committed with an id below the newest one seen (possible
        # with concurrent writers in a database); then the count does not add up: rebuild.
        if len(events) > REPLAY_MAX or self.marker[0] + len(events) != marker[0]:
            return False
        wanted = deal_filter(funnel.id, owner, q)
        touched: set[str] = set()
        for deal_id in dict.fromkeys(e.get("deal_id") for e in events):
            if not isinstance(deal_id, int):
                continue
            try:
                deal = engine.get(user, deal_id)  # the scope decides, as in the query
            except NotFound:
                deal = None
            touched |= self.put(deal_id, deal if deal and matches(wanted, deal) else None)
        self._resum(touched)
        self.marker = marker
        return True

    def _resum(self, stages) -> None:
        for stage in stages:
            self.sums[stage] = math.fsum(self.by_stage[stage].values())


@dataclass
class Summed:
    """Column totals as the store summed them: stage -> (count, amount)."""

    groups: dict[str, Group]

    def count(self, stage: str) -> int:
        group = self.groups.get(stage)
        return group.count if group else 0

    @property
    def sums(self) -> dict[str, float]:
        return {stage: group.total for stage, group in self.groups.items()}


class BoardCache:
    """What the board remembers between requests (``app.extensions["goldsieve.board"]``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.totals: OrderedDict[Any, Totals] = OrderedDict()
        self.rules: dict[tuple[str, int], list[tuple[Any, str]]] = {}
        self.styles: dict[tuple[str, int, int, int], str | None] = {}
        self.days: dict[str, dict[int, str]] = {}  # locale -> days -> "3 days in stage"

    def column_totals(self, user: dict, funnel: Funnel, owner: str | None,
                      q: str | None) -> Totals | Summed:
        store, scope = current_runtime().store, current_runtime().engine.scope(user)
        if store.aggregates_natively:
            where = all_of(scope, deal_filter(funnel.id, owner, q))
            return Summed(store.aggregate("deals", where, "stage", "data.amount"))
        marker = event_marker(store)
        key = ("totals", funnel.id, scope, owner, q)
        try:
            hash(key)
        except TypeError:  # a scope filter holding a list: not shareable, still correct
            key = None
        with self.lock:
            totals = self.totals.get(key) if key else None
            if totals is None:
                totals = Totals()
                if key:
                    self.totals[key] = totals
                    while len(self.totals) > MAX_TOTALS:
                        self.totals.popitem(last=False)
            elif key:
                self.totals.move_to_end(key)
        with totals.lock:
            totals.refresh(user, funnel, owner, q, marker)
            return totals

    def style(self, funnel: Funnel, deal: dict) -> str | None:
        """The style of the funnel's first ``highlight`` rule matching the deal's data.

        Each ``when`` is compiled once per funnel version; a result is remembered per deal
        version, since the engine raises the version with every change of the data.
        """
        key = (funnel.id, funnel.version, deal["id"], deal["version"])
        style = self.styles.get(key, _MISSING)
        if style is _MISSING:
            rules = self.rules.get(key[:2])
            if rules is None:
                rules = self.rules[key[:2]] = [
                    (compile_schema(rule["when"]), rule["style"])
                    for rule in funnel.definition.get("highlight", [])]
            data = deal.get("data")
            style = next((style for validator, style in rules if validator.is_valid(data)), None)
            if len(self.styles) >= MAX_STYLES:
                self.styles.clear()
            self.styles[key] = style
        return style


def board_cache() -> BoardCache:
    cache = current_app.extensions.get("goldsieve.board")
    if cache is None:
        cache = current_app.extensions.setdefault("goldsieve.board", BoardCache())
    return cache


# ---------------------------------------------------------------------------------------------
# What the templates print


class Card:
    """One card, every value ready to print (the template only places them)."""

    __slots__ = (
        "amount",
        "classes",
        "company",
        "days",
        "id",
        "mark",
        "move_label",
        "owner",
        "stale",
        "title",
        "url",
        "version",
    )

    def __init__(self, deal: dict, view: BoardView, stage: Stage):
        data = deal["data"] if isinstance(deal.get("data"), dict) else {}
        entered = view.stamp(deal["stage_entered_at"])
        updated = deal.get("updated_at")  # the last activity: every change and note sets it
        active = entered
        if updated and updated != deal["stage_entered_at"]:
            active = max(entered, view.stamp(updated))
        style = view.cache.style(view.funnel, deal)
        company, amount = data.get("company"), data.get("amount")
        self.id = deal["id"]
        self.version = deal["version"]
        self.url = f"{view.deal_base}{self.id}"
        self.title = deal["title"]
        self.company = company if isinstance(company, str) else ""
        self.owner = deal.get("owner") or ""
        self.amount = view.money(amount) if is_amount(amount) else ""
        self.days = view.days_text((view.now - entered).days)
        self.stale = is_stale(stage, active, view.now)
        self.classes = (f" highlight-{style}" if style else "") + (" is-stale" if self.stale else "")
        self.mark = view.marks.get(style, "") if style else ""
        self.move_label = view.move_label.replace("\x00", self.title)


@dataclass
class Column:
    stage: Stage
    title: str
    options: Markup
    cards: list[Card]
    more_url: str | None
    refresh_url: str
    count: int = 0
    total: float = 0.0
    weighted: float = 0.0
    count_text: str = ""
    total_text: str = ""
    weighted_text: str = ""
    weighted_label: str = ""


class BoardView:
    """One request's board: clock, language, formatter, labels and titles, prepared once."""

    def __init__(self, funnel: Funnel, owner: str | None, q: str | None):
        self.funnel, self.owner, self.q = funnel, owner, q
        self.user = g.user
        self.cache = board_cache()
        self.now = current_runtime().engine.clock()
        self.money = money_formatter(str(get_locale()), funnel.currency)
        self.titles = {s.id: text(s.title) or s.id for s in funnel.stages}
        self.marks = {"high": _("High priority"), "medium": _("Medium priority"),
                      "low": _("Low priority"), "warning": _("Needs attention")}
        self.move_label = _("Move “%(title)s” to", title="\x00")
        self.deal_base = request.script_root + "/deals/"
        self._days = self.cache.days.setdefault(str(get_locale()), {})
        self.base = url_for("board.show", funnel_id=funnel.id)

    @staticmethod
    def stamp(text: str) -> datetime:
        return datetime.fromisoformat(text)  # the engine's UTC stamps; 3.11 reads the "Z"

    def days_text(self, days: int) -> str:
        """"3 days in stage" in the page's language, remembered per language and number."""
        label = self._days.get(days)
        if label is None:
            label = self._days[days] = ngettext("%(num)d day in stage", "%(num)d days in stage", days)
        return label

    def url(self, path: str = "", **extra: Any) -> str:
        """A URL of this board (``/column/<stage>``…) keeping the filters; the stage ids in
        ``path`` are slugs, safe in a URL as they are."""
        query = urlencode(self.filters(**extra))
        return f"{self.base}{path}?{query}" if query else f"{self.base}{path}"

    def filters(self, **extra: Any) -> dict[str, Any]:
        args = {"owner": self.owner, "q": self.q, **extra}
        return {k: v for k, v in args.items() if v is not None}

    def options(self, stage: Stage) -> Markup:
        """The move control's choices for a card in ``stage``: every other stage."""
        parts = [f'<option value="">{escape(_("Move to…"))}</option>']
        parts += [f'<option value="{escape(s.id)}">{escape(self.titles[s.id])}</option>'
                  for s in self.funnel.stages if s.id != stage.id]
        return Markup("".join(parts))

    def column(self, stage: Stage, totals: Totals | Summed | None = None, after: int | None = None) -> Column:
        rows = fetch(self.user, self.funnel, stage, self.owner, self.q, after, PAGE + 1)
        cards = [Card(deal, self, stage) for deal in rows[:PAGE]]
        more_url = None
        if len(rows) > PAGE:
            more_url = self.url(f"/column/{stage.id}/more", after=cards[-1].id)
        column = Column(
            stage=stage, title=self.titles[stage.id], options=self.options(stage), cards=cards,
            more_url=more_url,
            refresh_url=self.url(f"/column/{stage.id}"),
        )
        if totals is not None:
            column.count = totals.count(stage.id)
            column.total = totals.sums.get(stage.id, 0.0)
            column.weighted = column.total * stage.probability
            column.count_text = format_decimal(column.count)
            column.total_text = self.money(column.total)
            column.weighted_text = self.money(column.weighted)
            column.weighted_label = _("Weighted (%(percent)s)",
                                      percent=format_percent(stage.probability))
        return column

    def columns(self, stages: list[Stage] | None = None) -> list[Column]:
        totals = self.cache.column_totals(self.user, self.funnel, self.owner, self.q)
        return [self.column(stage, totals) for stage in stages or self.funnel.open_stages()]

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "funnel": self.funnel, "view": self, "owner": self.owner or "", "q": self.q or "",
            "t": SimpleNamespace(
                stale=_("Stale"), move=_("Move"), load_more=_("Load more"), deals=_("Deals"),
                total=_("Total"), stages=_("Stages")),
            **extra,
        }


# ---------------------------------------------------------------------------------------------
# Pages


def _funnel(funnel_id: str) -> Funnel:
    try:
        return current_runtime().funnels.get(funnel_id)
    except NotFound:
        abort(404)


def _open_stage(funnel: Funnel, stage_id: str) -> Stage:
    stage = funnel.stage(stage_id)
    if stage is None or stage.kind != OPEN:
        abort(404)
    return stage


def _view(funnel: Funnel) -> BoardView:
    owner = request.args.get("owner", "").strip() or None
    q = request.args.get("q", "").strip()[:MAX_QUERY] or None
    return BoardView(funnel, owner, q)


def _fragment(target: str | None = None) -> bool:
    """An htmx request for a part of the page (a history restore wants all of it)."""
    headers = request.headers
    if not headers.get("HX-Request") or headers.get("HX-History-Restore-Request"):
        return False
    return target is None or headers.get("HX-Target") == target


def _page(view: BoardView, columns: list[Column]):
    # only people whose deals this user may see: the filter must not list colleagues' names
    scope = current_runtime().engine.scope(g.user)
    owners = {user["username"] for user in current_runtime().store.find("users")
              if matches(scope, {"owner": user["username"]})}
    owners = sorted(owners | {view.owner} if view.owner else owners)  # keep a stale filter visible
    return render_template("board/page.html", columns=columns, owners=owners,
                           new_url=f"{request.script_root}/deals/new?funnel={view.funnel.id}",
                           **view.context())


@bp.get("/<funnel_id>")
def show(funnel_id: str):
    view = _view(_funnel(funnel_id))
    columns = view.columns()
    if _fragment("board-columns"):  # the filters: only the columns change
        return render_template("board/_columns.html", columns=columns, **view.context())
    return _page(view, columns)


@bp.get("/<funnel_id>/column/<stage_id>")
def column(funnel_id: str, stage_id: str):
    """One column, head and first page: what the board reads again after a move."""
    funnel = _funnel(funnel_id)
    view = _view(funnel)
    columns = view.columns([_open_stage(funnel, stage_id)])
    if _fragment():
        return render_template("board/_column.html", column=columns[0], **view.context())
    return _page(view, columns)


@bp.get("/<funnel_id>/column/<stage_id>/more")
def more(funnel_id: str, stage_id: str):
    """The cards after the ``after`` cursor (a deal id; newest first) and the next link."""
    funnel = _funnel(funnel_id)
    stage = _open_stage(funnel, stage_id)
    view = _view(funnel)
    column = view.column(stage, after=request.args.get("after", type=int))
    if _fragment():
        return render_template("board/_cards.html", column=column, **view.context())
    return render_template("board/more.html", column=column, **view.context())
