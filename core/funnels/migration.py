"""Applying a new funnel version: record it and move the in-flight deals, in one transaction.

``goldsieve funnel plan|apply`` and the designer's save both come here. ``apply`` plans inside
the store transaction, so the plan it checks is the state it writes: when the plan has an
error or strands a deal, it raises :class:`PlanRefused` and nothing is written. Otherwise the
transaction records the version, moves each open deal of ``migration.from_version`` along
``migration.map`` (``funnel_version``, ``stage``), appends a ``migrated`` event per deal and one
audit row. Closed deals keep their version. After the commit the file in ``funnels/`` is
rewritten, so the draft and the applied version agree again.

A migrated deal keeps its ``stage_entered_at``: a migration is not activity, so how long the
deal has waited (and whether it is stale) does not restart.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, record
from ..clock import stamp
from ..errors import DefinitionError, GoldsieveError, NotFound
from ..locales import N_, Words, say
from ..plugin_manager import lint
from ..store import Eq, In, all_of
from .check import check_definition, load_file
from .model import OPEN, Funnel
from .plan import Plan, audit_changes, make_plan
from .versions import record as record_version
from .wording import line

if TYPE_CHECKING:
    from ..runtime import Runtime


class PlanRefused(GoldsieveError):
    """``apply`` refused: the plan has errors or strands deals; nothing was written. Its text is
    English (the API, the logs); :meth:`said` says it in a reader's language."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__(self.said("en"))

    def said(self, locale: str | None = None) -> str:
        """Each error and each stranded deal with why, in ``locale`` (by default the reader's)."""
        lines = [error.say(locale) for error in self.plan.errors]
        lines += [say(N_("deal #%(id)s %(title)s (%(stage)s) would be stranded: %(why)s"), locale, id=ref.id,
                      title=ref.title, stage=ref.stage, why="; ".join(line(p, locale) for p in ref.problems))
                  for ref in self.plan.stranded]
        return "\n".join(lines)


def read_definition(path: Path) -> tuple[dict[str, Any], str]:
    """A funnel file's definition and text; :class:`DefinitionError` if ``check`` finds errors."""
    definition, found = load_file(path)
    errors = [f for f in found if f.severity == "error"]
    if definition is None or errors:
        raise DefinitionError(str(path), errors)
    return definition, Path(path).read_text(encoding="utf-8")


def check(runtime: Runtime, definition: dict[str, Any], source: str = "funnel") -> None:
    """:class:`DefinitionError` unless the definition passes ``goldsieve check`` (warnings pass)."""
    found = check_definition(definition)
    if not any(f.severity == "error" for f in found):
        found += lint(runtime.pm, definition)
    errors = [f for f in found if f.severity == "error"]
    if errors:
        raise DefinitionError(source, errors)


def plan(runtime: Runtime, definition: dict[str, Any], source: str = "funnel") -> Plan:
    """What applying ``definition`` would do; reads, never writes."""
    check(runtime, definition, source)
    return _plan(runtime, Funnel(definition))[0]


def apply(runtime: Runtime, definition: dict[str, Any], by: str, text: str | None = None,
          source: str = "funnel") -> Plan:
    """Record ``definition`` as its funnel's new version and migrate the in-flight deals.

    :param by: the username recorded as ``saved_by``, on the events and in the audit row
    :param text: the file's text, written to ``funnels/`` as it is (else the definition as JSON)
    :param source: how error messages name the definition (its file)
    :raises DefinitionError: the definition does not pass the check; nothing was written
    :raises PlanRefused: the plan has errors or strands a deal; nothing was written
    """
    check(runtime, definition, source)
    new = Funnel(definition)
    engine, user = runtime.engine, {"username": by}
    now = stamp(engine.clock())
    with runtime.store.transaction() as txn:
        result, moving = _plan(runtime, new)
        if not result.ok:
            raise PlanRefused(result)
        record_version(txn, definition, by, now)
        events = []
        for deal in moving:
            to = (definition.get("migration") or {}).get("map", {}).get(deal["stage"], deal["stage"])
            moved = {**deal, "funnel_version": new.version, "stage": to,
                     "version": deal["version"] + 1, "updated_at": now}
            txn.replace("deals", new.with_search(moved), expect_version=deal["version"])
            event = engine.new_event(moved, user, "migrated", now, from_stage=deal["stage"], to_stage=to,
                                     changes={"funnel_version": [deal["funnel_version"], new.version]})
            txn.insert("events", event)
            events.append((event, moved))
        record(txn, audit_entry(by, "funnel_applied", "funnel", new.id, audit_changes(result), now))
    runtime.refresh_funnels()
    for event, moved in events:
        engine.observe([event], moved, new)
    _write_draft(runtime, definition, text)
    return result


def _plan(runtime: Runtime, new: Funnel) -> tuple[Plan, list[dict]]:
    """The plan and the deals that would move (the open deals of ``migration.from_version``)."""
    try:
        old = runtime.funnels.get(new.id)
    except NotFound:
        return make_plan(None, new, []), []
    store, migration = runtime.store, new.definition.get("migration")
    open_deals = all_of(Eq("funnel", new.id), Eq("status", OPEN))
    moving = []
    if migration and migration["from_version"] == old.version:
        moving = list(store.iterate("deals", all_of(open_deals, Eq("funnel_version", old.version))))
    staying = store.count("deals", open_deals) - len(moving)
    result = make_plan(old, new, moving, staying)
    if not migration and not result.errors:  # a version that cannot apply is all there is to say
        result.warnings = _left_behind(runtime, old, new, open_deals)
    return result, moving


def _left_behind(runtime: Runtime, old: Funnel, new: Funnel, open_deals) -> list[Words]:
    """Without a migration, deals on stages the new version lacks drop off its board: say so."""
    gone = [s.id for s in old.stages if new.stage(s.id) is None]
    if not gone:
        return []
    count = runtime.store.count("deals", all_of(open_deals, Eq("funnel_version", old.version),
                                                In("stage", tuple(gone))))
    if not count:
        return []
    return [Words(N_("%(count)s open deal(s) stay on version %(applied)s in stages version %(version)s "
                     "does not have (%(stages)s); the board of version %(version)s will not show them: "
                     "add `migration` to move them"),
                  count=count, applied=old.version, version=new.version, stages=", ".join(gone))]


def _write_draft(runtime: Runtime, definition: dict[str, Any], text: str | None) -> None:
    """Replace the funnel's file (or create ``funnels/<id>.json``) atomically."""
    folder = runtime.workspace.path / "funnels"
    path = next((p for p in runtime.workspace.funnel_files() if _file_id(p) == definition["id"]),
                folder / f"{definition['id']}.json")
    body = text if text is not None else json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(body, encoding="utf-8")
    os.replace(temporary, path)


def _file_id(path: Path) -> str | None:
    definition, _ = load_file(path)
    return definition.get("id") if isinstance(definition, dict) else None
