"""What a new funnel version changes, and which in-flight deals each change touches.

Pure: it compares the applied version with a new definition and looks at the open deals that
would migrate; reading the store and writing belong to :mod:`goldsieve.funnels.migration`. The same
:class:`Plan` feeds ``goldsieve funnel plan`` (text and ``--json``), ``goldsieve funnel apply``
(which refuses a plan with errors) and the designer's save page, so the three never disagree.

What it says — each change, why a deal is stranded or fails a gate, the warnings and errors — it
keeps as data and :class:`~goldsieve.locales.Words`, and each who shows it says it in their
reader's language: the terminal (:func:`render`, :func:`refusals`), the review page, English for
``--json``; the audit row keeps the data alone (:func:`audit_changes`).
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from ..errors import Violation
from ..locales import N_, Words, say
from .model import OPEN, Funnel, Stage
from .validation import violations
from .wording import TYPES, line, said

#: How many deals a change lists by name; the count is always complete.
CAP = 10


@dataclass
class DealRef:
    """A deal a change touches: enough to find it, and what is wrong with it, if anything."""

    id: int
    title: str
    stage: str
    #: why, each said by :func:`goldsieve.funnels.wording.line` in its reader's language
    problems: list[Violation] = field(default_factory=list)
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

    ``before`` and ``after`` are what the change is about in each version, as data (stage ids, a
    gate, a field's type, a title), so that it can be said in any reader's language
    (:attr:`words`) and kept by the audit row as every row keeps its changes.
    ``kind`` is one of ``stage_added``, ``stage_removed``, ``stage_renamed``, ``stage_split``,
    ``stage_merged``, ``stage_remapped``, ``stage_retitled``, ``gate_tightened``,
    ``gate_loosened``, ``gate_changed``, ``field_added``, ``field_removed``, ``field_retyped``,
    ``field_required``; ``deals`` counts the in-flight deals it affects and ``deal_ids`` names
    them all; ``failing`` names (up to :data:`CAP`) those that would break a new gate or field
    rule, ``failing_count`` all.
    """

    kind: str
    subject: str
    before: Any = None
    after: Any = None
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

    @property
    def words(self) -> Words:
        """What changed, to say in the reader's language (``negotiation → bargaining, contract``)."""
        return _DETAILS[self.kind](self)


def _arrow(change: Change) -> Words:
    return Words(N_("%(before)s → %(after)s"), before=_ids(change.before), after=_ids(change.after))


def _ids(value: str | list[str]) -> str:
    return value if isinstance(value, str) else ", ".join(value)


def _gate(gate: dict | None) -> str | Words:
    return json.dumps(gate, ensure_ascii=False, sort_keys=True) if gate else Words(N_("no gate"))


def _type(name: str | list[str] | None) -> Words | str:
    """A field's JSON type as :data:`.wording.TYPES` says it (a list of types: their names)."""
    if isinstance(name, list):
        return ", ".join(name)
    return Words(TYPES.get(name, N_("any value")) if name else N_("any value"))


#: the stage kinds, as a change that adds a stage says them
_KINDS = {"open": N_("Open"), "won": N_("Won"), "lost": N_("Lost")}
#: how each kind of change says what changed (its ``before`` and ``after``)
_DETAILS = {
    "stage_added": lambda c: Words(N_("%(stage)s (%(kind)s)"), stage=c.subject,
                                   kind=Words(_KINDS.get(c.after, c.after))),
    "stage_removed": lambda c: Words(N_("%(stage)s is removed and not mapped"), stage=c.subject),
    "stage_renamed": _arrow, "stage_remapped": _arrow, "stage_merged": _arrow, "stage_split": _arrow,
    "stage_retitled": lambda c: Words(N_("“%(before)s” → “%(after)s”"), before=c.before, after=c.after),
    **dict.fromkeys(("gate_tightened", "gate_loosened", "gate_changed"), lambda c: Words(
        N_("%(stage)s: %(before)s → %(after)s"), stage=c.subject, before=_gate(c.before), after=_gate(c.after))),
    "field_added": lambda c: Words(N_("%(field)s (%(type)s)"), field=c.subject, type=_type(c.after)),
    "field_retyped": lambda c: Words(N_("%(field)s: %(before)s → %(after)s"), field=c.subject,
                                     before=_type(c.before), after=_type(c.after)),
    "field_removed": lambda c: Words(N_("%(field)s is removed"), field=c.subject),
    "field_required": lambda c: Words(N_("%(field)s is now required"), field=c.subject),
}


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
    #: what stops the version, and what the reader should know, each said in their language
    errors: list[Words] = field(default_factory=list)
    warnings: list[Words] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether ``apply`` would go ahead."""
        return not self.errors and not self.stranded

    def as_json(self) -> dict[str, Any]:
        """The plan for a program (``goldsieve funnel plan --json``): its texts in English, as
        the API says them (a problem as ``path: message``), each change with its ``detail``."""
        shown = {**asdict(self), "ok": self.ok, "errors": [e.say("en") for e in self.errors],
                 "warnings": [w.say("en") for w in self.warnings]}
        refs = [(self.stranded, shown["stranded"]), (self.missing, shown["missing"])]
        for change, as_json in zip(self.changes, shown["changes"]):
            as_json["detail"] = change.words.say("en")
            refs.append((change.failing, as_json["failing"]))
        for kept, as_json in refs:
            for ref, out in zip(kept, as_json):
                out["problems"] = [f"{p.path}: {said(p, 'en')}" if p.path else said(p, "en") for p in ref.problems]
        return shown


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


def _version_errors(old: Funnel | None, new: Funnel) -> list[Words]:
    migration = new.definition.get("migration")
    if old is None:
        return [Words(N_("funnel %(funnel)s has no applied version, so version %(version)s cannot migrate "
                         "deals from version %(from_version)s; remove `migration`"), funnel=new.id,
                      version=new.version, from_version=migration["from_version"])] if migration else []
    errors = []
    if new.version <= old.version:
        errors.append(Words(N_("version %(version)s is not newer than the applied version %(applied)s; "
                               "raise `version` to %(next)s"),
                            version=new.version, applied=old.version, next=old.version + 1))
    if migration and migration["from_version"] != old.version:
        errors.append(Words(N_("migration.from_version is %(from_version)s, but the applied version is "
                               "%(applied)s; migrate from %(applied)s"),
                            from_version=migration["from_version"], applied=old.version))
    for stage_id in (migration or {}).get("map", {}):
        if old.stage(stage_id) is None:
            errors.append(Words(N_("migration.map names stage %(stage)s, which version %(applied)s does not have"),
                                stage=stage_id, applied=old.version))
    return errors


def _ref(deal: dict, problems: Iterable[Violation] = ()) -> DealRef:
    return DealRef(deal["id"], deal["title"], deal["stage"], list(problems))


def _change(kind: str, subject: str, before: Any, after: Any, deals: list[dict],
            stages: Iterable[str] = ()) -> Change:
    """A change that touches the deals now in ``stages``."""
    change = Change(kind, subject, before, after)
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
                yield _change("stage_removed", stage_id, stage_id, None, deals, [stage_id])
        elif len(olds) > 1:
            yield _change("stage_merged", to, olds, to, deals, olds)
        elif olds[0] != to:
            stage_id = olds[0]
            followers = _added_after(new, new.stage(to), old, sources)
            if new.stage(stage_id) is None and followers:
                split_parts.update(followers)
                yield _change("stage_split", stage_id, stage_id, [to, *followers], deals, [stage_id])
            else:
                kind = "stage_renamed" if new.stage(stage_id) is None else "stage_remapped"
                yield _change(kind, stage_id, stage_id, to, deals, [stage_id])
    for stage in new.stages:
        if old.stage(stage.id) is None and stage.id not in sources and stage.id not in split_parts:
            yield Change("stage_added", stage.id, None, stage.kind)
        elif (before := old.stage(stage.id)) is not None and before.title != stage.title:
            yield _change("stage_retitled", stage.id, before.title or before.id, stage.title or stage.id,
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
        change = Change(kind, stage.id, before_gate, stage.gate)
        for deal in deals:
            landing = new.stage(target.get(deal["stage"], deal["stage"]))
            if landing is None or stage not in new.gates_to_enter(landing, deal["data"]):
                continue
            change.touch(deal)
            problems = violations(stage.gate_validator, deal["data"]) if stage.gate_validator else []
            if problems:
                change.fail(_ref(deal, problems))
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


def _field_changes(old: Funnel, new: Funnel, deals: list[dict]) -> Iterable[Change]:
    old_props = old.fields_schema.get("properties", {})
    new_props = new.fields_schema.get("properties", {})
    newly_required = set(new.fields_schema.get("required", [])) - set(old.fields_schema.get("required", []))
    changes = []
    for name in new_props:
        if name not in old_props:
            changes.append(Change("field_added", name, None, new_props[name].get("type")))
        elif old_props[name].get("type") != new_props[name].get("type"):
            changes.append(Change("field_retyped", name, old_props[name].get("type"), new_props[name].get("type")))
    changes += [Change("field_removed", name, old_props[name].get("type"), None)
                for name in old_props if name not in new_props]
    changes += [Change("field_required", name, False, True) for name in sorted(newly_required)]
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
                change.fail(_ref(deal, mine))
    return changes


def _stranded(new: Funnel, deal: dict, target: dict[str, str]) -> DealRef | None:
    """The deal with the reason it cannot land, or ``None`` when it lands on an open stage."""
    to = target.get(deal["stage"], deal["stage"])
    landing = new.stage(to)
    said = {"stage": deal["stage"], "to": to, "version": new.version}
    if landing is None:
        why = N_("stage %(stage)s is not in version %(version)s; map it in migration.map") \
            if to == deal["stage"] else N_("%(to)s does not exist")
    elif landing.kind != OPEN:
        why = N_("%(stage)s is mapped to %(to)s, which is not an open stage")
    elif not landing.applies_to(deal["data"]):
        why = N_("%(stage)s is mapped to %(to)s, which is not on this deal's path (applies_when)")
    else:
        return None
    return _ref(deal, [Violation.of("", "stranded", why, **said)])


def _missing(new: Funnel, deal: dict, target: dict[str, str]) -> DealRef | None:
    """The deal, if it would land on an open stage whose gates (as a move into it checks them,
    :meth:`~goldsieve.funnels.model.Funnel.gates_to_enter`) it does not meet, with what it lacks."""
    landing = new.stage(target.get(deal["stage"], deal["stage"]))
    if landing is None or landing.kind != OPEN or not landing.applies_to(deal["data"]):
        return None  # stranded: said there
    found: dict[str, Violation] = {}
    for stage in new.gates_to_enter(landing, deal["data"]):
        for problem in violations(stage.gate_validator, deal["data"]) if stage.gate_validator else []:
            found.setdefault(problem.path, problem)
    if not found:
        return None
    names = [path.removeprefix("/data/").split("/")[0] for path in found]
    ref = _ref(deal, found.values())
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
    """The plan as an audit row's changes (``what: [before, after]``), as data like every other
    row's — ids, counts, types, gates, titles, never a sentence in one reader's language: the
    version and the deals migrated; each change's before and after, and (``… deals``) the deals
    it moved; the deals left missing what their new stage requires; the automations whose stage
    went. The audit log says what an apply did, as the review said."""
    changes: dict[str, list[Any]] = {"version": [plan.from_version, plan.to_version],
                                     "migrated_deals": [None, plan.in_flight]}
    for change in plan.changes:
        key = f"{change.kind} {change.subject}"
        changes[key] = [change.before, change.after]
        if change.deal_ids:
            changes[f"{key} deals"] = [None, _listed(change.deal_ids)]
    if plan.missing:
        changes["deals_missing_fields"] = [None, _listed([{"deal": ref.id, "stage": ref.to, "fields": ref.fields}
                                                          for ref in plan.missing])]
    for orphan in plan.orphans:
        changes[f"automation {orphan.id}"] = [orphan.stage, orphan.to]
    return changes


def _listed(items: list[Any]) -> dict[str, Any]:
    """A list as an audit row keeps it: how many, and the first :data:`AUDIT_IDS` of them."""
    return {"count": len(items), "listed": items[:AUDIT_IDS]}


def render(plan: Plan, locale: str | None = None) -> list[str]:
    """The plan as lines of text for the terminal, in ``locale`` (by default the reader's); what
    stops it is :func:`refusals`'s to say. A version that cannot be applied has nothing else to
    say (what would change is moot until the version is right)."""
    _: Callable[..., str] = functools.partial(say, locale=locale)
    if plan.errors and not plan.changes:
        return []
    versions = {"funnel": plan.funnel, "old": plan.from_version, "new": plan.to_version}
    lines = [_("funnel %(funnel)s: version %(old)s → %(new)s", **versions) if plan.from_version is not None
             else _("funnel %(funnel)s: new, version %(new)s", **versions)]
    if plan.migrates:
        lines.append("  " + _counted(plan.in_flight, N_("%(count)s in-flight deal moves from version %(old)s to %(new)s"),
                                     N_("%(count)s in-flight deals move from version %(old)s to %(new)s"), locale,
                                     **versions))
    if plan.staying:
        lines.append("  " + _counted(plan.staying, N_("%(count)s in-flight deal stays on its version (no migration for it)"),
                                     N_("%(count)s in-flight deals stay on their version (no migration for them)"),
                                     locale))
    for change in plan.changes:
        deals = _counted(change.deals, N_("%(count)s deal"), N_("%(count)s deals"), locale)
        lines.append("  " + _("%(kind)s: %(detail)s — %(deals)s", kind=_(KINDS.get(change.kind, change.kind)),
                              detail=change.words.say(locale), deals=deals))
        if change.failing_count:
            lines.append("    " + _("%(count)s would fail it:", count=change.failing_count))
            lines += ["      " + _deal(ref, locale) for ref in change.failing]
            lines += _more(change.failing_count - len(change.failing), "      ", locale)
    if not plan.changes and plan.from_version is not None:
        lines.append("  " + _("no changes to stages, gates or fields"))
    if plan.missing:
        lines.append("  " + _counted(len(plan.missing), N_("%(count)s deal would miss what its new stage requires:"),
                                     N_("%(count)s deals would miss what their new stage requires:"), locale))
        lines += [f"    #{ref.id} {ref.title} → {ref.to}: {', '.join(ref.fields)}" for ref in plan.missing[:CAP]]
        lines += _more(len(plan.missing) - CAP, "    ", locale)
    for orphan in plan.orphans:
        lines.append("  " + (_("automation %(id)s: its stage %(stage)s goes; it now runs on %(to)s", id=orphan.id,
                                 stage=orphan.stage, to=orphan.to) if orphan.to else
                             _("automation %(id)s: its stage %(stage)s goes; it is removed", id=orphan.id,
                               stage=orphan.stage)))
    return lines + [_("Warning: %(message)s", message=warning.say(locale)) for warning in plan.warnings]


def refusals(plan: Plan, locale: str | None = None) -> list[str]:
    """Why ``apply`` would refuse the plan, as lines for the terminal's standard error, in
    ``locale`` (by default the reader's): its errors, then the deals it would strand."""
    _: Callable[..., str] = functools.partial(say, locale=locale)
    lines = [_("Error: %(message)s", message=error.say(locale)) for error in plan.errors]
    if plan.stranded:
        stranded = _counted(len(plan.stranded), N_("%(count)s deal would be stranded:"),
                            N_("%(count)s deals would be stranded:"), locale)
        lines.append(_("Error: %(message)s", message=stranded))
        lines += ["  " + _deal(ref, locale) for ref in plan.stranded[:CAP * 2]]
        lines += _more(len(plan.stranded) - CAP * 2, "  ", locale)
    return lines


#: What each kind of change is called, on the terminal and on the review page.
KINDS = {
    "stage_added": N_("Stage added"), "stage_removed": N_("Stage removed"),
    "stage_renamed": N_("Stage renamed"), "stage_split": N_("Stage split"),
    "stage_merged": N_("Stages merged"), "stage_remapped": N_("Deals sent to another stage"),
    "stage_retitled": N_("Stage retitled"), "gate_tightened": N_("Gate tightened"),
    "gate_loosened": N_("Gate loosened"), "gate_changed": N_("Gate changed"),
    "field_added": N_("Field added"), "field_removed": N_("Field removed"),
    "field_retyped": N_("Field retyped"), "field_required": N_("Field now required for every deal"),
}


def _deal(ref: DealRef, locale: str | None) -> str:
    """``#12 Acme (quote): what is wrong; …`` — a deal of a list and its problems."""
    return f"#{ref.id} {ref.title} ({ref.stage}): " + "; ".join(line(p, locale) for p in ref.problems)


def _counted(count: int, one: str, many: str, locale: str | None, **params: object) -> str:
    """``one`` or ``many`` (msgids) as ``count`` asks, in ``locale``; Chinese says both alike."""
    return say(one if count == 1 else many, locale, count=count, **params)


def _more(count: int, indent: str, locale: str | None) -> list[str]:
    """The line that counts what a capped list leaves out, if it leaves out any."""
    return [indent + say(N_("… and %(count)s more"), locale, count=count)] if count > 0 else []
