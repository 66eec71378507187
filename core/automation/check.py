"""Checking a funnel's automations against what is installed and configured.

The semantic pass of :mod:`goldsieve.funnels.check` knows only the file; whether an action exists
depends on the plugins, and whether a channel exists on the workspace's ``goldsieve.toml``. This
pass gets both and reports, at JSON pointers into the definition: unknown actions, action
parameters their schema refuses, unknown channels, unknown roles in recipients, unknown fields
for ``set_field`` and unknown placeholders in message templates. It runs in ``goldsieve check``
and when a runtime loads the workspace's funnels; its findings are worded as the funnel check's
are, in the reader's language (:data:`goldsieve.locales.reader`).
"""
from __future__ import annotations

import string
from typing import Any, Iterator

from ..funnels.check import Finding, _did_you_mean, _explain, _listing, known
from ..locales import N_, say
from ..people.users import ROLES
from .actions import Action

#: Names every message template may use besides the funnel's fields.
DEAL_KEYS = ("title", "owner", "id", "stage", "funnel", "status")


def automation_findings(definition: dict[str, Any], actions: dict[str, Action],
                        channels: set[str] | None) -> list[Finding]:
    """Findings about the automations of a valid definition; ``channels`` ``None``: not checked."""
    fields = list(definition["fields"].get("properties", {}))
    found: list[Finding] = []
    for i, automation in enumerate(definition.get("automations", [])):
        for j, spec in enumerate(automation["do"]):
            found += _check_action(f"/automations/{i}/do/{j}", spec, actions, channels, fields)
    return found


def _check_action(where: str, spec: dict[str, Any], actions: dict[str, Action],
                  channels: set[str] | None, fields: list[str]) -> Iterator[Finding]:
    name = spec["action"]
    action = actions.get(name)
    if action is None:
        yield Finding(f"{where}/action", say(N_("`%(name)s` is not an action of the installed plugins"), name=name),
                      _did_you_mean(name, actions)
                      or say(N_("the actions are: %(actions)s"), actions=_listing(sorted(actions))))
        return
    params = {k: v for k, v in spec.items() if k != "action"}
    for error in action.validator.iter_errors(params):
        for finding in _explain(error):
            yield Finding(where + finding.pointer, finding.message, finding.hint)
    if channels is not None and isinstance(params.get("channel"), str) and params["channel"] not in channels:
        yield Finding(f"{where}/channel", say(N_("`%(name)s` is not a channel of this workspace"),
                                              name=params["channel"]),
                      _did_you_mean(params["channel"], channels)
                      or say(N_("configure it in goldsieve.toml as [channels.%(name)s]"), name=params["channel"]))
    for key in ("to", "assignee"):
        targets = params.get(key)
        for k, target in enumerate([targets] if isinstance(targets, str) else targets or []):
            prefix, _, role = str(target).partition(":")
            if prefix == "role" and role not in ROLES:
                pointer = f"{where}/{key}" + ("" if isinstance(targets, str) else f"/{k}")
                yield Finding(pointer, say(N_("`%(role)s` is not a role"), role=role), _did_you_mean(role, ROLES)
                              or say(N_("the roles are: %(roles)s"), roles=_listing(ROLES)))
    if name == "set_field" and isinstance(params.get("field"), str):
        yield from known(params["field"], f"{where}/field", fields, "field")
    for key in ("message", "title", "task"):
        for text in _texts(params.get(key)):
            for placeholder in _placeholders(text):
                if placeholder not in fields and placeholder not in DEAL_KEYS:
                    yield Finding(f"{where}/{key}", say(N_("`{%(name)s}` is not a field of this funnel"),
                                                        name=placeholder),
                                  _did_you_mean(placeholder, [*fields, *DEAL_KEYS])
                                  or say(N_("use a field name or one of %(keys)s"), keys=_listing(DEAL_KEYS)),
                                  "warning")


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    return []


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name]
    except ValueError:
        return []
