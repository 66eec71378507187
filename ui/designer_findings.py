"""Where in the designer a check or lint finding belongs: the part whose form fixes it.

A finding points into the JSON (``/stages/3/gate/required/0``); the designer shows it inside
the stage, field, automation or lost-reason editor that pointer falls in, and names that part by
its title (“Stage “Quote””) instead of the pointer.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from flask_babel import gettext as _

from goldsieve.funnels.check import Finding

from .i18n import text

#: The part a finding belongs to: ``("stage", id)``, ``("field", name)``, ``("automation", id)``,
#: ``("stages", "")`` (the list as a whole), ``("lost_reasons", "")``, ``("highlight", position)``
#: (``""``: the list), ``("assignment", "")`` or ``("funnel", "")``.
Part = tuple[str, str]


def part_of(definition: dict[str, Any], pointer: str) -> Part:
    """The part of the designer whose form fixes what ``pointer`` points at."""
    steps = [step.replace("~1", "/").replace("~0", "~") for step in pointer.split("/")[1:]]
    head = steps[0] if steps else ""
    if head in ("stages", "automations") and len(steps) > 1 and steps[1].isdecimal():
        items = definition.get(head) or []
        index = int(steps[1])
        if index < len(items) and isinstance(items[index], dict):
            return head[:-1], str(items[index].get("id", ""))
    if head == "targets" and len(steps) > 1:
        ids = [s.get("id") for s in definition.get("stages", []) if isinstance(s, dict)]
        return ("stage", steps[1]) if steps[1] in ids else ("funnel", "")
    if head == "fields" and len(steps) > 2 and steps[1] == "properties":
        return "field", steps[2]
    if head == "fields" and len(steps) > 2 and steps[1] == "required" and steps[2].isdecimal():
        required = definition.get("fields", {}).get("required", [])
        index = int(steps[2])
        return ("field", str(required[index])) if index < len(required) else ("funnel", "")
    if head == "ui" and len(steps) > 2 and steps[1] in ("widgets", "help"):
        return "field", steps[2]
    if head == "lost_reasons":
        return "lost_reasons", ""
    if head == "highlight":
        return "highlight", steps[1] if len(steps) > 1 and steps[1].isdecimal() else ""
    if head == "assignment":
        return "assignment", ""
    if head == "stages":  # the list as a whole: how many, which kinds
        return "stages", ""
    return "funnel", ""


def label(definition: dict[str, Any], part: Part) -> str:
    """A part as the person knows it: by its title, in their language."""
    kind, key = part
    if kind == "stage":
        stage = next((s for s in definition.get("stages", []) if s.get("id") == key), {})
        return _("Stage “%(title)s”", title=text(stage.get("title")) or key)
    if kind == "field":
        return _("Field “%(title)s”", title=field_titles(definition, [key]))
    if kind == "automation":
        return _("Automation “%(id)s”", id=key)
    if kind == "lost_reasons":
        return _("Lost reasons")
    if kind == "highlight":
        return _("Highlight rule %(number)s", number=int(key) + 1) if key else _("Highlighting")
    if kind == "assignment":
        return _("Assigning new leads")
    if kind == "stages":
        return _("Stages")
    return _("The funnel")


def field_titles(definition: dict[str, Any], names: Iterable[str]) -> str:
    """Field names as the person reads them: their titles, in their language, comma-separated."""
    fields = definition.get("fields", {}).get("properties", {})
    return ", ".join(text(fields.get(name, {}).get("title")) or str(name) for name in names)


def placed(definition: dict[str, Any], findings: Iterable[Finding]) -> dict[Part, list[Finding]]:
    """The findings by the part they belong to."""
    found: dict[Part, list[Finding]] = defaultdict(list)
    for finding in findings:
        found[part_of(definition, finding.pointer)].append(finding)
    return dict(found)
