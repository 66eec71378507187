"""Admin pages for teams: the hierarchy as a tree, adding a team, changing its parent and
manager.

The kernel (``goldsieve.teams``) refuses cycles and unknown teams or users, field by field,
and audits every change with the admin as actor; a refused form comes back with 422 and its
messages, and nothing is written. Plain forms: they work without JavaScript.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.errors import ValidationFailed
from goldsieve.teams import UNCHANGED, add_team, find_team, tree, update_team

from .admin import admins_only
from .auth import runtime
from .people_errors import by_field

bp = Blueprint("admin_teams", __name__, url_prefix="/admin/teams")
bp.before_request(admins_only)


def nested(store) -> list[dict[str, Any]]:
    """The teams as nodes ``{team, children}``, for a tree of nested lists."""
    nodes: list[dict[str, Any]] = []
    stack: list[tuple[int, list]] = [(-1, nodes)]
    for depth, team in tree(store):
        while stack[-1][0] >= depth:
            stack.pop()
        node = {"team": team, "children": []}
        stack[-1][1].append(node)
        stack.append((depth, node["children"]))
    return nodes


def _choices() -> dict[str, Any]:
    store = runtime().store
    users = sorted(store.find("users"), key=lambda u: u["username"])
    return {"flat": tree(store), "people": {u["username"]: u for u in users}}


def _optional(field: str) -> Any:
    """A select's value: absent leaves the team as it is, empty means none."""
    return request.form.get(field) or None if field in request.form else UNCHANGED


@bp.get("")
def index(errors: dict | None = None, status: int = 200):
    """The team tree with each manager, and the form that adds a team."""
    page = render_template("admin/teams.html", nodes=nested(runtime().store),
                           errors=errors or {}, form=request.form if errors else {},
                           **_choices())
    return page, status


@bp.post("")
def add():
    try:
        team = add_team(runtime().store, request.form.get("name", "").strip(),
                        parent=request.form.get("parent") or None,
                        manager=request.form.get("manager") or None, actor=g.user["username"])
    except ValidationFailed as refused:
        return index(by_field(refused.violations), 422)
    flash(_("Added the team %(name)s.", name=team["name"]))
    return redirect(url_for(".index"), 303)


@bp.get("/<name>")
def edit(name: str, errors: dict | None = None, status: int = 200):
    team = find_team(runtime().store, name)
    if team is None:
        abort(404)
    return render_template("admin/team.html", team=team, errors=errors or {},
                           form=request.form if errors else {}, **_choices()), status


@bp.post("/<name>")
def save(name: str):
    if find_team(runtime().store, name) is None:
        abort(404)
    try:
        update_team(runtime().store, name, parent=_optional("parent"),
                    manager=_optional("manager"), actor=g.user["username"])
    except ValidationFailed as refused:
        return edit(name, by_field(refused.violations), 422)
    flash(_("Saved the team %(name)s.", name=name))
    return redirect(url_for(".edit", name=name), 303)
