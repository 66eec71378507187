"""Teams: a hierarchy of named teams, each with an optional parent and manager.

A team is a document ``{name, parent, manager}`` in the store's ``teams`` table; a user belongs
to at most one team (the user's ``team``). Sub-teams hang below a team through ``parent``, and
no team may be its own ancestor: a change that would close a loop is refused. Every change is
checked completely first and writes nothing when anything is wrong.

The visibility rules read the hierarchy through :func:`team_scope`: the usernames whose deals a
``team``-scoped user sees.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..audit import audit_entry, diff, record
from ..clock import stamp, utc_now
from ..errors import ValidationFailed, Violation
from ..locales import N_
from ..store import Store
from ..store.filters import Eq, In

UNCHANGED: Any = object()  # "leave this as it is" for :func:`update_team`


def find_team(store: Store, name: str) -> dict[str, Any] | None:
    rows = store.find("teams", Eq("name", name), limit=1) if isinstance(name, str) else []
    return rows[0] if rows else None


def _user_exists(store: Store, username: str) -> bool:
    return store.count("users", Eq("username", username)) > 0


def _name_problems(store: Store, name: object) -> list[Violation]:
    from .users import USERNAME  # the same rule as for user names: safe in URLs and CLI output

    if not isinstance(name, str) or not USERNAME.match(name):
        return [Violation.of("/name", "pattern", N_("Use 1–64 letters, digits, dots, dashes or underscores."))]
    if find_team(store, name):
        return [Violation.of("/name", "unique", N_("The team “%(name)s” already exists."), name=name)]
    return []


def _parent_problems(store: Store, name: str, parent: str | None) -> list[Violation]:
    if parent is None:
        return []
    if parent == name:
        return [Violation.of("/parent", "cycle", N_("The team “%(name)s” cannot be its own parent."), name=name)]
    if find_team(store, parent) is None:
        return [Violation.of("/parent", "unknown_team", N_("There is no team “%(name)s”."), name=parent)]
    parents = {t["name"]: t.get("parent") for t in store.find("teams")}
    if name in ancestors(parents, parent):
        return [Violation.of("/parent", "cycle", N_("“%(parent)s” is below “%(name)s”; a team cannot be its "
                                                    "own ancestor."), parent=parent, name=name)]
    return []


def _manager_problems(store: Store, manager: str | None) -> list[Violation]:
    from .users import unknown_user  # users imports this module

    if manager is not None and not _user_exists(store, manager):
        return [unknown_user("/manager", manager)]
    return []


def add_team(store: Store, name: str, parent: str | None = None,
             manager: str | None = None, *, actor: str | None = None) -> dict[str, Any]:
    """Create a team below ``parent`` (if given) led by ``manager`` (an existing user)."""
    problems = _name_problems(store, name)
    if not problems:
        problems += _parent_problems(store, name, parent)
    problems += _manager_problems(store, manager)
    if problems:
        raise ValidationFailed(problems)
    team = {"name": name, "parent": parent, "manager": manager, "created_at": stamp(utc_now())}
    with store.transaction() as txn:
        txn.insert("teams", team)
        record(txn, audit_entry(actor or "cli", "team_added", "team", name,
                                diff({}, team, ("parent", "manager")), team["created_at"]))
    return team


def update_team(store: Store, name: str, *, parent: str | None = UNCHANGED,
                manager: str | None = UNCHANGED, actor: str | None = None) -> dict[str, Any]:
    """Move a team below another parent (``None``: to the top) and/or change its manager."""
    team = find_team(store, name)
    if team is None:
        raise ValidationFailed([Violation.of("/name", "unknown_team", N_("There is no team “%(name)s”."), name=name)])
    problems = []
    if parent is not UNCHANGED:
        problems += _parent_problems(store, name, parent)
    if manager is not UNCHANGED:
        problems += _manager_problems(store, manager)
    if problems:
        raise ValidationFailed(problems)
    changed = dict(team)
    if parent is not UNCHANGED:
        changed["parent"] = parent
    if manager is not UNCHANGED:
        changed["manager"] = manager
    if changed != team:
        with store.transaction() as txn:
            txn.replace("teams", changed)
            record(txn, audit_entry(actor or "cli", "team_changed", "team", name,
                                    diff(team, changed, ("parent", "manager"))))
    return changed


def ancestors(parents: dict[str, str | None], name: str) -> list[str]:
    """``name`` and the teams above it, nearest first (stops at a loop, should one exist)."""
    chain: list[str] = []
    while name is not None and name not in chain:
        chain.append(name)
        name = parents.get(name)
    return chain


def subtree(teams: Iterable[dict[str, Any]], roots: Iterable[str]) -> set[str]:
    """The ``roots`` and every team below them, at any depth."""
    children: dict[str | None, list[str]] = {}
    for team in teams:
        children.setdefault(team.get("parent"), []).append(team["name"])
    found: set[str] = set()
    todo = [root for root in roots if root]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(children.get(name, ()))
    return found


def team_scope(store: Store, user: dict[str, Any]) -> set[str]:
    """The usernames whose deals a team-scoped ``user`` sees: themselves and every member of
    their own team, of each team they manage, and of all the teams below those."""
    username = user["username"]
    teams = store.find("teams")
    roots = {t["name"] for t in teams if t.get("manager") == username}
    if user.get("team"):
        roots.add(user["team"])
    names = subtree(teams, roots)
    members = store.find("users", In("team", tuple(sorted(names)))) if names else []
    return {username} | {m["username"] for m in members}


def tree(store: Store) -> list[tuple[int, dict[str, Any]]]:
    """Every team with its depth, each parent before its children, siblings by name."""
    teams = sorted(store.find("teams"), key=lambda t: t["name"])
    children: dict[str | None, list[dict]] = {}
    known = {t["name"] for t in teams}
    for team in teams:
        parent = team.get("parent") if team.get("parent") in known else None
        children.setdefault(parent, []).append(team)
    out: list[tuple[int, dict[str, Any]]] = []

    def walk(parent: str | None, depth: int) -> None:
        for team in children.get(parent, ()):
            out.append((depth, team))
            walk(team["name"], depth + 1)

    walk(None, 0)
    return out
