"""The designer's review before saving: the plan of ``goldsieve funnel plan`` as a person reads it.

The plan (:func:`goldsieve.funnels.plan.make_plan`) says which in-flight deals each change
touches, which deals would land on a stage whose gates they do not meet and which automations
lose their stage; this module only pages those lists and names their deals, stages and fields by
their titles in the reader's language. Deals are looked up with the reader's scope, so a deal
they may not see is counted, never named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from flask_babel import get_locale
from flask_babel import gettext as _

from goldsieve.deals.tasks import visible_deals
from goldsieve.funnels.model import OPEN, Funnel
from goldsieve.funnels.plan import KINDS, DealRef, Plan
from goldsieve.limits import whole_number
from goldsieve.web.app import current_runtime

from .designer_findings import field_titles
from .i18n import text

#: How many deals one list shows per page.
PAGE = 20


@dataclass
class DealRow:
    """A deal of a list, as the page shows it."""

    id: int
    title: str
    stage: str  # the stage it is in now, by its title
    to: str  # the stage it lands on, by its title
    lacks: str = ""  # the fields its new stage requires that it lacks, by their titles


@dataclass
class Listing:
    """One page of one list of deals (``key`` names the list in the page's query)."""

    key: str
    total: int
    page: int
    rows: list[DealRow] = field(default_factory=list)
    unseen: int = 0  # deals of this page the reader may not see

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE))


def kind_label(kind: str) -> str:
    return _(KINDS[kind]) if kind in KINDS else kind.replace("_", " ")


def stranded_why(new: Funnel, to: str) -> str:
    """Why a deal cannot land on ``to``, as :func:`goldsieve.funnels.plan.make_plan` found it
    stranded: said here in the reader's words, since the plan's reasons are the terminal's English."""
    landing = new.stage(to)
    if landing is None:
        return _("Its stage is not in the new version: send it to another stage")
    if landing.kind != OPEN:
        return _("It would go to a stage that is not open")
    return _("It would go to a stage that is not on this deal's path")


def review(plan: Plan, old: Funnel | None, new: Funnel, args: Mapping[str, Any], user: dict) -> dict[str, Any]:
    """The review's lists: per change what changed and the deals it touches, the deals that would
    miss what their new stage requires, the automations whose stage goes, the plan's warnings and
    errors, each in the page's language; ``args`` pick a list's page."""
    mapping = (new.definition.get("migration") or {}).get("map", {})
    missing = {ref.id: ref for ref in plan.missing}
    wanted, page = args.get("list", ""), whole_number(args.get("page", "")) or 1

    def titled(stage_id: str | None, funnel: Funnel | None) -> str:
        stage = funnel.stage(stage_id) if funnel is not None and stage_id else None
        return text(stage.title) if stage is not None else (stage_id or "")

    def lacks(deal: dict) -> str:
        ref: DealRef | None = missing.get(deal["id"])
        return field_titles(new.definition, ref.fields) if ref else ""

    def listing(key: str, ids: list[int], says: Callable[[dict], str] = lacks) -> Listing:
        shown = Listing(key, len(ids), min(page, max(1, -(-len(ids) // PAGE))) if key == wanted else 1)
        chunk = ids[(shown.page - 1) * PAGE:shown.page * PAGE]
        seen = visible_deals(current_runtime().engine, user, set(chunk))
        for deal_id in chunk:
            deal = seen.get(deal_id)
            if deal is None:
                shown.unseen += 1
                continue
            to = mapping.get(deal["stage"], deal["stage"])
            shown.rows.append(DealRow(deal_id, deal["title"], titled(deal["stage"], old), titled(to, new),
                                      says(deal)))
        return shown

    locale = str(get_locale())  # the plan's words, said in the page's language
    return {
        "changes": [(change, kind_label(change.kind), change.words.say(locale), listing(f"change-{i}", change.deal_ids))
                    for i, change in enumerate(plan.changes)],
        "warnings": [words.say(locale) for words in plan.warnings],
        "errors": [words.say(locale) for words in plan.errors],
        "missing": listing("missing", [ref.id for ref in plan.missing]),
        "stranded": listing("stranded", [ref.id for ref in plan.stranded],
                            lambda deal: stranded_why(new, mapping.get(deal["stage"], deal["stage"]))),
        "orphans": [(orphan, titled(orphan.stage, old), titled(orphan.to, new)) for orphan in plan.orphans],
    }
