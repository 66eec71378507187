"""The pipeline board: a column per open stage, a card per deal, totals in each column's head.

What is on the board and the column totals come from the kernel's read model
(:mod:`goldsieve.deals.board`), the stale badge from its stale rule (:mod:`goldsieve.deals.stale`);
this module turns them into a page. Per request, what can be is prepared once — clock, language,
currency formatter, stage titles, labels, each set of move choices — and never once per card:
the board prints hundreds of cards.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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

from goldsieve.deals.board import BoardModel, Summed, Totals, open_deals
from goldsieve.deals.stale import is_stale, last_activity
from goldsieve.errors import NotFound
from goldsieve.funnels.model import OPEN, Funnel, Stage
from goldsieve.limits import in_range
from goldsieve.store.filters import matches
from goldsieve.web.app import current_runtime

from .deal_path import move_choices
from .i18n import plain, text
from .params import whole_number_param

bp = Blueprint("board", __name__, url_prefix="/board")

PAGE = 50  # cards per column, and per "Load more"
MAX_QUERY = 200  # characters of the title filter



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


def board_model() -> BoardModel:
    """This app's board read model (made on first use)."""
    model = current_app.extensions.get("goldsieve.board")
    if model is None:
        model = current_app.extensions.setdefault("goldsieve.board", BoardModel())
    return model


def day_labels() -> dict[int, str]:
    """"3 days in stage" by number of days, remembered per language for this app."""
    labels = current_app.extensions.setdefault("goldsieve.board_days", {})
    return labels.setdefault(str(get_locale()), {})


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
        "no_next",
        "options",
        "owner",
        "stale",
        "title",
        "url",
        "version",
    )

    def __init__(self, deal: dict, view: BoardView, stage: Stage):
        data = deal["data"] if isinstance(deal.get("data"), dict) else {}
        entered = view.stamp(deal["stage_entered_at"])
        style = view.cache.style(view.funnel, deal)
        company, amount = data.get("company"), data.get("amount")
        self.id = deal["id"]
        self.version = deal["version"]
        self.url = f"{view.deal_base}{self.id}"
        self.title = deal["title"]
        self.company = company if isinstance(company, str) else ""
        self.owner = deal.get("owner") or ""
        self.amount = view.money(amount) if in_range(amount) else plain(amount)
        self.days = view.days_text((view.now - entered).days)
        self.stale = is_stale(stage, view.stamp(last_activity(deal)), view.now, view.workdays)
        #: an open deal without a planned activity (docs/activities.md): flagged like Pipedrive's
        self.no_next = not deal.get("next_activity_at")
        self.classes = (f" highlight-{style}" if style else "") + (" is-stale" if self.stale else "")
        self.mark = view.marks.get(style, "") if style else ""
        self.move_label = view.move_label.replace("\x00", self.title)
        self.options = view.options(deal)


@dataclass
class Column:
    stage: Stage
    title: str
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
        self.cache = board_model()
        engine = current_runtime().engine
        self.now, self.workdays = engine.clock(), engine.workdays
        self.money = money_formatter(str(get_locale()), funnel.currency)
        self.titles = {s.id: text(s.title) or s.id for s in funnel.stages}
        self.marks = {"high": _("High priority"), "medium": _("Medium priority"),
                      "low": _("Low priority"), "warning": _("Needs attention")}
        self.move_label = _("Move “%(title)s” to", title="\x00")
        self.move_to = _("Move to…")
        self._options: dict[tuple[str, tuple[str, ...]], Markup] = {}
        self.deal_base = request.script_root + "/deals/"
        self._days = day_labels()
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

    def options(self, deal: dict) -> Markup:
        """The move control's choices for a card: the stages the deal may enter now (the deal
        page's :func:`~goldsieve.ui.deal_path.move_choices`). They depend on the deal's stage and
        its path only, so they are worked out and printed once per stage and path."""
        key = (deal["stage"], tuple(s.id for s in self.funnel.path(deal["data"])))
        markup = self._options.get(key)
        if markup is None:
            parts = [f'<option value="">{escape(self.move_to)}</option>']
            parts += [f'<option value="{escape(s.id)}">{escape(self.titles[s.id])}</option>'
                      for s in move_choices(deal, self.funnel)]
            markup = self._options[key] = Markup("".join(parts))
        return markup

    def column(self, stage: Stage, totals: Totals | Summed | None = None, after: int | None = None) -> Column:
        rows = open_deals(current_runtime().engine, self.user, self.funnel, stage, self.owner, self.q, after,
                          PAGE + 1)
        cards = [Card(deal, self, stage) for deal in rows[:PAGE]]
        more_url = None
        if len(rows) > PAGE:
            more_url = self.url(f"/column/{stage.id}/more", after=cards[-1].id)
        column = Column(
            stage=stage, title=self.titles[stage.id], cards=cards,
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
        totals = self.cache.column_totals(current_runtime().engine, self.user, self.funnel, self.owner,
                                          self.q)
        return [self.column(stage, totals) for stage in stages or self.funnel.open_stages()]

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "funnel": self.funnel, "view": self, "owner": self.owner or "", "q": self.q or "",
            "t": SimpleNamespace(
                stale=_("Stale"), no_next=_("No next step"), move=_("Move"), load_more=_("Load more"), deals=_("Deals"),
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
    column = view.column(stage, after=whole_number_param("after"))
    if _fragment():
        return render_template("board/_cards.html", column=column, **view.context())
    return render_template("board/more.html", column=column, **view.context())
