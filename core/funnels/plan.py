"""What a new funnel version changes, and which in-flight deals each change touches.

Pure: it compares the applied version with a new definition and looks at the open deals that
would migrate; reading the store and writing belong to :mod:`goldsieve.funnels.migration`. The same
:class:`Plan` feeds ``goldsieve funnel plan`` (text and ``--json``), ``goldsieve funnel apply``
(which refuses a plan with errors) and the designer's save page, so the three never disagree.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from .model import OPEN, Funnel, Stage
from .validation import violations

#: How many deals a change lists by name; the count is always complete.
CAP = 10


@dataclass
class DealRef:
    """A deal a change touches: enough to find it, and what is wrong with it, if anything."""

    id: int
    title: str
    stage: str
    problems: list[str] = field(default_factory=list)
    #: the fields the problems are about, for a page to name by their titles
    fields: list[str] = field(default_factory=list)
    #: the stage of the new version the deal lands on, when it moves
    to: str | None = None


@dataclass
class Orphan:
    """An automation of the applied version whose stage the new version does not have: what
    became of it (``to``: the stage it names now; ``None``: it is gone)."""

    id: str
    stage: str
    to: str | None = None


@dataclass
class Change:
    """One difference between the versions, e.g. ``stage_split`` of ``negotiation``.

    ``kind`` is one of ``stage_added``, ``stage_removed``, ``stage_renamed``, ``stage_split``,
    ``stage_merged``, ``stage_remapped``, ``stage_retitled``, ``gate_tightened``,
    ``gate_loosened``, ``gate_changed``, ``field_added``, ``field_removed``, ``field_retyped``,
    ``field_required``; ``deals`` counts the in-flight deals it affects and ``deal_ids`` names
    them all; ``failing`` names (up to :data:`CAP`) those that would break a new gate or field
    rule, ``failing_count`` all.
    """

    kind: str
    subject: str
    detail: str
    deals: int = 0
    failing: list[DealRef] = field(default_factory=list)
    failing_count: int = 0
    deal_ids: list[int] = field(default_factory=list)

    def touch(self, deal: dict) -> None:
        self.deals += 1
        self.deal_ids.append(deal["id"])

    def fail(self, ref: DealRef) -> None:
        self.failing_count += 1
        if len(self.failing) < CAP:
            self.failing.append(ref)


@dataclass
class Plan:
    """The whole answer: the changes, the deals that would be stranded, the deals that would
    land on a stage whose gates (cumulative, as for a move into it) they do not meet
    (``missing``, all of them), the automations whose stage goes, and blocking errors."""

    funnel: str
    from_version: int | None
    to_version: int
    migrates: bool
    in_flight: int
    staying: int = 0
    changes: list[Change] = field(default_factory=list)
    stranded: list[DealRef] = field(default_factory=list)
    missing: list[DealRef] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether ``apply`` would go ahead."""
        return not self.errors and not self.stranded

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def make_plan(old: Funnel | None, new: Funnel, deals: Iterable[dict], staying: int = 0) -> Plan:
    """Compare ``old`` (the applied version, ``None`` for a new funnel) with ``new``.

    ``deals`` are the open deals on ``migration.from_version`` that would move; ``staying``
    counts the open deals that keep their version (there is no migration, or they are on
    another version).
    """
    deals = list(deals)
    migration = new.definition.get("migration")
    plan = Plan(new.id, old.version if old else None, new.version, migration is not None,
                len(deals), staying)
    plan.errors = _version_errors(old, new)
    if old is None or plan.errors:
        return plan
    mapping = (migration or {}).get("map", {})
    target = {s.id: mapping.get(s.id, s.id) for s in old.stages}
    plan.changes = [*_stage_changes(old, new, target, deals), *_gate_changes(old, new, target, deals),
                    *_field_changes(old, new, deals)]
    plan.stranded = [ref for deal in deals if (ref := _stranded(new, deal, target)) is not None]
    plan.missing = [ref for deal in deals if (ref := _missing(new, deal, target)) is not None]
    plan.orphans = list(_orphans(old, new))
    return plan


def _version_errors(old: Funnel | None, new: Funnel) -> list[str]:
    migration = new.definition.get("migration")
    if old is None:
        return [f"funnel {new.id} has no applied version, so version {new.version} cannot "
                f"migrate deals from version {migration['from_version']}; remove `migration`"] \
            if migration else []
    errors = []
    if new.version <= old.version:
        errors.append(f"version {new.version} is not newer than the applied version "
                      f"{old.version}; raise `version` to {old.version + 1}")
    if migration and migration["from_version"] != old.version:
        errors.append(f"migration.from_version is {migration['from_version']}, but the applied "
                      f"version is {old.version}; migrate from {old.version}")
    for stage_id in (migration or {}).get("map", {}):
        if old.stage(stage_id) is None:
            errors.append(f"migration.map names stage {stage_id}, which version {old.version} "
                          "does not have")
    return errors


def _ref(deal: dict, problems: Iterable[str] = ()) -> DealRef:
    return DealRef(deal["id"], deal["title"], deal["stage"], list(problems))


def _change(kind: str, subject: str, detail: str, deals: list[dict], stages: Iterable[str] = ()) -> Change:
    """A change that touches the deals now in ``stages``."""
    change = Change(kind, subject, detail)
    wanted = set(stages)
    for deal in deals:
        if deal["stage"] in wanted:
            change.touch(deal)
    return change


def _stage_changes(old: Funnel, new: Funnel, target: dict[str, str],
                   deals: list[dict]) -> Iterable[Change]:
    sources: dict[str, list[str]] = {}
    for stage_id, to in target.items():
        sources.setdefault(to, []).append(stage_id)
    split_parts: set[str] = set()
    for to, olds in sources.items():
        if new.stage(to) is None:
            for stage_id in olds:
                yield _change("stage_removed", stage_id, f"{stage_id} is removed and not mapped",
                              deals, [stage_id])
        elif len(olds) > 1:
            yield _change("stage_merged", to, f"{', '.join(olds)} → {to}", deals, olds)
        elif olds[0] != to:
            stage_id = olds[0]
            followers = _added_after(new, new.stage(to), old, sources)
            if new.stage(stage_id) is None and followers:
                split_parts.update(followers)
                yield _change("stage_split", stage_id, f"{stage_id} → {', '.join([to, *followers])}",
                              deals, [stage_id])
            else:
                kind = "stage_renamed" if new.stage(stage_id) is None else "stage_remapped"
                yield _change(kind, stage_id, f"{stage_id} → {to}", deals, [stage_id])
    for stage in new.stages:
        if old.stage(stage.id) is None and stage.id not in sources and stage.id not in split_parts:
            yield Change("stage_added", stage.id, f"{stage.id} ({stage.kind})")
        elif (before := old.stage(stage.id)) is not None and before.title != stage.title:
            yield _change("stage_retitled", stage.id, f"“{before.label()}” → “{stage.label()}”",
                          deals, [s for s, to in target.items() if to == stage.id])


def _added_after(new: Funnel, stage: Stage, old: Funnel, sources: dict[str, list[str]]) -> list[str]:
    """The new stages right after ``stage`` that no old stage maps to: the rest of a split."""
    found = []
    for following in new.stages[stage.position + 1:]:
        if old.stage(following.id) is not None or following.id in sources:
            break
        found.append(following.id)
    return found


def _gate_changes(old: Funnel, new: Funnel, target: dict[str, str],
                  deals: list[dict]) -> Iterable[Change]:
    for stage in new.stages:
        before = [old.stage(s).gate for s, to in target.items() if to == stage.id]
        before_gate = next((g for g in before if g), None)
        if stage.gate == before_gate:
            continue
        kind = _compare_gates(before_gate, stage.gate)
        change = Change(kind, stage.id, f"{stage.id}: {_gate_text(before_gate)} → {_gate_text(stage.gate)}")
        for deal in deals:
            landing = new.stage(target.get(deal["stage"], deal["stage"]))
            if landing is None or stage not in new.gates_to_enter(landing, deal["data"]):
                continue
            change.touch(deal)
            problems = violations(stage.gate_validator, deal["data"]) if stage.gate_validator else []
            if problems:
                change.fail(_ref(deal, [f"{p.path}: {p.message}" for p in problems]))
        yield change


def _constraints(gate: dict | None) -> set[str]:
    """A gate as a set of comparable pieces: each required field and each property's rule."""
    if not gate:
        return set()
    pieces = {f"required:{name}" for name in gate.get("required", [])}
    pieces |= {f"{name}:{json.dumps(rule, sort_keys=True)}"
               for name, rule in gate.get("properties", {}).items()}
    pieces |= {f"{key}:{json.dumps(value, sort_keys=True)}" for key, value in gate.items()
               if key not in ("required", "properties")}
    return pieces


def _compare_gates(before: dict | None, after: dict | None) -> str:
    old, new = _constraints(before), _constraints(after)
    if old <= new:
        return "gate_tightened"
    if new <= old:
        return "gate_loosened"
    return "gate_changed"


def _gate_text(gate: dict | None) -> str:
    return json.dumps(gate, ensure_ascii=False, sort_keys=True) if gate else "no gate"


def _field_changes(old: Funnel, new: Funnel, deals: list[dict]) -> Iterable[Change]:
    old_props = old.fields_schema.get("properties", {})
    new_props = new.fields_schema.get("properties", {})
    newly_required = set(new.fields_schema.get("required", [])) - set(old.fields_schema.get("required", []))
    changes = []
    for name in new_props:
        if name not in old_props:
            changes.append(Change("field_added", name, f"{name} ({new_props[name].get('type', 'any')})"))
        elif old_props[name].get("type") != new_props[name].get("type"):
            changes.append(Change("field_retyped", name, f"{name}: {old_props[name].get('type', 'any')}"
                                  f" → {new_props[name].get('type', 'any')}"))
    changes += [Change("field_removed", name, name) for name in old_props if name not in new_props]
    changes += [Change("field_required", name, f"{name} is now required") for name in sorted(newly_required)]
    if not changes:  # validating every deal is the plan's dearest step: only when fields changed
        return []
    problems = {deal["id"]: violations(new.fields_validator, deal["data"]) for deal in deals}
    for change in changes:
        for deal in deals:
            has = change.subject in deal["data"]
            if (not has) if change.kind == "field_required" else (has and change.kind != "field_added"):
                change.touch(deal)
            mine = [p for p in problems[deal["id"]] if p.path == f"/data/{change.subject}"]
            if mine:
                change.fail(_ref(deal, [f"{p.path}: {p.message}" for p in mine]))
    return changes


def _stranded(new: Funnel, deal: dict, target: dict[str, str]) -> DealRef | None:
    """The deal with the reason it cannot land, or ``None`` when it lands on an open stage."""
    to = target.get(deal["stage"], deal["stage"])
    landing = new.stage(to)
    if landing is None:
        why = (f"stage {deal['stage']} is not in version {new.version}; "
               f"map it in migration.map") if to == deal["stage"] else f"{to} does not exist"
    elif landing.kind != OPEN:
        why = f"{deal['stage']} is mapped to {to}, which is not an open stage"
    elif not landing.applies_to(deal["data"]):
        why = f"{deal['stage']} is mapped to {to}, which is not on this deal's path (applies_when)"
    else:
        return None
    return _ref(deal, [why])


def _missing(new: Funnel, deal: dict, target: dict[str, str]) -> DealRef | None:
    """The deal, if it would land on an open stage whose gates (as a move into it checks them,
    :meth:`~goldsieve.funnels.model.Funnel.gates_to_enter`) it does not meet, with what it lacks."""
    landing = new.stage(target.get(deal["stage"], deal["stage"]))
    if landing is None or landing.kind != OPEN or not landing.applies_to(deal["data"]):
        return None  # stranded: said there
    found: dict[str, str] = {}
    for stage in new.gates_to_enter(landing, deal["data"]):
        for problem in violations(stage.gate_validator, deal["data"]) if stage.gate_validator else []:
            found.setdefault(problem.path, problem.message)
    if not found:
        return None
    names = [path.removeprefix("/data/").split("/")[0] for path in found]
    ref = _ref(deal, [f"{path}: {message}" for path, message in found.items()])
    ref.fields, ref.to = list(dict.fromkeys(names)), landing.id
    return ref


def _orphans(old: Funnel, new: Funnel) -> Iterable[Orphan]:
    """The applied version's automations on a stage the new version lacks, and where they went."""
    now = {a.get("id"): a for a in new.definition.get("automations", [])}
    for automation in old.definition.get("automations", []):
        stage = automation.get("stage")
        if stage is None or new.stage(stage) is not None:
            continue
        kept = now.get(automation.get("id"))
        yield Orphan(automation["id"], stage, kept.get("stage") if kept else None)


#: How many deal ids one line of the audit row lists; the count is always complete.
AUDIT_IDS = 100


def audit_changes(plan: Plan) -> dict[str, list[Any]]:
    """The plan as an audit row's changes (``what: [before, after]``): the version, each change
    with the deals it moved, the deals left missing what their new stage requires, and the
    automations whose stage went. The audit log says what an apply did, as the review said."""
    changes: dict[str, list[Any]] = {"version": [plan.from_version, plan.to_version],
                                     "migrated_deals": [None, plan.in_flight]}
    for change in plan.changes:
        said = f"{change.detail} — {change.deals} deal{_s(change.deals)}"
        changes[f"{change.kind} {change.subject}"] = [None, said + _ids(change.deal_ids)]
    if plan.missing:
        listed = "; ".join(f"#{ref.id} ({ref.to}: {', '.join(ref.fields)})" for ref in plan.missing[:AUDIT_IDS])
        more = len(plan.missing) - AUDIT_IDS
        changes["deals_missing_fields"] = [None, listed + (f"; … and {more} more" if more > 0 else "")]
    for orphan in plan.orphans:
        changes[f"automation {orphan.id}"] = [orphan.stage, orphan.to]
    return changes


def _ids(ids: list[int]) -> str:
    if not ids:
        return ""
    shown = ", ".join(f"#{i}" for i in ids[:AUDIT_IDS])
    return f": {shown}" + (f", … and {len(ids) - AUDIT_IDS} more" if len(ids) > AUDIT_IDS else "")


def render(plan: Plan) -> list[str]:
    """The plan as lines of text for the terminal; a version that cannot be applied is all it
    says then (what would change is moot until the version is right)."""
    if plan.errors and not plan.changes:
        return [f"Error: {error}" for error in plan.errors]
    head = (f"funnel {plan.funnel}: version {plan.from_version} → {plan.to_version}"
            if plan.from_version is not None else f"funnel {plan.funnel}: new, version {plan.to_version}")
    lines = [head]
    if plan.migrates:
        lines.append(f"  {plan.in_flight} in-flight deal{_s(plan.in_flight)} move from version "
                     f"{plan.from_version} to {plan.to_version}")
    if plan.staying:
        lines.append(f"  {plan.staying} in-flight deal{_s(plan.staying)} stay on their version "
                     "(no migration for them)")
    for change in plan.changes:
        kind = change.kind.replace("_", " ")
        lines.append(f"  {kind}: {change.detail} — {change.deals} deal{_s(change.deals)}")
        if change.failing_count:
            lines.append(f"    {change.failing_count} would fail it:")
            lines += [f"      #{ref.id} {ref.title} ({ref.stage}): {'; '.join(ref.problems)}"
                      for ref in change.failing]
            if change.failing_count > len(change.failing):
                lines.append(f"      … and {change.failing_count - len(change.failing)} more")
    if not plan.changes and plan.from_version is not None:
        lines.append("  no changes to stages, gates or fields")
    if plan.missing:
        lines.append(f"  {len(plan.missing)} deal{_s(len(plan.missing))} would miss what their new stage requires:")
        lines += [f"    #{ref.id} {ref.title} → {ref.to}: {', '.join(ref.fields)}" for ref in plan.missing[:CAP]]
        if len(plan.missing) > CAP:
            lines.append(f"    … and {len(plan.missing) - CAP} more")
    for orphan in plan.orphans:
        lines.append(f"  automation {orphan.id}: its stage {orphan.stage} goes; "
                     + (f"it now runs on {orphan.to}" if orphan.to else "it is removed"))
    lines += [f"Warning: {warning}" for warning in plan.warnings]
    lines += [f"Error: {error}" for error in plan.errors]
    if plan.stranded:
        lines.append(f"Error: {len(plan.stranded)} deal{_s(len(plan.stranded))} would be stranded:")
        lines += [f"  #{ref.id} {ref.title} ({ref.stage}): {'; '.join(ref.problems)}"
                  for ref in plan.stranded[:CAP * 2]]
        if len(plan.stranded) > CAP * 2:
            lines.append(f"  … and {len(plan.stranded) - CAP * 2} more")
    return lines


def _s(count: int) -> str:
    return "" if count == 1 else "s"
