"""Bringing goldsieve's teams, team managers and users in line with a platform's org chart.

Every department below the company becomes a team (linked by the department's id in the
team's ``workplace_ids``, so a renamed department stays the same team; its name is kept as the
team's ``title``), below the team of its parent department, led by the department's leader
(a department that names none any more takes its team's manager away, when that manager is
someone from the org chart; a manager an admin chose from outside it stays).
Every active member becomes a user, linked by the platform's user id, in the team of their main
department: someone new is created with the role the declared mapping gives (their job title,
else their department or one above it, else ``default_role``) and no password (they sign in
through the platform); someone linked whose name or department changed is
changed; someone linked who is no longer in the org chart is deactivated, which ends their
sessions and API tokens. Nothing is deleted, nobody is reactivated, and a team or user that
no department or member is linked to is left alone. The changes go through the people
functions (:mod:`goldsieve.people`), so each is checked (a team never below itself, the last
admin kept) and audited, by ``sync:PLATFORM``.

:func:`plan` reads the platform and says what would change (``goldsieve workplace sync
--dry-run`` prints it); :func:`apply` carries a plan out.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..audit import audit_entry, record
from ..clock import parse_stamp, stamp
from ..errors import GoldsieveError, ValidationFailed
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..people.teams import UNCHANGED, add_team, find_team, update_team
from ..people.users import USERNAME, add_user, is_active, set_active, update_user
from ..store import Conflict, Store
from .client import Department, Member, PlatformClient, PlatformError, ident
from .signin import FIELD, link_account
from .state import read_state, write_state

log = logging.getLogger(__name__)
def _label(key: str) -> str:
    """A field's name in the diff, in the reader's language (the catalogs hold the four names)."""
    return {"parent": _("parent team"), "title": _("department name"), "team": _("team"),
            "display_name": _("display name")}[key]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class NewTeam:
    name: str
    department: Department
    parent: str | None


@dataclass
class NewUser:
    username: str
    member: Member
    role: str
    team: str | None


@dataclass
class Plan:
    """What a sync would change, in the order :func:`apply` changes it."""

    platform: str
    new_teams: list[NewTeam] = field(default_factory=list)
    #: team name → {"parent"|"title": (before, after)}, parents before children
    team_changes: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    new_users: list[NewUser] = field(default_factory=list)
    #: username → {"team"|"display_name": (before, after)}
    user_changes: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    #: team name → (manager before, manager after)
    managers: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    leavers: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_teams or self.team_changes or self.new_users or self.user_changes
                    or self.managers or self.leavers)

    def lines(self) -> list[str]:
        """The diff, one line a change, in the reader's language."""
        out = [_("+ team %(team)s (%(title)s), below %(parent)s", team=t.name, title=t.department.name,
                   parent=t.parent or "—") for t in self.new_teams]
        out += [_("~ team %(team)s: %(field)s %(before)s → %(after)s", team=name, field=_label(key),
                    before=before or "—", after=after or "—")
                for name, changes in self.team_changes.items() for key, (before, after) in changes.items()]
        out += [_("+ user %(user)s (%(name)s), %(role)s in %(team)s", user=u.username, name=u.member.name,
                    role=u.role, team=u.team or "—") for u in self.new_users]
        out += [_("~ user %(user)s: %(field)s %(before)s → %(after)s", user=name, field=_label(key),
                    before=before or "—", after=after or "—")
                for name, changes in self.user_changes.items() for key, (before, after) in changes.items()]
        out += [_("~ team %(team)s: manager %(before)s → %(after)s", team=name, before=before or "—",
                    after=after or "—") for name, (before, after) in self.managers.items()]
        out += [_("- user %(user)s: no longer in the org chart, deactivated", user=name) for name in self.leavers]
        return out


def _linked(rows: list[dict[str, Any]], platform: str) -> dict[str, dict[str, Any]]:
    return {str(row[FIELD][platform]): row for row in rows if (row.get(FIELD) or {}).get(platform)}


def _free_name(wanted: str, fallback: str, taken: set[str]) -> str:
    """``wanted`` when it is a valid name nobody has (case folded), else ``fallback`` numbered."""
    if USERNAME.match(wanted) and wanted.casefold() not in taken:
        return wanted
    base = (_UNSAFE.sub("-", fallback).strip("-._") or "x")[:56]
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _role(client: PlatformClient, member: Member, chain: list[str], names: dict[str, str]) -> str:
    """Title first, then the department and those above it, then the default."""
    settings = client.settings
    if member.title and member.title in settings.title_roles:
        return settings.title_roles[member.title]
    for dept in chain:
        if names.get(dept) in settings.department_roles:
            return settings.department_roles[names[dept]]
    return settings.default_role


def plan(store: Store, client: PlatformClient) -> Plan:
    """Read the platform's org chart and compare it with the store; writes nothing."""
    platform = client.platform
    departments = [d for d in client.departments() if ident(d.id)]
    members: dict[str, Member] = {}
    leads: dict[str, str] = {}
    for dept_id in [client.root, *(d.id for d in departments)]:
        for member in client.members(dept_id):
            if member.active and ident(member.id):
                members.setdefault(member.id, member)
                if dept_id in member.leads:
                    leads.setdefault(dept_id, member.id)
    if not members:  # an app that sees nobody (its visibility scope) must not deactivate everybody
        raise PlatformError(f"{client.label} lists no members: check the app's visibility scope "
                            "(通讯录权限范围 / 可见范围); nothing was changed")
    for dept in departments:
        for leader in dept.leaders:
            if leader in members:
                leads.setdefault(dept.id, leader)
    result = Plan(platform)
    teams = store.find("teams")
    team_of = {dept: row["name"] for dept, row in _linked(teams, platform).items()}
    taken = {t["name"].casefold() for t in teams}
    team_by_name = {t["name"]: t for t in teams}  # read once: plan() writes nothing
    for dept in departments:  # parents first, so a parent's team is named before its children's
        parent = team_of.get(dept.parent) if dept.parent else None
        if dept.id not in team_of:
            name = _free_name(dept.name, f"{platform}-{dept.id}", taken)
            taken.add(name.casefold())
            team_of[dept.id] = name
            result.new_teams.append(NewTeam(name, dept, parent))
            continue
        row = team_by_name[team_of[dept.id]]
        changes = {key: (row.get(key), value) for key, value in (("parent", parent), ("title", dept.name))
                   if row.get(key) != value}
        if changes:
            result.team_changes[row["name"]] = changes
    users = store.find("users")
    user_of = _linked(users, platform)
    taken = {u["username"].casefold() for u in users}
    parents = {d.id: d.parent for d in departments}
    names = {d.id: d.name for d in departments}
    username_of: dict[str, str] = {}
    for member in members.values():
        main = next((d for d in member.departments if d in team_of), None)
        team = team_of.get(main) if main else None
        existing = user_of.get(member.id)
        if existing is None:
            chain, at = [], main
            while at and at not in chain:
                chain.append(at)
                at = parents.get(at)
            username = _free_name(member.id, f"{platform}-{member.id}", taken)
            taken.add(username.casefold())
            result.new_users.append(NewUser(username, member, _role(client, member, chain, names), team))
            username_of[member.id] = username
            continue
        username_of[member.id] = existing["username"]
        if not is_active(existing):
            continue  # deactivated in goldsieve: an admin's decision the sync does not undo
        changes = {key: (existing.get(key), value) for key, value in (("team", team), ("display_name", member.name))
                   if existing.get(key) != value}
        if changes:
            result.user_changes[existing["username"]] = changes
    from_chart = {row["username"] for row in user_of.values()}
    for dept in departments:
        manager = username_of.get(leads.get(dept.id, ""))
        row = team_by_name.get(team_of[dept.id])
        before = row.get("manager") if row else None
        if manager and manager != before:
            result.managers[team_of[dept.id]] = (before, manager)
        elif manager is None and before in from_chart:  # the department lost its leader
            result.managers[team_of[dept.id]] = (before, None)
    result.leavers = sorted(row["username"] for external, row in user_of.items()
                            if external not in members and is_active(row))
    return result


def apply(store: Store, client: PlatformClient, planned: Plan) -> list[str]:
    """Carry ``planned`` out, change by change (each checked and audited on its own); returns
    what could not be done (the last active admin is not deactivated, say)."""
    actor = f"sync:{planned.platform}"
    problems: list[str] = []
    for new in planned.new_teams:
        add_team(store, new.name, parent=new.parent, actor=actor)
        _link_team(store, new.name, planned.platform, new.department, actor)
    for name, changes in planned.team_changes.items():
        if "parent" in changes:
            update_team(store, name, parent=changes["parent"][1], actor=actor)
        if "title" in changes:
            _link_team(store, name, planned.platform, None, actor, title=changes["title"][1])
    for new in planned.new_users:
        add_user(store, new.username, new.role, None, team=new.team, display_name=new.member.name, actor=actor)
        link_account(store, new.username, planned.platform, new.member.id, actor=actor)
    for username, changes in planned.user_changes.items():
        update_user(store, username, team=changes["team"][1] if "team" in changes else UNCHANGED,
                    display_name=changes["display_name"][1] if "display_name" in changes else UNCHANGED,
                    actor=actor)
    for name, (_before, manager) in planned.managers.items():
        update_team(store, name, manager=manager, actor=actor)
    for username in planned.leavers:
        try:
            set_active(store, username, False, actor=actor)
        except ValidationFailed as error:
            problems.append(f"{username}: {error}")
    _remember_run(store, planned.platform, client.clock())
    return problems


def _link_team(store: Store, name: str, platform: str, department: Department | None, actor: str,
               title: str | None = None) -> None:
    """Record a team's department id and name (audited as the team's change)."""
    team = find_team(store, name)
    changed = {**team, "title": title if department is None else department.name}
    if department is not None:
        changed[FIELD] = {**(team.get(FIELD) or {}), platform: department.id}
    with store.transaction() as txn:
        txn.replace("teams", changed)
        record(txn, audit_entry(actor, "team_changed", "team", name, {
            key: [team.get(key), changed.get(key)] for key in ("title", FIELD) if team.get(key) != changed.get(key)}))


# --- the schedule ------------------------------------------------------------------------------


def _remember_run(store: Store, platform: str, now: datetime) -> None:
    """Note when the platform was last synced, for every worker sharing the store."""
    key = f"synced:{platform}"
    try:
        with store.transaction() as txn:
            write_state(txn, key, read_state(store, key), {"at": stamp(now)})
    except Conflict:
        pass  # another process noted its sync at the same moment: the time is as good


def sync_due(store: Store, client: PlatformClient, now: datetime) -> bool:
    """Whether the worker should sync ``client``'s platform now: ``sync_hours`` have passed
    since the last sync, by whoever ran it."""
    hours = client.settings.sync_hours
    if hours is None:
        return False
    row = read_state(store, f"synced:{client.platform}")
    return row is None or now - parse_stamp(row["at"]) >= timedelta(hours=hours)


def scan_syncs(store: Store, clients: dict[str, PlatformClient], now: datetime) -> int:
    """The worker's part: sync each platform that is due; returns how many changes were made.
    A platform that fails (unreachable, a refused token) is logged and tried at the next scan."""
    made = 0
    for client in clients.values():
        if not sync_due(store, client, now):
            continue
        try:
            planned = plan(store, client)
            problems = apply(store, client, planned)
        except GoldsieveError as error:
            log.warning("the %s org sync failed: %s", client.label, error)
            continue
        for problem in problems:
            log.warning("the %s org sync left out %s", client.label, problem)
        made += len(planned.lines()) - len(problems)
    return made
