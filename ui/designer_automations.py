"""The designer's automation editor: trigger, stage or field, condition and actions (see ui/designer.py).

The inputs of an action come from its declared parameter schema
(:func:`goldsieve.funnels.edit_automations.param_inputs`): the add form has one fieldset per
action, named ``ACTION.PARAM``, and only the chosen action's fieldset is read. Whom to notify is
picked from the recipients that exist: owner, manager, every role, team and active user.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from goldsieve.funnels import edit_automations
from goldsieve.funnels.edit import EditError, fields_of
from goldsieve.funnels.validation import N_
from goldsieve.limits import whole_number
from goldsieve.people.users import ROLES
from goldsieve.plugin_manager import actions
from goldsieve.schemas import meta_schema
from goldsieve.web.app import current_runtime

from .designer_forms import Edits, Form, condition


def registered() -> dict[str, Any]:
    """The actions plugins register (``goldsieve_actions``), by name."""
    return dict(sorted(actions(current_runtime().pm).items()))


def triggers() -> list[str]:
    """The automation triggers the funnel meta-schema allows."""
    return list(meta_schema()["$defs"]["automation"]["properties"]["on"]["enum"])


def forms() -> dict[str, list[edit_automations.ParamInput]]:
    """Each action's parameter inputs, for the templates."""
    return {name: edit_automations.param_inputs(action.params) for name, action in registered().items()}


def recipients() -> list[tuple[str, str]]:
    """Whom an automation can notify: ``(value, label)`` for the owner, the manager, each role,
    team and active user of the workspace."""
    store = current_runtime().store
    found = [("owner", _("the deal's owner")), ("manager", _("the owner's manager"))]
    found += [(f"role:{role}", _("everyone with the role %(role)s", role=role)) for role in ROLES]
    found += [(f"team:{team['name']}", _("the team %(team)s", team=team["name"]))
              for team in sorted(store.find("teams"), key=lambda t: t["name"])]
    found += [(f"user:{user['username']}", user.get("display_name") or user["username"])
              for user in sorted(store.find("users"), key=lambda u: u["username"]) if user.get("active", True)]
    return found


def _step(draft: dict, form: Form) -> dict[str, Any]:
    """The chosen action with the parameters its own fieldset sent."""
    name = form.get("action", "")
    action = registered().get(name)
    if action is None:
        raise EditError(N_("unknown action “%(action)s”"), action=name[:40])
    sent = {spec.name: form.getlist(f"{name}.{spec.name}") for spec in forms()[name]}
    return edit_automations.read_params(action, sent, fields_of(draft))


def _add(draft: dict, form: Form) -> None:
    step = _step(draft, form)
    edit_automations.add_automation(
        draft, form.get("id", ""), form.get("on", ""), triggers(), stage=form.get("stage", ""),
        field=form.get("field", ""), condition=condition(form, "if"), step=step)


def _remove_action(draft: dict, form: Form) -> None:
    position = whole_number(form.get("position", ""))
    edit_automations.remove_action(draft, form.get("id", ""), -1 if position is None else position)


EDITS: Edits = {
    "add_automation": _add,
    "remove_action": _remove_action,
    "remove_automation": lambda d, f: edit_automations.remove_automation(d, f.get("id", "")),
}
