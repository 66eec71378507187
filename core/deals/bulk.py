"""Bulk changes (docs/deal-list.md): one change — give to an owner, move to a stage, set a
field, add a task — applied to many deals, each through the engine exactly as a single change is.

Nothing here decides what may happen to a deal: each deal is changed by the same call a single
change makes (:func:`.reassign.assign_deal`, :meth:`Engine.move`, :meth:`Engine.update`,
:func:`.task_changes.create_task`), so its
visibility, permissions, gates, version check, events, audit row, automations and notifications
are those of one change. A deal that cannot take the change is reported with the engine's own
violations (a deal the user cannot see: ``not_found``, as for one that does not exist) and
nothing is written for it; the others are changed (``each``). ``all`` (all or nothing) first asks
the engine about every deal without writing (``check_only``) and changes none when any would be
refused. Deals are written one transaction each, so a deal changed by someone else between the
check and the write is still refused alone (a version conflict) — reported like any refusal.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Forbidden, NotFound, ValidationFailed, Violation
from ..store import Conflict
from . import listing
from .reassign import assign_deal
from .task_changes import create_task

if TYPE_CHECKING:
    from .engine import Engine

ACTIONS = ("assign", "move", "set", "task")
MODES = ("each", "all")
#: The most deals one bulk change takes (a list's "all that match" included).
MAX_BULK = 1000


@dataclass(frozen=True)
class Change:
    """What to do to each deal: ``assign`` (``owner``), ``move`` (``to``, ``lost_reason`` for a
    lost stage), ``set`` (``field`` to ``value``; ``None`` removes it) or ``task`` (add a task
    ``title``, ``due`` optional, for ``assignee``, by default the user)."""

    action: str
    owner: str | None = None
    to: str | None = None
    lost_reason: str | None = None
    field: str | None = None
    value: Any = None
    title: str | None = None
    due: str | None = None
    assignee: str | None = None


@dataclass
class Outcome:
    """One deal's result: changed (``deal`` as it is now), or refused with ``problems``; under
    ``all``, a deal that could take the change but was not changed has ``changed`` false and no
    problems."""

    deal_id: int
    changed: bool
    problems: list[Violation] = field(default_factory=list)
    deal: dict[str, Any] | None = None


def matching(engine: Engine, user: dict, criteria: listing.Criteria) -> list[int]:
    """The ids of the deals a list with ``criteria`` shows, newest first: at most one more than
    a bulk change takes, so that too many is refused rather than silently cut short."""
    found: list[int] = []
    for deal in listing.every(engine, user, criteria):
        found.append(deal["id"])
        if len(found) > MAX_BULK:
            break
    return found


def change_problems(change: Change) -> list[Violation]:
    """What is wrong with the change itself, before any deal is looked at."""
    if change.action not in ACTIONS:
        return [Violation("/action", "enum", f"action is one of: {', '.join(ACTIONS)}.")]
    needed = {"assign": ("owner", change.owner), "move": ("to", change.to), "set": ("field", change.field),
              "task": ("title", change.title)}
    name, value = needed[change.action]
    if not isinstance(value, str) or not value:
        return [Violation(f"/{name}", "required", f"A bulk {change.action} needs “{name}”.")]
    return []


def apply(engine: Engine, user: dict, deal_ids: Iterable[int], change: Change, *,
          mode: str = "each", versions: dict[int, int] | None = None,
          progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Apply ``change`` to each deal (in the given order, each id once) for ``user``.

    :param versions: the version each deal was read at (a page's or a client's); a deal at
        another version is refused with ``conflict``, as a single change would be.
    :param progress: told how many deals are done so far, after each one.
    :raises ValidationFailed: the change itself is wrong, or more than :data:`MAX_BULK` deals.
    """
    problems = change_problems(change)
    ids = list(dict.fromkeys(deal_ids))
    if len(ids) > MAX_BULK:
        problems.append(Violation("/deals", "maxItems", f"At most {MAX_BULK} deals at once."))
    if not ids:
        problems.append(Violation("/deals", "required", "Choose at least one deal."))
    if problems:
        raise ValidationFailed(problems)
    versions = versions or {}
    if mode == "all":
        checked = [_one(engine, user, id, change, versions.get(id), check_only=True) for id in ids]
        if any(o.problems for o in checked):
            return checked
    outcomes = []
    for done, deal_id in enumerate(ids, 1):
        outcomes.append(_one(engine, user, deal_id, change, versions.get(deal_id)))
        if progress is not None:
            progress(done)
    return outcomes


def _one(engine: Engine, user: dict, deal_id: int, change: Change, version: int | None,
         check_only: bool = False) -> Outcome:
    try:
        if change.action == "assign":
            deal = assign_deal(engine, user, deal_id, change.owner, version, check_only=check_only)
        elif change.action == "move":
            deal = engine.move(user, deal_id, change.to, version=version, lost_reason=change.lost_reason,
                               check_only=check_only)
        elif change.action == "set":
            deal = engine.update(user, deal_id, {change.field: change.value}, version=version,
                                 check_only=check_only)
        else:  # a task changes no deal, yet a page's version still says what it was read at
            engine.expect_version(engine.get(user, deal_id), version)
            create_task(engine, user, deal_id, change.title, change.assignee, change.due, check_only=check_only)
            deal = engine.get(user, deal_id)
    except NotFound:
        return Outcome(deal_id, False, [Violation("", "not_found", f"There is no deal {deal_id} you can see.")])
    except Forbidden as error:
        return Outcome(deal_id, False, [Violation("", "forbidden", str(error))])
    except Conflict as error:
        return Outcome(deal_id, False, [Violation("/version", "conflict",
                                                  f"Deal {deal_id} changed meanwhile (now version {error.actual}).")])
    except ValidationFailed as error:
        return Outcome(deal_id, False, list(error.violations))
    return Outcome(deal_id, not check_only, [], deal)
