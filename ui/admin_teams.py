"""Admin pages for teams: the hierarchy as a tree, adding a team, changing its parent and
manager.

The kernel (``goldsieve.people.teams``) refuses cycles and unknown teams or users, field by field,
and audits every change with the admin as actor; a refused form comes back with 422 and its
messages, and nothing is written. Plain forms: they work without JavaScript.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.people.teams import add_team, find_team, tree, update_team
from goldsieve.web.app import current_runtime

from .admin import admins_only
from .people_forms import optional, submit

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
    store = current_runtime().store
    users = sorted(store.find("users"), key=lambda u: u["username"])
    return {"flat": tree(store), "people": {u["username"]: u for u in users}}


@bp.get("")
def index(errors: dict | None = None, status: int = 200):
    """The team tree with each manager, and the form that adds a team."""
    page = render_template("admin/teams.html", nodes=nested(current_runtime().store),
                           errors=errors or {}, form=request.form if errors else {},
                           **_choices())
    return page, status


@bp.post("")
def add():
    name = request.form.get("name", "").strip()

    def write() -> None:
        add_team(current_runtime().store, name, parent=request.form.get("parent") or None,
                 manager=request.form.get("manager") or None, actor=g.user["username"])

    return submit(write, lambda errors: index(errors, 422),
                  _("Added the team %(name)s.", name=name), url_for(".index"))


@bp.get("/<name>")
def edit(name: str, errors: dict | None = None, status: int = 200):
    team = find_team(current_runtime().store, name)
    if team is None:
        abort(404)
    return render_template("admin/team.html", team=team, errors=errors or {},
                           form=request.form if errors else {}, **_choices()), status


@bp.post("/<name>")
def save(name: str):
    if find_team(current_runtime().store, name) is None:
        abort(404)

    def write() -> None:
        update_team(current_runtime().store, name, parent=optional("parent"),
                    manager=optional("manager"), actor=g.user["username"])

    return submit(write, lambda errors: edit(name, errors, 422),
                  _("Saved the team %(name)s.", name=name), url_for(".edit", name=name))
