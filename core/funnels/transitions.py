"""The transition policy: which stage a deal may move to from where it is, ignoring gates.

Its refusals are said in words (:meth:`~goldsieve.errors.Violation.of`) naming stages by their
titles, so the API says them in English and the command line and the pages in their reader's
language.
"""
from __future__ import annotations

from ..errors import Violation
from ..locales import N_
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
    if deal["status"] != OPEN:
        return [Violation.of("/to", "closed", N_("This deal is closed; reopen it before moving it."))]
    if target.id == deal["stage"]:
        return [Violation.of("/to", "same_stage", N_("The deal is already in “%(stage)s”."), stage=titled(target))]
    if target.kind == LOST:
        return []
    if target not in path:
        return [not_applicable(target)]
    current = funnel.stage(deal["stage"])
    if current is None:  # the deal's stage vanished from its funnel version: only forward moves
        return []
    if target.position < current.position:
        if not funnel.allow_back:
            return [Violation.of("/to", "back", N_("This funnel does not allow moving a deal back."))]
        return []
    if not funnel.allow_skip:
        following = following_stage(funnel, deal, path)
        if following is not None and following is not target:
            return [Violation.of("/to", "skip", N_("The deal must pass through “%(stage)s” before “%(target)s”."),
                                 stage=titled(following), target=titled(target))]
    return []


def titled(stage: Stage) -> str | dict[str, str]:
    """A stage as a refusal names it: its title in every language it has, else its id."""
    return stage.title or stage.id


def unknown_stage(stage_id: object) -> Violation:
    """The refusal of a stage id the funnel does not have."""
    return Violation.of("/to", "unknown_stage", N_("There is no stage “%(stage)s”."), stage=stage_id,
                        value=stage_id)


def not_applicable(target: Stage) -> Violation:
    """The refusal of a stage whose ``applies_when`` leaves this deal out."""
    return Violation.of("/to", "not_applicable", N_("“%(stage)s” does not apply to this deal (see its conditions)."),
                        stage=titled(target))


def reopen_violations(funnel: Funnel, deal: dict, target: Stage) -> list[Violation]:
    """Why a closed deal may not be reopened into ``target`` (empty: allowed)."""
    if deal["status"] == OPEN:
        return [Violation.of("/to", "not_closed", N_("Only a won or lost deal can be reopened."))]
    if not funnel.allow_reopen:
        return [Violation.of("/to", "no_reopen", N_("This funnel does not allow reopening closed deals."))]
    if target.kind != OPEN:
        return [Violation.of("/to", "not_open", N_("“%(stage)s” is not an open stage."), stage=titled(target))]
    return []
