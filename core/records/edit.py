"""Editing the declared record types from the designer, and loading them again while running.

The designer's records page (ui/designer_records.py) edits the fields of a customer, a contact or
one activity type with the funnel designer's field editor (:mod:`goldsieve.funnels.edit_fields`),
on a copy of the definition that runs; :meth:`RecordFiles.save` then keeps it the way record types
are kept, in ``records/<kind>.json``:

1. the whole definition is checked as ``goldsieve check`` checks the file (:func:`.check.check_record`,
   the meta-schema first): errors raise :class:`DefinitionError` and nothing is written;
2. the edit must start from the definition that runs (:func:`digest`): one begun before another
   person's save raises :class:`StaleDefinition`, and nothing is written;
3. the file is written beside its place, then moved over it (a crash leaves the old file or the
   new one) inside the store transaction that records the audit row ``record_type_saved``;
4. the saved type replaces its old self among the runtime's record types: the customer, contact
   and activity forms ask for the new field from the next request on.

Before it compares, a save loads what changed on disk since (another process's save), so that an
edit begun before that save is refused too; processes on one machine may still race between that
look and the move of the file, which the second one's audit row then shows.

Record types have no versions of their own: a customer keeps its data whatever its type declares
now, so data from before a rule is read as it is and the rule applies when it is next changed.

Every request also calls :meth:`RecordFiles.refresh`, a ``stat`` of the three files: another
process serving the same workspace (gunicorn's workers) saw the file change, so each process runs
the new types from its next request; a file broken by hand is logged and the types stay as they
were. The types are swapped by one assignment, under a lock that serialises the loads and the
saves of one process: a request reads either the old set or the new, never half of one.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, diff, record
from ..errors import DefinitionError, GoldsieveError, NotFound
from ..funnels.check import ERROR
from .check import ACTIVITY, KINDS, check_record
from .model import FOLDER, RecordTypes, load_types

if TYPE_CHECKING:
    from ..store import Store
    from .customers import Customers

log = logging.getLogger(__name__)

#: The audit row of a saved record type (target ``record_type``, its kind).
AUDIT_ACTION = "record_type_saved"


class StaleDefinition(GoldsieveError):
    """The record type changed since the edit began (another person saved it): nothing was written."""


def definition_of(types: RecordTypes, kind: str) -> dict[str, Any]:
    """The definition of ``kind`` that runs (its file, or the defaults when it has none)."""
    if kind not in KINDS:
        raise NotFound(f"there is no record type {kind!r}")
    return getattr(types, kind).definition


def declared(definition: dict[str, Any], kind: str, type_id: str | None = None) -> dict[str, Any]:
    """The part of a record type's definition that declares fields (``fields`` and ``ui``): the
    definition itself, or the entry of activity type ``type_id`` in ``types``."""
    if kind != ACTIVITY:
        return definition
    for entry in definition["types"]:
        if entry["id"] == type_id:
            return entry
    raise NotFound(f"there is no activity type {type_id!r}")


def digest(definition: dict[str, Any]) -> str:
    """A short fingerprint of a definition, which an edit carries to say what it started from."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _stamp(files: dict[str, str]) -> dict[str, tuple[int, int]]:
    """What the record files are now: each one's modification time and size, by kind."""
    seen = {}
    for kind, file in files.items():
        try:
            status = os.stat(file)
        except FileNotFoundError:
            continue
        seen[kind] = (status.st_mtime_ns, status.st_size)
    return seen


class RecordFiles:
    """The record types a runtime runs, from the workspace's files: reloaded when the files
    change and saved from the designer; one per runtime, shared by its request threads."""

    def __init__(self, workspace: Path, customers: Customers, store: Store):
        self.workspace, self.customers, self.store = Path(workspace), customers, store
        #: each kind's file, as ``refresh`` looks at it before every request (no path built then)
        self.files = {kind: str(self.workspace / FOLDER / f"{kind}.json") for kind in KINDS}
        self.lock = threading.Lock()
        self.seen = _stamp(self.files)

    @property
    def types(self) -> RecordTypes:
        return self.customers.types

    def refresh(self) -> None:
        """Load the record files again if they changed since they were last loaded."""
        if _stamp(self.files) != self.seen:
            with self.lock:
                self._load_changed()

    def _load_changed(self) -> None:
        """With the lock held: load the files again if they changed (another request may have
        loaded them meanwhile); with one broken, log it and keep the types that run."""
        now = _stamp(self.files)
        if now == self.seen:
            return
        self.seen = now
        try:
            self.customers.types = load_types(self.workspace)
        except DefinitionError as error:
            log.warning("the record types stay as they were: %s (goldsieve check says more)", error)

    def save(self, kind: str, definition: dict[str, Any], *, by: str, at: str, base: str | None) -> None:
        """Check ``definition`` as record type ``kind``, keep it in its file with an audit row, and
        run it from now on.

        :param base: the :func:`digest` of the definition the edit started from (``None``: no check)
        :raises DefinitionError: the check found errors (its findings say where); nothing written
        :raises StaleDefinition: someone saved the type since the edit began; nothing written
        """
        errors = [f for f in check_record(definition, kind) if f.severity == ERROR]
        if errors:
            raise DefinitionError(f"{FOLDER}/{kind}.json", errors)
        definition = copy.deepcopy(definition)
        with self.lock:
            self._load_changed()  # a save by another process is what the edit must have started from
            before = definition_of(self.types, kind)
            if base is not None and digest(before) != base:
                raise StaleDefinition(f"the {kind} record type changed since this edit began")
            path = Path(self.files[kind])
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(prefix=f".{kind}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(json.dumps(definition, ensure_ascii=False, indent=2) + "\n")
                with self.store.transaction() as txn:
                    record(txn, audit_entry(by, AUDIT_ACTION, "record_type", kind, diff(before, definition), at))
                    os.replace(partial, path)  # a file that cannot be moved leaves no row
            finally:
                Path(partial).unlink(missing_ok=True)
            # the other kinds stay as they run (a file of theirs broken by hand is not this save's)
            self.customers.types = self.types.replaced(kind, definition)
            self.seen = {**self.seen, kind: _stamp({kind: self.files[kind]})[kind]}
