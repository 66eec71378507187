"""The deal page's stage path, its Won and Lost buttons, and the honest move menus.

What a deal may enter now comes from one kernel answer,
:func:`goldsieve.funnels.transitions.entry_refusals` (the rule the engine's ``check_move``
applies too); this module only turns it into what the deal page and the board show: the stages
of the deal's path with where it is and what each stage ahead will ask for, and the stages a
move menu offers. The Won button posts the move at once when nothing is missing, and opens the
gate dialog (``GET /deals/<id>/move?to=…``) when the won stage's gates ask for fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from goldsieve.funnels.model import LOST, OPEN, Funnel, Stage
from goldsieve.funnels.transitions import entry_refusals

from . import forms
from .deals import bp, field_label, preview_move, stage_label

#: values that leave a field empty (what a gate's ``required`` would still ask for)
EMPTY = (None, "", [])


@dataclass
class Step:
    """One stage of the deal's path as the page shows it."""

    stage: Stage
    label: str
    state: str  # "done", "current" or "ahead"
    asks: list[str] = field(default_factory=list)  # the titles of the fields entering it asks for


@dataclass
class Closing:
    """How the page offers Won: ``blocked`` (why not, translated), through the dialog, or at once."""

    stage: Stage
    blocked: str | None = None
    needs_dialog: bool = False


def path_stages(deal: dict, funnel: Funnel) -> list[Stage]:
    """The stages the path shows: the deal's path (conditional stages only where they apply);
    a lost deal's ends with the lost stage after the stage it was lost from."""
    path = funnel.path(deal["data"])
    current = funnel.stage(deal["stage"])
    if current is None:
        return path
    if current.kind == LOST:
        left = funnel.stage(deal.get("closed_from") or "")
        reached = [s for s in path if s.kind == OPEN and (left is None or s.position <= left.position)]
        return [*reached, current]
    if current not in path:  # its condition no longer holds: still show where the deal is
        path = sorted([*path, current], key=lambda s: s.position)
    return path


@bp.app_template_global("stage_path")
def stage_path(deal: dict, funnel: Funnel) -> list[Step]:
    """The path's steps, each stage ahead with the fields its gates will ask for that the deal
    has not got yet (said once, at the first stage that asks for it)."""
    stages = path_stages(deal, funnel)
    at = next((i for i, s in enumerate(stages) if s.id == deal["stage"]), -1)
    asked: set[str] = set()
    steps = []
    for i, stage in enumerate(stages):
        step = Step(stage, stage_label(funnel, stage.id),
                    "done" if i < at else "current" if i == at else "ahead")
        if step.state == "ahead":
            missing = {n for n in forms.gate_required(funnel, stage, deal["data"])
                       if deal["data"].get(n) in EMPTY} - asked
            asked |= missing
            step.asks = [field_label(funnel, n) for n in forms.sort_names(funnel, sorted(missing))]
        steps.append(step)
    return steps


@bp.app_template_global("move_choices")
def move_choices(deal: dict, funnel: Funnel) -> list[Stage]:
    """The stages a "Move to…" menu offers: those the funnel's rules let the deal enter now."""
    return [funnel.stage(stage_id) for stage_id, refusal in entry_refusals(funnel, deal).items()
            if refusal is None]


@bp.app_template_global("won_closing")
def won_closing(deal: dict, funnel: Funnel) -> Closing:
    """How the page offers Won for an open deal the user may move."""
    won = funnel.won_stage
    refusal = entry_refusals(funnel, deal)[won.id]
    if refusal is not None:
        return Closing(won, blocked=forms.text_message(refusal))
    refusing, gates = preview_move(deal, funnel, won)
    return Closing(won, needs_dialog=bool(refusing or gates))

