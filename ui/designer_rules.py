"""The designer's highlight rules and assignment rule (see ui/designer.py and
:mod:`goldsieve.funnels.edit_rules`).

A highlight rule is a condition row (field, operator, value) and a style; the assignment form
offers the teams, roles, users and fields that exist, so a rule never names somebody unknown.
"""
from __future__ import annotations

from goldsieve.funnels import edit_rules
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.validation import N_
from goldsieve.limits import whole_number
from goldsieve.people.users import ROLES
from goldsieve.web.app import current_runtime

from .designer_forms import Edits, Form, condition

#: Empty value → target rows the ``by_field`` form offers after the rule's own.
SPARE_ROWS = 3


def teams() -> list[str]:
    return sorted(team["name"] for team in current_runtime().store.find("teams"))


def targets() -> list[str]:
    """Whom ``by_field`` can send a deal to: every team (round robin within it), every active user."""
    users = [u["username"] for u in current_runtime().store.find("users") if u.get("active", True)]
    return [f"team:{name}" for name in teams()] + [f"user:{name}" for name in sorted(users)]


def _position(form: Form) -> int:
    position = whole_number(form.get("position", ""))
    if position is None:
        raise EditError(N_("there is no such highlight rule"))
    return position


def _set_highlight(new: bool):
    def edit(draft: dict, form: Form) -> None:
        edit_rules.set_highlight(draft, None if new else _position(form), condition(form, "when"),
                                 form.get("style", ""))
    return edit


def _assignment(draft: dict, form: Form) -> None:
    rows = list(zip(form.getlist("map_value"), form.getlist("map_to")))
    edit_rules.set_assignment(
        draft, form.get("rule", ""), team=form.get("team", ""), role=form.get("role", ""),
        field=form.get("field", ""), rows=rows, default=form.get("default", ""),
        teams=teams(), roles=ROLES, targets=targets())


EDITS: Edits = {
    "add_highlight": _set_highlight(new=True),
    "update_highlight": _set_highlight(new=False),
    "remove_highlight": lambda d, f: edit_rules.remove_highlight(d, _position(f)),
    "raise_highlight": lambda d, f: edit_rules.raise_highlight(d, _position(f)),
    "set_assignment": _assignment,
}
