"""The transition policy: which stage a deal may move to from where it is, ignoring gates."""
from __future__ import annotations

from ..errors import Violation
from .model import LOST, OPEN, Funnel, Stage


def transition_violations(funnel: Funnel, deal: dict, target: Stage, data: dict) -> list[Violation]:
    """Why the funnel's rules forbid this move, as violations at ``/to`` (empty: allowed).

    ``data`` is the deal's data as it will be after the move, because ``applies_when`` (and so
    the deal's path) depends on it.
    """
    return _refusals(funnel, deal, target, funnel.path(data))


def entry_refusals(funnel: Funnel, deal: dict) -> dict[str, Violation | None]:
    """For every stage of the funnel, why the deal cannot enter it now (``None``: it may).

    The one answer the board's move menu, the deal page's menu and stage path and the gate
    dialog share, so none of them offers a move the engine refuses; the deal's path is worked
    out once for all the stages.
    """
    path = funnel.path(deal["data"])
    return {s.id: next(iter(_refusals(funnel, deal, s, path)), None) for s in funnel.stages}


def following_stage(funnel: Funnel, deal: dict, path: list[Stage]) -> Stage | None:
    """The stage after the deal's on ``path``: the one a funnel without skipping asks for next."""
    current = funnel.stage(deal["stage"])
    if current is None:
        return None
    return next((s for s in path if s.position > current.position), None)


def _refusals(funnel: Funnel, deal: dict, target: Stage, path: list[Stage]) -> list[Violation]:
    def refuse(code: str, message: str) -> list[Violation]:
        return [Violation("/to", code, message)]

    if deal["status"] != OPEN:
        return refuse("closed", f"The deal is {deal['status']}; reopen it before moving it.")
    if target.id == deal["stage"]:
        return refuse("same_stage", f"The deal is already in “{target.label()}”.")
    if target.kind == LOST:
        return []
    if target not in path:
        return refuse(
            "not_applicable", f"“{target.label()}” does not apply to this deal (see its conditions)."
        )
    current = funnel.stage(deal["stage"])
    if current is None:  # the deal's stage vanished from its funnel version: only forward moves
        return []
    if target.position < current.position:
        if not funnel.allow_back:
            return refuse("back", "This funnel does not allow moving a deal back.")
        return []
    if not funnel.allow_skip:
        following = following_stage(funnel, deal, path)
        if following is not None and following is not target:
            return refuse(
                "skip",
                f"The deal must pass through “{following.label()}” before “{target.label()}”.",
            )
    return []


def reopen_violations(funnel: Funnel, deal: dict, target: Stage) -> list[Violation]:
    """Why a closed deal may not be reopened into ``target`` (empty: allowed)."""
    if deal["status"] == OPEN:
        return [Violation("/to", "not_closed", "Only a won or lost deal can be reopened.")]
    if not funnel.allow_reopen:
        return [Violation("/to", "no_reopen", "This funnel does not allow reopening closed deals.")]
    if target.kind != OPEN:
        return [Violation("/to", "not_open", f"“{target.label()}” is not an open stage.")]
    return []
